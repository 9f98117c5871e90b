/**
 * Global configuration: flags first, then environment variables, then Mender's defaults.
 * Every variable listed here is documented in README.md and man/tenantadm.1.
 */
import os from 'node:os';
import { UsageError } from './errors';

export interface Config {
  mongoUrl: string;
  timeoutMs: number;
  db: { tenantadm: string; useradm: string; deviceauth: string; audit: string };
  auditCollection: string;
  keyFile?: string;
  redisUrl?: string;
  redisKeyPrefix?: string;
  actor: string;
  errorFormat: 'text' | 'json';
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
  actor?: string;
  errorFormat?: string;
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
  redisUrl: 'DEVICEAUTH_REDIS',
  actor: 'TENANTADM_ACTOR',
  errorFormat: 'TENANTADM_ERROR_FORMAT',
} as const;

export const DEFAULTS = {
  mongo: 'mongodb://localhost:27017',
  timeoutMs: 5000,
  tenantadmDb: 'tenantadm',
  useradmDb: 'useradm',
  deviceauthDb: 'deviceauth',
  auditDb: 'auditlogs',
  auditCollection: 'tenantadm_audit',
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

  const mongoUrl = pick(flags.mongo, env[ENV.mongo]) ?? DEFAULTS.mongo;
  if (!/^mongodb(\+srv)?:\/\//.test(mongoUrl)) {
    throw new UsageError(
      `invalid MongoDB URL "${redactUrl(mongoUrl)}"`,
      `it must start with mongodb:// or mongodb+srv:// (set --mongo or ${ENV.mongo})`,
    );
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
    redisUrl: pick(flags.redisUrl, env[ENV.redisUrl]),
    actor: pick(flags.actor, env[ENV.actor]) ?? defaultActor(),
    errorFormat,
  };
}

/** A URL fit to print: user info replaced, so a password in it never reaches a terminal or log. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/)[^@/]*@/i, '$1***@');
}
