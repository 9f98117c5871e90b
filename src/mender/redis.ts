/**
 * Device-auth's Redis: the connection strings Mender's own `pkg/redis` accepts, turned into
 * ioredis options, and a short-lived client that runs one batch of commands and closes.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { UsageError } from '../errors';

const URL_HINT =
  'give redis://host[:port][/db] (rediss:// for TLS), with [user]:password@ before the host, with --redis-url or ' +
  'DEVICEAUTH_REDIS_CONNECTION_STRING (better: a password stays out of argv); percent-encode / @ : % in the password';

/**
 * The query options go-redis's ParseURL (v9.21/v9.22, Mender v4.1.3/main) knows; it refuses any
 * other. Only db, client_name and skip_verify mean something here: tenantadm has its own timeouts.
 */
const GO_REDIS_QUERY_OPTIONS = new Set([
  'db',
  'protocol',
  'client_name',
  'max_retries',
  'min_retry_backoff',
  'max_retry_backoff',
  'dial_timeout',
  'read_timeout',
  'write_timeout',
  'pool_fifo',
  'pool_size',
  'pool_timeout',
  'min_idle_conns',
  'max_idle_conns',
  'max_active_conns',
  'max_concurrent_dials',
  'conn_max_idle_time',
  'idle_timeout',
  'conn_max_lifetime',
  'max_conn_age',
  'conn_max_lifetime_jitter',
]);

function invalid(what: string): UsageError {
  return new UsageError(`invalid Redis URL: ${what}`, URL_HINT);
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw invalid(`bad percent-encoding in the ${what}`);
  }
}

function databaseIndex(text: string): number {
  // The text is not quoted: a mistyped URL can put part of the password in the path.
  if (!/^\d{1,9}$/.test(text)) throw invalid('the database must be a number');
  return Number(text);
}

/** Go's strconv.ParseBool, which go-redis uses for boolean options (anything else is refused). */
function goBool(value: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw invalid('skip_verify must be true or false');
}

/**
 * Parse a connection string the way Mender's ClientFromConnectionString does (standalone mode):
 * redis:// or rediss://, [user]:password@, db index as the only path segment or ?db=, go-redis's
 * query options, and a bare `name:port`. Like Mender it refuses `?tls=` outside cluster mode
 * (go-redis: "unexpected option"), unix://, a bare `ip:port` and `host` without a port (main).
 * Cluster and `+srv` forms are refused too: tenantadm speaks to one Redis server.
 * Errors never quote the URL, so a password cannot leak through them.
 */
export function parseRedisUrl(raw: string): RedisOptions {
  // Mender: a string without "//" has no host, so it becomes redis://<scheme>:<opaque>.
  const bare = /^([A-Za-z][A-Za-z0-9.-]*:\d+)(\?.*)?$/.exec(raw);
  let url: URL;
  try {
    url = new URL(bare ? `redis://${bare[1]}${bare[2] ?? ''}` : raw);
  } catch {
    throw invalid('it does not parse as a URL');
  }
  if (url.protocol === 'redis+srv:' || url.protocol === 'rediss+srv:' || url.hostname.includes(',')) {
    throw invalid('cluster and SRV connection strings are not supported by tenantadm');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw invalid('the scheme must be redis:// or rediss://');
  }
  if (url.hash !== '') throw invalid('a #fragment is not allowed');

  const segments = url.pathname.split('/').filter((s) => s !== '');
  if (segments.length > 1) throw invalid('the path must be at most one database number');
  let db = segments.length === 1 ? databaseIndex(decode(segments[0]!, 'path')) : 0;

  const tls = url.protocol === 'rediss:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const options: RedisOptions = { host, port: url.port === '' ? 6379 : Number(url.port) };
  let rejectUnauthorized = true;
  for (const name of new Set(url.searchParams.keys())) {
    // go-redis takes the last of repeated values.
    const value = url.searchParams.getAll(name).at(-1)!;
    if (name === 'db') db = databaseIndex(value);
    else if (name === 'client_name') options.connectionName = value;
    else if (name === 'skip_verify' && tls) rejectUnauthorized = !goBool(value);
    else if (name === 'skip_verify') throw invalid('skip_verify needs rediss://');
    else if (name === 'tls') throw invalid('Mender refuses ?tls= on a single server ("unexpected option"); use rediss:// for TLS');
    else if (!GO_REDIS_QUERY_OPTIONS.has(name)) throw invalid(`unknown option "${name}"`);
  }
  options.db = db;
  if (url.username !== '') options.username = decode(url.username, 'user name');
  if (url.password !== '') options.password = decode(url.password, 'password');
  if (tls) options.tls = { servername: host, minVersion: 'TLSv1.2', rejectUnauthorized };
  return options;
}

/** The target as it may be printed: scheme, host, port and database, never the credentials. */
export function describeRedisTarget(options: RedisOptions): string {
  const auth = options.username !== undefined || options.password !== undefined ? '***@' : '';
  const host = options.host?.includes(':') ? `[${options.host}]` : options.host;
  return `${options.tls ? 'rediss' : 'redis'}://${auth}${host}:${options.port}/${options.db ?? 0}`;
}

/** Remove the password (raw or percent-encoded) from a message that might quote it. */
function scrub(message: string, options: RedisOptions): string {
  const secret = options.password;
  if (!secret) return message;
  return message.split(secret).join('***').split(encodeURIComponent(secret)).join('***');
}

/**
 * Connect, run `work`, and disconnect whatever happens; connecting plus the work must finish
 * within `timeoutMs`. Failures reject with a readable Error whose message holds no password.
 */
export async function withRedis<T>(options: RedisOptions, timeoutMs: number, work: (client: Redis) => Promise<T>): Promise<T> {
  // Loaded here so that commands which never touch Redis (and --help) do not pay for ioredis.
  const { Redis: Client } = require('ioredis') as typeof import('ioredis');
  const client = new Client({
    ...options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    // One attempt only: a CLI run must fail fast, not reconnect in the background.
    retryStrategy: () => null,
    reconnectOnError: () => false,
    enableOfflineQueue: false,
    // A server that never acknowledges the close must not keep the CLI alive (ioredis waits 2 s).
    disconnectTimeout: 100,
  });
  // ioredis reports connection problems as events; keep the most telling one for the message.
  let lastError: Error | undefined;
  client.on('error', (err: Error) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect(), deadline]);
    return await Promise.race([work(client), deadline]);
  } catch (err) {
    const message = (err as Error).message;
    const detail = lastError && /Connection is closed|Stream isn't writeable/i.test(message) ? lastError.message : message;
    throw new Error(scrub(detail, options));
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
