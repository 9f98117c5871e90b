/**
 * The device-auth service caches each tenant's limits in Redis for three hours; a limit
 * written to the database takes effect only once its key is gone. This knows the key
 * format and deletes keys when a Redis URL is configured.
 */
import type { LimitKind } from '../domain/tenant';
import { redactUrl } from '../config';
import { parseRedisUrl, redisDel, type RedisTarget } from './redis';

export const CACHE_TTL_HOURS = 3;

export function limitCacheKey(tenantId: string, kind: LimitKind): string {
  return `deviceauth:v1:tenant:${tenantId}:limit:v2:${kind}`;
}

export type CacheOutcome =
  /** The keys were deleted: the new limits are live. */
  | { state: 'deleted'; keys: string[] }
  /** No Redis URL: the old limits may be served until the keys expire. */
  | { state: 'not_configured'; keys: string[] }
  /** Redis failed: the database change stands; the keys must be deleted by hand. */
  | { state: 'failed'; keys: string[]; reason: string; url: string };

export class LimitCache {
  private readonly target: RedisTarget | undefined;

  /** Parses the URL at once, so a bad one is a usage error before anything is written. */
  constructor(
    private readonly url: string | undefined,
    private readonly timeoutMs: number,
  ) {
    this.target = url === undefined ? undefined : parseRedisUrl(url);
  }

  get configured(): boolean {
    return this.target !== undefined;
  }

  async invalidate(entries: { tenantId: string; kind: LimitKind }[]): Promise<CacheOutcome> {
    const keys = [...new Set(entries.map((e) => limitCacheKey(e.tenantId, e.kind)))];
    if (!this.target || !this.url) return { state: 'not_configured', keys };
    try {
      await redisDel(this.target, keys, this.timeoutMs);
      return { state: 'deleted', keys };
    } catch (err) {
      return { state: 'failed', keys, reason: (err as Error).message, url: redactUrl(this.url) };
    }
  }
}

/** The stderr line for an outcome that leaves old limits in the cache (null when all is well). */
export function staleCacheWarning(outcome: CacheOutcome): string | null {
  if (outcome.state === 'deleted' || outcome.keys.length === 0) return null;
  const del = `DEL ${outcome.keys.join(' ')}`;
  if (outcome.state === 'not_configured') {
    return (
      `tenantadm: warning: no --redis-url / DEVICEAUTH_REDIS given: device-auth may serve the old limit for up to ${CACHE_TTL_HOURS} hours; ` +
      `to make it live now run in its Redis: ${del}`
    );
  }
  return (
    `tenantadm: warning: the limit is written, but deleting its cache key in Redis at ${outcome.url} failed (${outcome.reason}); ` +
    `device-auth may serve the old limit for up to ${CACHE_TTL_HOURS} hours: run in its Redis: ${del}`
  );
}
