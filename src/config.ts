/**
 * Global configuration: flags first, then environment variables, then Mender's defaults.
 * The variables are those of the one table in environment.ts (documented in
 * docs/configuration.md and man/tenantadm.1 from it).
 */
import fs from 'node:fs';
import os from 'node:os';
import { UsageError } from './errors';
import { registerSecret } from './secrets';
import { DB_NAME } from './domain/databases';
import type { Format } from './output';
import { schemaOf, type OptionDecls, type OptionsOf } from './options';
import { validateFlags } from './validate';
import { DEFAULTS, ENV } from './environment';
import { TOKEN_FORMATS, type TokenFormat } from './domain/token-format';

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
  /** The MongoDB URL as it may be printed: no credentials, no options. */
  mongoTarget: string;
  /** From TENANTADM_MONGO_USERNAME / _PASSWORD (Mender's own names), never from argv. */
  mongoAuth?: { username: string; password?: string };
  timeoutMs: number;
  db: { tenantadm: string; useradm: string; deviceauth: string; audit: string };
  auditCollection: string;
  keyFile?: string;
  /** The key file was given with --key-file (not only by the environment, as the container image sets it). */
  keyFileFromFlag?: boolean;
  /** The format of new tenant tokens when forced (--token-format or the variable); detected from the stored tokens otherwise. */
  tokenFormat?: { format: TokenFormat; source: 'flag' | 'environment' };
  redisUrl?: string;
  redisKeyPrefix: string;
  /** Forced limit semantics; detected from deviceauth.migration_info when absent. */
  menderSchema?: SchemaProfileName;
  services: ServiceAddresses;
  /** Mender's workflows service: when set, audit entries are delivered to Mender's audit log too (mender/workflows.ts). */
  orchestrator?: string;
  actor: string;
  errorFormat: 'text' | 'json';
  /** Never prompt (`--no-input` or TENANTADM_NO_INPUT): what would be asked is exit 2 instead. */
  noInput: boolean;
}

/**
 * The global flags resolveConfig reads, as text: the parser has checked the flags, but the
 * same values also come from the environment, so they are checked here once for both.
 */
export type ConfigFlags = { [K in keyof GlobalFlags as GlobalFlags[K] extends string | undefined ? K : never]?: string } & {
  /** false with `--no-input`. */
  input?: boolean;
};

export { DEFAULTS, ENVIRONMENT, ENV } from './environment';

// ---------------------------------------------------------------------------------------
// Global options: valid before or after the command. Each mirrors an entry of ENVIRONMENT
// (the flag wins over the variable); --help, the man page and completion are generated from them.

/** What -o accepts. */
export const FORMATS = ['json', 'ndjson', 'table', 'csv'] as const satisfies readonly Format[];

