/** What `tenantadm audit` accepts: times, limits and the names it filters on. */
import { UsageError } from '../errors';

const UNITS_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const RELATIVE = /^(\d{1,9})([smhdw])$/;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A span as operators write it (30m, 24h, 7d, 2w) in milliseconds; undefined for anything else. */
export function spanMs(text: string): number | undefined {
  const rel = RELATIVE.exec(text.trim());
  return rel ? Number(rel[1]) * UNITS_MS[rel[2]!]! : undefined;
}

/**
 * A point in time as operators write it: ISO 8601 (`2025-01-31`, `2025-01-31T08:00:00+02:00`)
 * or a span back from now (`90m`, `24h`, `7d`, `2w`). Times without an offset are UTC, so a
 * query means the same on every machine.
 */
export function parseAuditTime(raw: string, now: Date, flag: string): Date {
  const text = raw.trim();
  const rel = RELATIVE.exec(text);
  if (rel) return new Date(now.getTime() - Number(rel[1]) * UNITS_MS[rel[2]!]!);
  const iso = ISO.exec(text);
  if (iso) {
    let normalized = text.replace(' ', 'T');
    // Date-only strings are already UTC in JavaScript; date-times without an offset are not.
    if (normalized.includes('T') && iso[1] === undefined) normalized += 'Z';
    const date = new Date(normalized);
    const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
    // JavaScript rolls 2025-02-30 over into March; a typo must not silently move the range.
    const realDay = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
    if (!Number.isNaN(date.getTime()) && realDay) return date;
  }
  throw new UsageError(
    `invalid time for ${flag}: "${raw}"`,
    'give ISO 8601 (2025-01-31, 2025-01-31T08:00:00Z) or a span back from now such as 30m, 24h, 7d, 2w',
  );
}

/** The actions entries carry (store/audit.ts's AuditEvent): what `audit --action` accepts and completes. */
export const AUDIT_ACTIONS = ['create', 'update', 'delete', 'password_change', 'auth_method_change'] as const;

/** The object types entries carry; limits, SSO and storage are updates of the tenant. */
export const AUDIT_OBJECT_TYPES = ['tenant', 'user'] as const;

/** Escape text for a regular expression that matches it literally. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
