/**
 * Global configuration: flags first, then environment variables, then Mender's defaults.
 * Every variable listed here is documented in README.md and man/tenantadm.1.
 */
import os from 'node:os';
import { UsageError } from './errors';

export type SchemaProfileName = 'legacy' | 'v2';
export const SCHEMA_PROFILES: readonly SchemaProfileName[] = ['legacy', 'v2'];

/** Where Mender's services answer, when the tool runs next to them (e.g. in the tenantadm container). */
export interface ServiceAddresses {
  deviceauth?: string;
  useradm?: string;
  deployments?: string;
}

export interface Config {
  mongoUrl: string;
  /** From TENANTADM_MONGO_USERNAME / _PASSWORD (Mender's own names), never from argv. */
  mongoAuth?: { username: string; password?: string };
  timeoutMs: number;
  db: { tenantadm: string; useradm: string; deviceauth: string; audit: string };
  auditCollection: string;
  keyFile?: string;
  redisUrl?: string;
  redisKeyPrefix: string;
  /** Forced limit semantics; detected from deviceauth.migration_info when absent. */
  menderSchema?: SchemaProfileName;
  services: ServiceAddresses;
  actor: string;
  errorFormat: 'text' | 'json';
  /** Never prompt (`--no-input` or TENANTADM_NO_INPUT): what would be asked is exit 2 instead. */
  noInput: boolean;
}

export interface GlobalFlags {
  mongo?: string;
  timeout?: string;
  tenantadmDb?: string;
  useradmDb?: string;
  deviceauthDb?: string;
  auditDb?: string;
  auditCollection?: string;
  keyFile?: string;
  redisUrl?: string;
  redisKeyPrefix?: string;
  menderSchema?: string;
  deviceauthAddr?: string;
  useradmAddr?: string;
  deploymentsAddr?: string;
  actor?: string;
  errorFormat?: string;
  /** false with `--no-input`. */
  input?: boolean;
}

export const ENV = {
  mongo: 'TENANTADM_MONGO',
  timeout: 'TENANTADM_TIMEOUT_MS',
  tenantadmDb: 'TENANTADM_DB',
  useradmDb: 'TENANTADM_USERADM_DB',
  deviceauthDb: 'TENANTADM_DEVICEAUTH_DB',
  auditDb: 'TENANTADM_AUDIT_DB',
  auditCollection: 'TENANTADM_AUDIT_COLLECTION',
  keyFile: 'TENANTADM_SERVER_PRIV_KEY_PATH',
  redisUrl: 'DEVICEAUTH_REDIS_CONNECTION_STRING',
  /** The name earlier releases of this tool read; still honoured. */
  redisUrlOld: 'DEVICEAUTH_REDIS',
  redisKeyPrefix: 'DEVICEAUTH_REDIS_KEY_PREFIX',
  mongoUsername: 'TENANTADM_MONGO_USERNAME',
  mongoPassword: 'TENANTADM_MONGO_PASSWORD',
  menderSchema: 'TENANTADM_MENDER_SCHEMA',
  deviceauthAddr: 'TENANTADM_DEVICEAUTH_ADDR',
  useradmAddr: 'TENANTADM_USERADM_ADDR',
  deploymentsAddr: 'TENANTADM_DEPLOYMENTS_ADDR',
  actor: 'TENANTADM_ACTOR',
  errorFormat: 'TENANTADM_ERROR_FORMAT',
  noInput: 'TENANTADM_NO_INPUT',
} as const;

export const DEFAULTS = {
  mongo: 'mongodb://localhost:27017',
  timeoutMs: 5000,
  tenantadmDb: 'tenantadm',
  useradmDb: 'useradm',
  deviceauthDb: 'deviceauth',
  auditDb: 'auditlogs',
  auditCollection: 'tenantadm_audit',
  redisKeyPrefix: 'deviceauth:v1',
} as const;

const DB_NAME = /^[A-Za-z0-9_-]{1,63}$/;

function pick(flag: string | undefined, env: string | undefined): string | undefined {
  if (flag !== undefined && flag !== '') return flag;
  if (env !== undefined && env !== '') return env;
  return undefined;
}

export function defaultActor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `${user}@${os.hostname()}`;
}