export const globalOptions = {
  mongo: { type: 'string', arg: 'url', help: `MongoDB URL (env ${ENV.mongo}, default ${DEFAULTS.mongo})` },
  timeout: { type: 'string', arg: 'ms', help: `connect and server-selection timeout, 100-600000 (env ${ENV.timeout}, default ${DEFAULTS.timeoutMs})` },
  tenantadmDb: { type: 'string', arg: 'name', help: `tenant database (env ${ENV.tenantadmDb}, default ${DEFAULTS.tenantadmDb})` },
  useradmDb: { type: 'string', arg: 'name', help: `user database (env ${ENV.useradmDb}, default ${DEFAULTS.useradmDb})` },
  deviceauthDb: { type: 'string', arg: 'name', help: `device-auth database (env ${ENV.deviceauthDb}, default ${DEFAULTS.deviceauthDb})` },
  auditDb: { type: 'string', arg: 'name', help: `audit database (env ${ENV.auditDb}, default ${DEFAULTS.auditDb})` },
  auditCollection: { type: 'string', arg: 'name', help: `audit collection (env ${ENV.auditCollection}, default ${DEFAULTS.auditCollection})` },
  keyFile: { type: 'string', arg: 'file', file: true, help: `RSA private key that signs tenant tokens (env ${ENV.keyFile})` },
  tokenFormat: {
    type: 'enum',
    arg: 'format',
    values: TOKEN_FORMATS,
    help: `format of new tenant tokens: jwt (Mender 3.x, signed with the key) or opaque (Enterprise 4.x, no key); detected from the stored tokens when not given (env ${ENV.tokenFormat})`,
  },
  redisUrl: {
    type: 'string',
    arg: 'url',
    help: `device-auth's Redis, to invalidate cached limits (env ${ENV.redisUrl}), e.g. redis://host:6379/0; a password is better kept in the environment`,
  },
  redisKeyPrefix: { type: 'string', arg: 'prefix', help: `device-auth's cache key prefix (env ${ENV.redisKeyPrefix}, default ${DEFAULTS.redisKeyPrefix})` },
  menderSchema: {
    type: 'enum',
    arg: 'profile',
    values: SCHEMA_PROFILES,
    help: `limit semantics: legacy (Mender <= 4.1: 0 unlimited) or v2 (-1 unlimited, 0 none); detected from deviceauth when not given (env ${ENV.menderSchema})`,
  },
  deviceauthAddr: { type: 'string', arg: 'url', help: `device-auth service, e.g. http://mender-device-auth:8080 (env ${ENV.deviceauthAddr})` },
  useradmAddr: { type: 'string', arg: 'url', help: `user service, e.g. http://mender-useradm:8080 (env ${ENV.useradmAddr})` },
  deploymentsAddr: { type: 'string', arg: 'url', help: `deployments service, e.g. http://mender-deployments:8080 (env ${ENV.deploymentsAddr})` },
  orchestratorAddr: {
    type: 'string',
    arg: 'url',
    help: `Mender's workflows service, e.g. http://mender-workflows-server:8080: audit entries also go to Mender's audit log (env ${ENV.orchestratorAddr})`,
  },
  actor: { type: 'string', arg: 'name', help: `who is acting, for the audit log (env ${ENV.actor}, default user@host)` },
  output: { type: 'enum', arg: 'format', short: 'o', values: FORMATS, help: `output format (default json; on a terminal, env ${ENV.output})` },
  ndjson: { type: 'boolean', help: 'same as -o ndjson: one JSON object a line' },
  wide: { type: 'boolean', help: 'tables: show every value whole instead of fitting the terminal width' },
  quiet: { type: 'boolean', short: 'q', help: 'no progress line, notices or warnings on stderr (errors still are; doctor lists the standing warnings)' },
  input: {
    type: 'boolean',
    help: 'prompts are allowed on a terminal (the default)',
    negate: `never prompt (confirmations, passwords): what would be asked is exit 2; give --yes or a password source (env ${ENV.noInput}=1)`,
  },
  errorFormat: { type: 'enum', arg: 'format', values: ['text', 'json'], help: `how errors are written (env ${ENV.errorFormat}, default text)` },
} as const satisfies OptionDecls;

export type GlobalFlags = OptionsOf<typeof globalOptions>;

/** The global flags, validated like a command's. */
export function validateGlobals(flags: Record<string, unknown>): GlobalFlags {
  return validateFlags<GlobalFlags>(schemaOf(globalOptions), flags, globalOptions, []);
}

function pick(flag: string | undefined, env: string | undefined): string | undefined {
  if (flag !== undefined && flag !== '') return flag;
  if (env !== undefined && env !== '') return env;
  return undefined;
}

export function defaultActor(env: NodeJS.ProcessEnv): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    user = env[ENV.user] ?? 'unknown';
  }
  return `${user}@${os.hostname()}`;
}

/**
 * Resolve the global configuration; invalid values are usage errors (exit 2). Every password
 * found is registered with secrets.ts so no message can print it; `warn` hears about
 * passwords given on the command line (main's warn: it adds the `tenantadm: warning:` prefix).
 */
