/**
 * Device-auth caches each tenant's limits in Redis; a limit written to the database takes
 * effect only once its cached copy is invalidated. This knows device-auth's key formats and
 * invalidates the way Mender itself does, so tenantadm and Mender never disagree on the cache.
 */
import type { RedisOptions } from 'ioredis';
import type { Config, SchemaProfileName } from '../config';
import type { LimitKind } from '../domain/tenant';
import { describeRedisTarget, parseRedisUrl, withRedis } from './redis';
import { servedBy } from './services';

/** Mender's `CacheInvalidValue` / `CacheInvalidValueExpiration` (backend/pkg/redis/redis.go, main). */
export const INVALID_VALUE = '';
export const INVALID_VALUE_TTL_SEC = 10;

/**
 * deviceauth caches a limit for `DefaultExpire`, three hours: SetLimit ignores the configured
 * DEVICEAUTH_REDIS_LIMITS_EXPIRE_SEC (cache/cache.go, v4.1.3 and main).
 */
export const LIMIT_CACHE_TTL_HOURS = 3;

export function limitCacheKey(prefix: string, profile: SchemaProfileName, tenantId: string, kind: LimitKind): string {
  return profile === 'v2' ? `${prefix}:tenant:${tenantId}:limit:v2:${kind}` : `${prefix}:tenant:${tenantId}:limit:${kind}`;
}

/** The tenant's cache version, part of every token and check-in key of the tenant. */
export function tenantVersionKey(prefix: string, tenantId: string): string {
  return `${prefix}:tenant:${tenantId}:version`;
}

/**
 * The Redis command each key of a piece of work gets, as Mender runs it. To drop a cached limit
 * main's InvalidateCache writes a short-lived empty value that readers treat as a miss they must
 * not re-cache (`invalid`); v4.1.3 deletes the key (`delete`), and its reader would fail parsing
 * an empty value as a number. SuspendTenant increments the tenant's version (`increment`).
 */
export type CacheCommand = 'invalid' | 'delete' | 'increment';

function commandFor(command: CacheCommand, key: string): string[] {
  if (command === 'invalid') return ['SET', key, INVALID_VALUE, 'EX', String(INVALID_VALUE_TTL_SEC)];
  return command === 'delete' ? ['DEL', key] : ['INCR', key];
}

export type CachePurpose = 'limits' | 'tenant_version';

/**
 * What to run in deviceauth's Redis after a change: planned before the change's commit point and
 * run after it, as a roll-forward step of the change's operation (journal.ts `cache`), so a
 * process killed in between leaves it to `repair` or the next command. Running it twice is
 * harmless (an invalid value written again, a version moved once more). Kept as keys and one
 * command name: the journal document holds no nested arrays (FerretDB refuses them).
 */
export interface CacheWork {
  purpose: CachePurpose;
  command: CacheCommand;
  keys: string[];
}

/** The commands of a piece of work, one per key. */
export function cacheCommands(work: CacheWork): string[][] {
  return work.keys.map((key) => commandFor(work.command, key));
}

type Ran = { purpose: CachePurpose; keys: string[]; commands: string[][] };

export type CacheOutcome =
  /** Redis ran the commands: the new values are live. */
  | ({ state: 'invalidated' } & Ran)
  /** No Redis URL: device-auth may serve stale data until it expires. */
  | ({ state: 'not_configured' } & Ran)
  /** Redis failed: the database change stands; the commands must be run by hand. */
  | ({ state: 'failed'; reason: string; url: string } & Ran);

export class LimitCache {
  private readonly options: RedisOptions | undefined;