/** Resolve the global configuration; invalid values are usage errors (exit 2). */
export function resolveConfig(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Config {
  const timeoutRaw = pick(flags.timeout, env[ENV.timeout]);
  let timeoutMs: number = DEFAULTS.timeoutMs;
  if (timeoutRaw !== undefined) {
    if (!/^\d+$/.test(timeoutRaw) || Number(timeoutRaw) < 100 || Number(timeoutRaw) > 600_000) {
      throw new UsageError(
        `invalid timeout "${timeoutRaw}"`,
        `give milliseconds between 100 and 600000 with --timeout or ${ENV.timeout}`,
      );
    }
    timeoutMs = Number(timeoutRaw);
  }

  const dbName = (flag: string | undefined, envName: string, fallback: string, what: string): string => {
    const value = pick(flag, env[envName]) ?? fallback;
    if (!DB_NAME.test(value)) {
      throw new UsageError(`invalid ${what} database name "${value}"`, 'use letters, digits, "_" or "-" (at most 63)');
    }
    return value;
  };

  const errorFormat = pick(flags.errorFormat, env[ENV.errorFormat]) ?? 'text';
  if (errorFormat !== 'text' && errorFormat !== 'json') {
    throw new UsageError(`invalid error format "${errorFormat}"`, 'use --error-format text or --error-format json');
  }

  const auditCollection = pick(flags.auditCollection, env[ENV.auditCollection]) ?? DEFAULTS.auditCollection;
  if (!DB_NAME.test(auditCollection)) {
    throw new UsageError(`invalid audit collection name "${auditCollection}"`, 'use letters, digits, "_" or "-"');
  }

  const mongoUrl = normalizeMongoUrl(pick(flags.mongo, env[ENV.mongo]) ?? DEFAULTS.mongo);
  const username = pick(undefined, env[ENV.mongoUsername]);
  const password = pick(undefined, env[ENV.mongoPassword]);
  if (password !== undefined && username === undefined) {
    throw new UsageError(`${ENV.mongoPassword} is set without ${ENV.mongoUsername}`, 'set both, or put the user in the MongoDB URL');
  }

  const menderSchema = pick(flags.menderSchema, env[ENV.menderSchema]);
  if (menderSchema !== undefined && !(SCHEMA_PROFILES as readonly string[]).includes(menderSchema)) {
    throw new UsageError(
      `invalid Mender schema "${menderSchema}"`,
      `use legacy (Mender 4.1 and earlier: 0 means unlimited) or v2 (deviceauth 2.0.2 and later: -1 unlimited, 0 none), with --mender-schema or ${ENV.menderSchema}`,
    );
  }
  const redisKeyPrefix = pick(flags.redisKeyPrefix, env[ENV.redisKeyPrefix]) ?? DEFAULTS.redisKeyPrefix;
  if (/\s/.test(redisKeyPrefix)) {
    throw new UsageError(`invalid Redis key prefix "${redisKeyPrefix}"`, `give device-auth's DEVICEAUTH_REDIS_KEY_PREFIX (default ${DEFAULTS.redisKeyPrefix})`);
  }

  return {
    mongoUrl,
    timeoutMs,
    db: {
      tenantadm: dbName(flags.tenantadmDb, ENV.tenantadmDb, DEFAULTS.tenantadmDb, 'tenantadm'),
      useradm: dbName(flags.useradmDb, ENV.useradmDb, DEFAULTS.useradmDb, 'useradm'),
      deviceauth: dbName(flags.deviceauthDb, ENV.deviceauthDb, DEFAULTS.deviceauthDb, 'deviceauth'),
      audit: dbName(flags.auditDb, ENV.auditDb, DEFAULTS.auditDb, 'audit'),
    },
    auditCollection,
    keyFile: pick(flags.keyFile, env[ENV.keyFile]),
    ...(username !== undefined ? { mongoAuth: { username, ...(password !== undefined ? { password } : {}) } } : {}),
    redisUrl: pick(flags.redisUrl, env[ENV.redisUrl]) ?? pick(undefined, env[ENV.redisUrlOld]),
    redisKeyPrefix,
    ...(menderSchema !== undefined ? { menderSchema: menderSchema as SchemaProfileName } : {}),
    services: {
      deviceauth: serviceAddress(pick(flags.deviceauthAddr, env[ENV.deviceauthAddr]), '--deviceauth-addr', ENV.deviceauthAddr),
      useradm: serviceAddress(pick(flags.useradmAddr, env[ENV.useradmAddr]), '--useradm-addr', ENV.useradmAddr),
      deployments: serviceAddress(pick(flags.deploymentsAddr, env[ENV.deploymentsAddr]), '--deployments-addr', ENV.deploymentsAddr),
    },
    actor: pick(flags.actor, env[ENV.actor]) ?? defaultActor(),
    errorFormat,
    noInput: flags.input === false || /^(1|true|yes)$/i.test(env[ENV.noInput] ?? ''),
  };
}

/**
 * Mender's services take `TENANTADM_MONGO=mender-mongo:27017` (no scheme) as well as a full
 * URL; both work here. Anything else with a scheme is refused.
 */
export function normalizeMongoUrl(raw: string): string {
  const url = raw.trim();
  if (/^mongodb(\+srv)?:\/\//.test(url)) return url;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && /^[^\s/?#]+(\/[^\s]*)?$/.test(url)) return `mongodb://${url}`;
  throw new UsageError(
    `invalid MongoDB URL "${redactUrl(url)}"`,
    `give mongodb://host:port, mongodb+srv://name or host:port (set --mongo or ${ENV.mongo})`,
  );
}

/** A service base URL without its trailing slash; `host:port` gets http:// as in Mender's compose files. */
export function serviceAddress(raw: string | undefined, flag: string, envName: string): string | undefined {
  if (raw === undefined) return undefined;
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw.trim()) ? raw.trim() : `http://${raw.trim()}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`invalid service address "${raw}"`, `give http://host:port with ${flag} or ${envName}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`invalid service address "${raw}"`, `use http:// or https:// with ${flag} or ${envName}`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** A URL fit to print: user info replaced, so a password in it never reaches a terminal or log. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/)[^@/]*@/i, '$1***@');
}
