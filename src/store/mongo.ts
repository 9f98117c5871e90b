/**
 * Connection handling and driver-error translation. The mongodb driver is loaded here
 * only, and only when a command needs the database, so `--help` stays fast.
 */
import type { MongoClient, MongoClientOptions } from 'mongodb';
import { ConflictError, TenantadmError, UnreachableError } from '../errors';
import { redactUrl } from '../config';

export type MongoModule = typeof import('mongodb');

let driver: MongoModule | undefined;
export function mongo(): MongoModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  driver ??= require('mongodb') as MongoModule;
  return driver;
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
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: Math.max(timeoutMs * 6, 30_000),
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
    throw new UnreachableError(
      `invalid MongoDB URL ${redactUrl(url)}: ${(err as Error).message}`,
      'check --mongo or TENANTADM_MONGO',
    );
  }
  if (onCommand) client.on('commandStarted', (event) => onCommand(event.commandName));
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.close().catch(() => undefined);
    throw translateDriverError(err, url, timeoutMs);
  }
}

const UNREACHABLE = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
]);

/** Turn driver errors into typed ones; duplicates become conflicts, lost servers exit 6. */
export function translateDriverError(err: unknown, url?: string, timeoutMs?: number): TenantadmError | unknown {
  if (err instanceof TenantadmError) return err;
  const e = err as { name?: string; code?: number; message?: string; keyValue?: Record<string, unknown> };
  if (e?.name && UNREACHABLE.has(e.name)) {
    const where = url ? ` at ${redactUrl(url)}` : '';
    const within = timeoutMs ? ` within ${timeoutMs} ms` : '';
    return new UnreachableError(
      `cannot reach MongoDB${where}${within}: ${firstLine(e.message ?? e.name)}`,
      'check that the server is running and that --mongo / TENANTADM_MONGO points at it; raise --timeout for a slow link',
    );
  }
  if (e?.code === 11000) {
    return new ConflictError(`already exists: ${describeKey(e.keyValue)}`, undefined, { key: e.keyValue });
  }
  if (e?.code === 13 || e?.code === 18) {
    return new UnreachableError(
      `MongoDB refused the credentials or the operation: ${firstLine(e.message ?? '')}`,
      'check the user and password in the MongoDB URL and its roles',
    );
  }
  return err;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function describeKey(key: Record<string, unknown> | undefined): string {
  if (!key) return 'a document with the same unique key';
  return Object.entries(key)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
}