  /** Parses the URL at once, so a bad one is a usage error before anything is written. */
  constructor(
    url: string | undefined,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {
    this.options = url === undefined ? undefined : parseRedisUrl(url);
  }

  /** The commands that drop the cached copies of these limits. */
  invalidation(entries: { tenantId: string; kind: LimitKind }[], profile: SchemaProfileName): CacheWork {
    const keys = [...new Set(entries.map((e) => limitCacheKey(this.prefix, profile, e.tenantId, e.kind)))];
    return { purpose: 'limits', command: profile === 'v2' ? 'invalid' : 'delete', keys };
  }

  /** Mender's SuspendTenant: INCR the tenant version, orphaning the tenant's cached tokens and check-in times. */
  versionBump(tenantIds: string[]): CacheWork {
    const keys = [...new Set(tenantIds)].map((tid) => tenantVersionKey(this.prefix, tid));
    return { purpose: 'tenant_version', command: 'increment', keys };
  }

  invalidate(entries: { tenantId: string; kind: LimitKind }[], profile: SchemaProfileName): Promise<CacheOutcome> {
    return this.run(this.invalidation(entries, profile));
  }

  bumpTenantVersion(tenantIds: string[]): Promise<CacheOutcome> {
    return this.run(this.versionBump(tenantIds));
  }

  /** All commands in one pipeline, one round trip however many tenants a plan touches. */
  async run(work: CacheWork): Promise<CacheOutcome> {
    const commands = cacheCommands(work);
    const ran: Ran = { purpose: work.purpose, keys: work.keys, commands };
    const options = this.options;
    if (!options) return { state: 'not_configured', ...ran };
    if (commands.length === 0) return { state: 'invalidated', ...ran };
    try {
      await withRedis(options, this.timeoutMs, async (client) => {
        // ioredis names its command methods in lower case.
        const replies = await client.pipeline(commands.map(([name, ...args]) => [name!.toLowerCase(), ...args])).exec();
        const refused = (replies ?? []).find(([err]) => err !== null)?.[0];
        if (refused) throw refused;
        if (replies?.length !== commands.length) throw new Error('Redis did not answer every command');
      });
      return { state: 'invalidated', ...ran };
    } catch (err) {
      return { state: 'failed', ...ran, reason: (err as Error).message, url: describeRedisTarget(options) };
    }
  }
}

/** One command as typed into redis-cli (which takes "" as an empty argument). */
function cliCommand(args: string[]): string {
  return args.map((a) => (a === '' ? '""' : a)).join(' ');
}

/** Text as one word for a POSIX shell: as it is when plain, else in single quotes. */
function shellQuoted(s: string): string {
  if (/^[A-Za-z0-9_:.,/{}@%+=-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The commands as one line a person pastes into a shell: redis-cli with the arguments of one
 * command, or several commands piped to it one a line (redis-cli reads them from stdin).
 */
export function pasteableRedisCommand(commands: string[][]): string {
  if (commands.length === 1) return `redis-cli ${commands[0]!.map(shellQuoted).join(' ')}`;
  return `printf '%s\\n' ${commands.map((c) => shellQuoted(cliCommand(c))).join(' ')} | redis-cli`;
}

/** The stderr line for an outcome that leaves stale data in the cache (null when all is well). */
export function staleCacheWarning(outcome: CacheOutcome): string | null {
  if (outcome.state === 'invalidated' || outcome.commands.length === 0) return null;
  const stale =
    outcome.purpose === 'limits'
      ? `device-auth may serve the old limit for up to ${LIMIT_CACHE_TTL_HOURS} hours (its cache lifetime for limits)`
      : "device-auth may keep using the tenant's cached device tokens until they expire";
  const run = `run (with redis-cli's -h, -p, -n or -u for device-auth's Redis): ${pasteableRedisCommand(outcome.commands)}`;
  if (outcome.state === 'not_configured') {
    return `no --redis-url / DEVICEAUTH_REDIS_CONNECTION_STRING given: ${stale}; to apply the change now ${run}`;
  }
  const what = outcome.purpose === 'limits' ? 'the limit is written, but invalidating its cache' : 'the change is written, but bumping the tenant cache version';
  return `${what} in Redis at ${outcome.url} failed (${outcome.reason}); ${stale}: ${run}`;
}

/** What became of deviceauth's cached copy of a changed limit: 'service' when its own API wrote it. */
export type RefreshState = CacheOutcome['state'] | 'service';

/**
 * The one thing to do after a limit or tenant change so that deviceauth sees it: nothing when
 * its API made the change; else invalidate the cached limits or bump the tenants' cache version
 * in its Redis, and warn (the prefix is main's) when that could not be done. A command plans the
 * work (`limits`, `tenants`) before its commit point and adds it to its operation as a
 * roll-forward step; whoever finishes the operation (the command, `repair`, the next command)
 * runs it with `run`, so a kill after the commit point never leaves the old values served
 * without a warning.
 */
export class LimitRefresh {
  readonly throughApi: boolean;
  private readonly cache: LimitCache;
  /** What the last run of each purpose did in this process (for the command's output). */
  readonly outcomes = new Map<CachePurpose, CacheOutcome['state']>();

  /** Parses the Redis URL at once, so a bad one is a usage error before anything is written. */
  constructor(
    config: Pick<Config, 'redisUrl' | 'redisKeyPrefix' | 'timeoutMs' | 'services'>,
    private readonly warn: (message: string) => void,
  ) {
    // deviceauth keeps its own cache right when its API made the change (services.ts decides which).
    this.throughApi = servedBy(config.services, 'deviceauth');
    this.cache = new LimitCache(config.redisUrl, config.redisKeyPrefix, config.timeoutMs);
  }

  /**
   * The work after limits are written (or removed with their tenants): `profile` names the cache
   * keys and is read only when the tool writes them; a profile that cannot be told leaves the
   * cached copies to expire, with a warning about `whose` limits. Null: nothing for the tool to do.
   */
  async limits(entries: { tenantId: string; kind: LimitKind }[], profile: () => Promise<SchemaProfileName>, whose = "the tenants'"): Promise<CacheWork | null> {
    if (entries.length === 0 || this.throughApi) return null;
    let name: SchemaProfileName;
    try {
      name = await profile();
    } catch {
      this.warn(`deviceauth's schema profile is unknown, so ${whose} cached limits were not invalidated; they expire within ${LIMIT_CACHE_TTL_HOURS} hours`);
      return null;
    }
    return this.cache.invalidation(entries, name);
  }

  /** The work after tenants are suspended or removed: deviceauth's SuspendTenant moves their cache version (its API does so itself). */
  tenants(tenantIds: string[]): CacheWork | null {
    if (tenantIds.length === 0 || this.throughApi) return null;
    return this.cache.versionBump(tenantIds);
  }

  /** Run planned work (a roll-forward step); warns when the old values may still be served. */
  async run(work: CacheWork): Promise<CacheOutcome['state']> {
    const outcome = await this.cache.run(work);
    const warning = staleCacheWarning(outcome);
    if (warning) this.warn(warning);
    this.outcomes.set(work.purpose, outcome.state);
    return outcome.state;
  }

  /** What became of the cached copies of `purpose` in this process: 'service' through the API, null when nothing ran. */
  state(purpose: CachePurpose): RefreshState | null {
    if (this.throughApi) return 'service';
    return this.outcomes.get(purpose) ?? null;
  }
}
