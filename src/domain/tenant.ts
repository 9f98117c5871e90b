/** The tenant as the Mender API shows it, and the rules about its fields. */
import { UsageError } from '../errors';
import { spanMs } from './audit';

export const PLANS = ['os', 'professional', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];
export const STATUSES = ['active', 'suspended'] as const;
export type Status = (typeof STATUSES)[number];
export const ADDONS = ['troubleshoot', 'configure', 'monitor'] as const;
export type AddonName = (typeof ADDONS)[number];
export const LIMIT_KINDS = ['max_devices', 'max_micro_devices', 'max_system_devices'] as const;
export type LimitKind = (typeof LIMIT_KINDS)[number];

/** Mender's admin role: a user with it may do everything in its tenant. */
export const ADMIN_ROLE = 'RBAC_ROLE_PERMIT_ALL';

export interface Addon {
  name: string;
  enabled: boolean;
}

export interface Tenant {
  id: string;
  name: string;
  tenant_token?: string;
  status: Status | string;
  plan: Plan | string;
  trial?: boolean;
  trial_expiration?: string;
  addons: Addon[];
  service_provider: boolean;
  parent_tenant_id?: string;
  max_child_tenants?: number;
  /** On a Service Provider: the add-ons its children may use (absent: all). */
  child_features?: string[];
  /** On a child: it uses its Service Provider's SSO settings. */
  sso_inherit?: boolean;
  created_at?: string;
  updated_at?: string;
  /** Fields Mender stores that this tool does not model are passed through untouched. */
  [field: string]: unknown;
}

/** A tenant with its device figures, as list-tenants and get-tenant print it. */
export interface TenantView extends Tenant {
  /** The `max_devices` limit: -1 unlimited (also when no limit document exists). */
  device_limit: number;
  /** Accepted devices. */
  device_count: number;
}

export const UNLIMITED = -1;

export const HEX_ID = /^[0-9a-f]{24}$/;

export function parseTenantId(raw: string, what = 'tenant id'): string {
  const id = raw.trim().toLowerCase();
  if (!HEX_ID.test(id)) {
    throw new UsageError(`invalid ${what} "${raw}"`, 'a tenant id is 24 hexadecimal characters, e.g. 673a03e3c9eca7a440f2f444');
  }
  return id;
}

/**
 * Parse a device limit as operators write it: a whole number, or `unlimited` / -1.
 * 0 is a real limit (accept no devices), never "unlimited": Mender changed that meaning
 * in 2.0.2 and the old reading is a trap.
 */
export function parseDeviceLimit(raw: string | number): number {
  const text = String(raw).trim().toLowerCase();
  if (text === 'unlimited' || text === '-1') return UNLIMITED;
  if (!/^\d+$/.test(text) || Number(text) > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(
      `invalid device limit "${raw}"`,
      'give a whole number >= 0, or "unlimited" (-1); 0 means no device may be accepted',
    );
  }
  return Number(text);
}

export function formatLimit(value: number): string {
  return value === UNLIMITED ? 'unlimited' : String(value);
}

/** Parse `--addon NAME[=on|off]` values into a map of name to enabled. */
export function parseAddonFlags(values: string[]): Map<AddonName, boolean> {
  const out = new Map<AddonName, boolean>();
  for (const raw of values) {
    const m = /^([a-z]+)(?:=(on|off|true|false|enabled|disabled))?$/.exec(raw.trim().toLowerCase());
    const name = m?.[1] as AddonName | undefined;
    if (!m || !name || !(ADDONS as readonly string[]).includes(name)) {
      throw new UsageError(`invalid add-on "${raw}"`, `use one of ${ADDONS.join(', ')}, optionally with =on or =off`);
    }
    out.set(name, !m[2] || ['on', 'true', 'enabled'].includes(m[2]));
  }
  return out;
}

/** Apply add-on switches to an add-on list, keeping unknown entries and order. */
export function applyAddons(current: Addon[], changes: Map<AddonName, boolean>): Addon[] {
  const next = current.map((a) => ({ ...a }));
  for (const [name, enabled] of changes) {
    const existing = next.find((a) => a.name === name);
    if (existing) existing.enabled = enabled;
    else next.push({ name, enabled });
  }
  return next;
}

export function validateTenantName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0 || name.length > 256) {
    throw new UsageError('invalid tenant name', 'a tenant name is 1 to 256 characters, not only spaces');
  }
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) {
    throw new UsageError('invalid tenant name', 'a tenant name may not contain control characters');
  }
  // A PEM header in a name is key material pasted in the wrong place: it would be shown and logged.
  if (/-----BEGIN /.test(name)) {
    throw new UsageError('invalid tenant name', 'a tenant name may not look like a PEM header (-----BEGIN ...)');
  }
  return name;
}

/** No spaces and no control characters (C0, DEL, C1) anywhere in an address. */
const EMAIL = /^[^\s@\u0000-\u001f\u007f-\u009f]+@[^\s@\u0000-\u001f\u007f-\u009f]+\.[^\s@\u0000-\u001f\u007f-\u009f]+$/;

/** An address like admin@example.com (the shape normalizeEmail accepts, before its length check). */
export function looksLikeEmail(text: string): boolean {
  return EMAIL.test(text);
}

export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 254) {
    throw new UsageError(`invalid email "${raw}"`, 'give an address like admin@example.com');
  }
  return email;
}

/** Mender's user service accepts passwords of 8 characters or more. */
export function validatePassword(password: string): string {
  if (password.length < 8) {
    throw new UsageError('the password is too short', 'use at least 8 characters');
  }
  if (Buffer.byteLength(password, 'utf8') > 72) {
    throw new UsageError('the password is too long', 'bcrypt uses at most 72 bytes; use a shorter one');
  }
  return password;
}

/** Mender's `trial_expiration`: an ISO 8601 time (UTC when no offset is given), or "none" to clear it. */
export function parseTrialExpiration(raw: string, now: Date = new Date()): Date | null {
  const text = raw.trim();
  if (text === 'none') return null;
  // A span forward from now (7d, 2w, 12h), as audit --since takes one back.
  const span = spanMs(text);
  if (span !== undefined) return new Date(now.getTime() + span);
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(text);
  if (iso) {
    let normalized = text.replace(' ', 'T');
    if (normalized.includes('T') && iso[1] === undefined) normalized += 'Z';
    const date = new Date(normalized);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new UsageError(`invalid --trial-expiration "${raw}"`, 'give ISO 8601 (2025-01-31, 2025-01-31T08:00:00Z), a span from now (30d, 2w, 12h), or "none" to clear it');
}
