/**
 * Connection handling: the driver's timeouts, and driver errors handed to the one translation
 * in errors.ts with this connection's address. The mongodb driver is loaded here only, and
 * only when a command needs the database, so `--help` stays fast.
 */
import type { MongoClient, MongoClientOptions } from 'mongodb';
import { translateDatabaseError, UsageError, type TenantadmError } from './errors';
import { redactUrl } from './config';

export type MongoModule = typeof import('mongodb');

let driver: MongoModule | undefined;
export function mongo(): MongoModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  driver ??= require('mongodb') as MongoModule;
  return driver;
}

/**
 * The driver's timeouts, derived from `--timeout` (the connect and server-selection timeout):
 *
 * - `serverSelectionTimeoutMS` and `connectTimeoutMS` are `--timeout`: finding a usable server,
 *   and opening a connection (TCP, TLS, handshake), each give up after it. The driver also uses
 *   `connectTimeoutMS` as the deadline of each heartbeat.
 * - `socketTimeoutMS` is 0 (none): one reply may take long (a sort over 50,000 tenants on
 *   FerretDB, a big batch of an audit export), and a read that is making progress must never be
 *   cut off. The driver's `timeoutMS` and the server's `maxTimeMS` are left unset for the same
 *   reason: they bound a whole operation or cursor, not silence.
 * - `heartbeatFrequencyMS` is half of `--timeout` (0.5 to 10 s), polled (`serverMonitoringMode:
 *   'poll'`): the monitor asks the server that often on a connection of its own. A heartbeat
 *   with no answer within `connectTimeoutMS` marks the server unknown and interrupts the
 *   connections in use (the driver's InterruptInUseConnections), so a read or write waiting on a
 *   frozen server fails with a network error: exit 6. A failed cursor then tries to close itself
 *   on the server, and a failed write is retried once; each waits one server selection.
 *   A frozen server is thus given up after about 2.5x `--timeout` (measured: 2.5 s with
 *   `--timeout 1000`, 12.5 s with the default 5000; docs/configuration.md "Timeouts").
 */
export function driverTimeouts(
  timeoutMs: number,
): Pick<MongoClientOptions, 'serverSelectionTimeoutMS' | 'connectTimeoutMS' | 'socketTimeoutMS' | 'heartbeatFrequencyMS' | 'serverMonitoringMode'> {
  return {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: 0,
    heartbeatFrequencyMS: Math.min(Math.max(Math.round(timeoutMs / 2), 500), 10_000),
    serverMonitoringMode: 'poll',
  };
}

export async function connect(
  url: string,
  timeoutMs: number,
  auth?: { username: string; password?: string },
  /** Called with the name of every command sent (the driver's command monitoring; a debug hook). */
  onCommand?: (name: string) => void,
): Promise<MongoClient> {
  const { MongoClient } = mongo();
  const options: MongoClientOptions = {
    appName: 'tenantadm',
    ...driverTimeouts(timeoutMs),
    // Reads see our own writes: the tool reads back what it just wrote.
    readPreference: 'primary',
    writeConcern: { w: 'majority' },
    ignoreUndefined: true,
    // Mender's TENANTADM_MONGO_USERNAME / _PASSWORD: credentials stay out of the URL and argv.
    ...(auth ? { auth } : {}),
    ...(onCommand ? { monitorCommands: true } : {}),
  };
  let client: MongoClient;
  try {
    client = new MongoClient(url, options);
  } catch (err) {
    // The driver refuses the URL or an option in it before any connection: a usage error.
    const message = (err as Error).message ?? String(err);
    throw new UsageError(`invalid MongoDB URL ${redactUrl(url)}: ${message.split('\n')[0]}`, 'check --mongo or TENANTADM_MONGO');
  }
  if (onCommand) client.on('commandStarted', (event) => onCommand(event.commandName));
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.close().catch(() => undefined);
    const file = err as { syscall?: string; path?: string; code?: string };
    if (file?.syscall === 'open' && typeof file.path === 'string') {
      // The driver reads tlsCAFile / tlsCertificateKeyFile when it connects.
      throw new UsageError(`cannot read ${file.path}, named in the MongoDB URL (${file.code ?? 'error'})`, 'check tlsCAFile / tlsCertificateKeyFile in --mongo or TENANTADM_MONGO');
    }
    throw translateDriverError(err, url, timeoutMs);
  }
}

/** Typed errors for driver errors (see errors.ts); anything else is returned as it is. */
export function translateDriverError(err: unknown, url?: string, timeoutMs?: number): TenantadmError | unknown {
  return translateDatabaseError(err, { ...(url ? { target: redactUrl(url) } : {}), ...(timeoutMs ? { timeoutMs } : {}) }) ?? err;
}