export function resolveConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv, warn: (line: string) => void = () => undefined): Config {
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

  const dbName = (flag: string | undefined, fromEnv: string | undefined, fallback: string, what: string): string => {
    const value = pick(flag, fromEnv) ?? fallback;
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

  // Warned before the URL is checked: a refused URL was in the process list all the same.
  if (flags.mongo !== undefined && mongoUrlHasPassword(flags.mongo)) {
    warn(
      '--mongo carries a password, which other users see in the process list (ps) and which stays in shell history; ' +
        `set ${ENV.mongo} instead, or ${ENV.mongoUsername} with ${ENV.mongoPassword} or ${ENV.mongoPasswordFile} (a file only you can read)`,
    );
  }
  const mongo = parseMongoUrl(pick(flags.mongo, env[ENV.mongo]) ?? DEFAULTS.mongo);
  const username = pick(undefined, env[ENV.mongoUsername]);
  const password = mongoPassword(env);
  if (password !== undefined && username === undefined) {
    throw new UsageError(`${ENV.mongoPassword} is set without ${ENV.mongoUsername}`, 'set both, or put the user in the MongoDB URL');
  }
  const redisUrl = pick(flags.redisUrl, env[ENV.redisUrl]) ?? pick(undefined, env[ENV.redisUrlOld]);
  if (redisUrl !== undefined) {
    const redisPassword = redisUrlPassword(redisUrl);
    registerSecret(redisPassword);
    if (redisPassword !== undefined && flags.redisUrl !== undefined && flags.redisUrl !== '') {
      warn(
        '--redis-url carries a password, which other users see in the process list (ps) and which stays in shell history; ' +
          `set ${ENV.redisUrl} (device-auth's own variable) instead`,
      );
    }
  }

  const menderSchema = pick(flags.menderSchema, env[ENV.menderSchema]);
  if (menderSchema !== undefined && !(SCHEMA_PROFILES as readonly string[]).includes(menderSchema)) {
    throw new UsageError(
      `invalid Mender schema "${menderSchema}"`,
      `use legacy (Mender 4.1 and earlier: 0 means unlimited) or v2 (deviceauth 2.0.2 and later: -1 unlimited, 0 none), with --mender-schema or ${ENV.menderSchema}`,
    );
  }
  const tokenFormat = pick(flags.tokenFormat, env[ENV.tokenFormat]);
  if (tokenFormat !== undefined && !(TOKEN_FORMATS as readonly string[]).includes(tokenFormat)) {
    throw new UsageError(`invalid token format "${tokenFormat}"`, `use jwt (Mender 3.x) or opaque (Mender Server Enterprise 4.x), with --token-format or ${ENV.tokenFormat}`);
  }
  const redisKeyPrefix = pick(flags.redisKeyPrefix, env[ENV.redisKeyPrefix]) ?? DEFAULTS.redisKeyPrefix;
  if (/\s/.test(redisKeyPrefix)) {
    throw new UsageError(`invalid Redis key prefix "${redisKeyPrefix}"`, `give device-auth's DEVICEAUTH_REDIS_KEY_PREFIX (default ${DEFAULTS.redisKeyPrefix})`);
  }

  const orchestrator = serviceAddress(pick(flags.orchestratorAddr, env[ENV.orchestratorAddr]), '--orchestrator-addr', ENV.orchestratorAddr);
  return {
    mongoUrl: mongo.url,
    mongoTarget: mongo.target,
    timeoutMs,
    db: {
      tenantadm: dbName(flags.tenantadmDb, env[ENV.tenantadmDb], DEFAULTS.tenantadmDb, 'tenantadm'),
      useradm: dbName(flags.useradmDb, env[ENV.useradmDb], DEFAULTS.useradmDb, 'useradm'),
      deviceauth: dbName(flags.deviceauthDb, env[ENV.deviceauthDb], DEFAULTS.deviceauthDb, 'deviceauth'),
      audit: dbName(flags.auditDb, env[ENV.auditDb], DEFAULTS.auditDb, 'audit'),
    },
    auditCollection,
    keyFile: pick(flags.keyFile, env[ENV.keyFile]),
    ...(flags.keyFile !== undefined && flags.keyFile !== '' ? { keyFileFromFlag: true } : {}),
    ...(tokenFormat !== undefined
      ? { tokenFormat: { format: tokenFormat as TokenFormat, source: flags.tokenFormat !== undefined && flags.tokenFormat !== '' ? ('flag' as const) : ('environment' as const) } }
      : {}),
    ...(username !== undefined ? { mongoAuth: { username, ...(password !== undefined ? { password } : {}) } } : {}),
    redisUrl,
    redisKeyPrefix,
    ...(menderSchema !== undefined ? { menderSchema: menderSchema as SchemaProfileName } : {}),
    services: {
      deviceauth: serviceAddress(pick(flags.deviceauthAddr, env[ENV.deviceauthAddr]), '--deviceauth-addr', ENV.deviceauthAddr),
      useradm: serviceAddress(pick(flags.useradmAddr, env[ENV.useradmAddr]), '--useradm-addr', ENV.useradmAddr),
      deployments: serviceAddress(pick(flags.deploymentsAddr, env[ENV.deploymentsAddr]), '--deployments-addr', ENV.deploymentsAddr),
    },
    ...(orchestrator !== undefined ? { orchestrator } : {}),
    actor: pick(flags.actor, env[ENV.actor]) ?? defaultActor(env),
    errorFormat,
    noInput: flags.input === false || /^(1|true|yes)$/i.test(env[ENV.noInput] ?? ''),
  };
}

/** TENANTADM_MONGO_PASSWORD, or the content of TENANTADM_MONGO_PASSWORD_FILE (one trailing newline dropped). */
function mongoPassword(env: NodeJS.ProcessEnv): string | undefined {
  const direct = pick(undefined, env[ENV.mongoPassword]);
  const file = pick(undefined, env[ENV.mongoPasswordFile]);
  if (direct !== undefined && file !== undefined) {
    throw new UsageError(`both ${ENV.mongoPassword} and ${ENV.mongoPasswordFile} are set`, 'set one of them');
  }
  if (file === undefined) {
    registerSecret(direct);
    return direct;
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new UsageError(`cannot read ${ENV.mongoPasswordFile} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  registerSecret(text);
  return text;
}

/** The raw (still percent-encoded) password of a redis:// URL, found the way URL parsers do: up to the last `@` of the authority. */
function redisUrlPassword(raw: string): string | undefined {
  try {
    const password = new URL(raw).password;
    return password === '' ? undefined : password;
  } catch {
    // parseRedisUrl refuses it later, without quoting it; hide whatever could be a password meanwhile.
    const userinfo = /^[a-z][a-z0-9+.-]*:\/\/(.*)@/i.exec(raw)?.[1];
    const colon = userinfo?.indexOf(':') ?? -1;
    return userinfo !== undefined && colon >= 0 ? userinfo.slice(colon + 1) : undefined;
  }
}

/** A MongoDB URL in its parts, the credentials ending at the last `@`. */
interface MongoUrlParts {
  scheme: 'mongodb' | 'mongodb+srv';
  /** `user[:password]` as written (percent-encoded), when there is an `@`. */
  userinfo?: string;
  /** `host[:port][,host[:port]...]`. */
  hosts: string;
  /** The database after the first `/`, if any. */
  database: string;
  /** The query string after `?`, if any. */
  query: string;
}

/**
 * Split a MongoDB URL. The credentials end at the LAST `@`: a password with an unescaped `@`
 * (or `/` or `:`) then stays whole, so it is refused and hidden as a whole, never shown in
 * part as a host name. (An `@` in an option value must be written %40 for the same reason.)
 */
function splitMongoUrl(url: string): MongoUrlParts | undefined {
  const scheme = /^(mongodb(?:\+srv)?):\/\//i.exec(url);
  if (!scheme) return undefined;
  const rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  const afterAuth = at < 0 ? rest : rest.slice(at + 1);
  const hostEnd = afterAuth.search(/[/?]/);
  const hosts = hostEnd < 0 ? afterAuth : afterAuth.slice(0, hostEnd);
  const tail = hostEnd < 0 ? '' : afterAuth.slice(hostEnd);
  const q = tail.indexOf('?');
  const path = q < 0 ? tail : tail.slice(0, q);
  return {
    scheme: scheme[1]!.toLowerCase() as MongoUrlParts['scheme'],
    ...(at < 0 ? {} : { userinfo: rest.slice(0, at) }),
    hosts,
    database: path.replace(/^\//, ''),
    query: q < 0 ? '' : tail.slice(q + 1),
  };
}

const URL_HINT = `give mongodb://host[:port][,host...][/database][?options], mongodb+srv://name or host:port, with user:password@ before the host (set ${ENV.mongo}, or --mongo)`;

/** Options of the MongoDB URL whose values are secrets of their own. */
function registerOptionSecrets(query: string): void {
  for (const [key, value] of new URLSearchParams(query)) {
    if (/password|secret|token/i.test(key)) registerSecret(value);
    if (key.toLowerCase() === 'authmechanismproperties') {
      for (const pair of value.split(',')) {
        const colon = pair.indexOf(':');
        if (colon > 0 && /password|secret|token|key/i.test(pair.slice(0, colon))) registerSecret(pair.slice(colon + 1));
      }
    }
  }
}

/** Whether a MongoDB URL (as given, scheme or not) carries a password. */
function mongoUrlHasPassword(raw: string): boolean {
  const text = raw.trim();
  const userinfo = splitMongoUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text.replace(/^[a-z][a-z0-9+.-]*:/i, 'mongodb:') : `mongodb://${text}`)?.userinfo;
  const colon = userinfo?.indexOf(':') ?? -1;
  return userinfo !== undefined && colon >= 0 && colon < userinfo.length - 1;
}

/**
 * Check a MongoDB URL before the driver sees it, and register its secrets. What is refused is
 * a usage error (exit 2) whose message never quotes the URL: credentials with characters that
 * must be percent-encoded, no host, a port outside 1-65535, an SRV name with a port or a list.
 */
export function parseMongoUrl(raw: string): { url: string; target: string } {
  const url = normalizeMongoUrl(raw);
  const parts = splitMongoUrl(url)!;
  if (parts.userinfo !== undefined) {
    const colon = parts.userinfo.indexOf(':');
    const user = colon < 0 ? parts.userinfo : parts.userinfo.slice(0, colon);
    const password = colon < 0 ? undefined : parts.userinfo.slice(colon + 1);
    registerSecret(password);
    if (/[@/?#[\]:]/.test(user) || (password !== undefined && /[@/?#[\]:]/.test(password)) || /%(?![0-9a-fA-F]{2})/.test(parts.userinfo)) {
      throw new UsageError(
        'the user name or password in the MongoDB URL has characters that must be percent-encoded',
        'percent-encode them (@ %40, / %2F, : %3A, % %25, ? %3F, # %23; an @ in an option value too), ' +
          `or give the credentials with ${ENV.mongoUsername} and ${ENV.mongoPassword}`,
      );
    }
  }
  registerOptionSecrets(parts.query);
  if (parts.hosts === '') throw new UsageError('the MongoDB URL names no host', URL_HINT);
  const hosts = parts.hosts.split(',');
  for (const host of hosts) {
    const m = /^(\[[^\]]*\]|[^:[\]]*)(?::(.*))?$/.exec(host);
    if (!m || m[1] === '') throw new UsageError('the MongoDB URL has an empty or malformed host', URL_HINT);
    const port = m[2];
    if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
      throw new UsageError(`the MongoDB URL has an invalid port "${port}" (1-65535)`, URL_HINT);
    }
    if (parts.scheme === 'mongodb+srv' && (port !== undefined || hosts.length > 1)) {
      throw new UsageError('a mongodb+srv:// URL names one host, without a port', URL_HINT);
    }
  }
  return { url, target: describeMongoUrl(parts) };
}

function describeMongoUrl(parts: MongoUrlParts): string {
  return `${parts.scheme}://${parts.userinfo !== undefined ? '***@' : ''}${parts.hosts}${parts.database ? `/${parts.database}` : ''}`;
}

/**
 * Mender's services take `TENANTADM_MONGO=mender-mongo:27017` (no scheme) as well as a full
 * URL; both work here. Anything else with a scheme is refused.
 */
export function normalizeMongoUrl(raw: string): string {
  const url = raw.trim();
  if (/^mongodb(\+srv)?:\/\//i.test(url)) return url;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && /^[^\s/?#]+(\/[^\s]*)?$/.test(url)) return `mongodb://${url}`;
  throw new UsageError(`invalid MongoDB URL "${redactUrl(url)}"`, URL_HINT);
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

/**
 * A URL fit to print: credentials replaced, and for MongoDB URLs the options dropped (some
 * carry secrets: tlsCertificateKeyFilePassword, AWS session tokens).
 */
export function redactUrl(url: string): string {
  const parts = splitMongoUrl(url);
  if (parts) return describeMongoUrl(parts);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (!scheme) return url;
  const rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  return at < 0 ? url : `${scheme[0]}***@${rest.slice(at + 1)}`;
}
