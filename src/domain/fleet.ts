/**
 * The fleet file (`tenantadm/v1`, kind `Fleet`): Service Providers with their children nested,
 * and standalone tenants, keyed by name with the id pinned. Built from what the store read
 * (export), checked against its JSON Schema at the edge, and compared with the database (diff).
 * Secrets never appear in it: each is a reference `${env:NAME}` a later `apply` resolves.
 */
import { UsageError, ConflictError } from '../errors';
import { validateDocument } from '../validate';
import { ADDONS, LIMIT_KINDS, PLANS, STATUSES, UNLIMITED, type LimitKind, type Tenant } from './tenant';
import { SSO_SECRET_FIELDS, validateSso, type SsoSettings } from './sso';
import { STORAGE_SECRET_FIELDS, validateStorage, type StorageSettings } from './storage';
import { MASK } from './masking';

export const FLEET_API_VERSION = 'tenantadm/v1';
export const FLEET_KIND = 'Fleet';

/** A limit as the file writes it: a number of devices, or "unlimited" (-1 is read as that too). */
export type FleetLimit = number | 'unlimited';

export interface FleetUser {
  email: string;
  roles?: string[];
  /**
   * Where `apply` reads a new user's password: `${env:NAME}` or `${file:PATH}`. Used only when
   * the user is created; export never writes it.
   */
  password?: string;
}

export interface FleetTenant {
  name: string;
  id?: string;
  /** A child listed on its own (export --tenant CHILD): its Service Provider's name. */
  parent?: string;
  status?: string;
  plan?: string;
  addons?: string[];
  device_limit?: FleetLimit;
  micro_device_limit?: FleetLimit;
  system_device_limit?: FleetLimit;
  service_provider?: boolean;
  max_child_tenants?: number | null;
  child_features?: string[] | null;
  sso_inherit?: boolean;
  trial?: boolean;
  trial_expiration?: string | null;
  users?: FleetUser[];
  sso?: Record<string, unknown> | null;
  storage?: Record<string, unknown> | null;
  children?: FleetTenant[];
}

export interface FleetDocument {
  apiVersion: typeof FLEET_API_VERSION;
  kind: typeof FLEET_KIND;
  tenants: FleetTenant[];
}

/** The file's limit field of each tier, in the names the commands' flags use. */
export const LIMIT_FIELDS: Record<LimitKind, 'device_limit' | 'micro_device_limit' | 'system_device_limit'> = {
  max_devices: 'device_limit',
  max_micro_devices: 'micro_device_limit',
  max_system_devices: 'system_device_limit',
};

// ---------------------------------------------------------------------------------------------
// The schema (compiled at build time by scripts/gen-validators.js)

const limitSchema = { anyOf: [{ type: 'integer', minimum: -1 }, { type: 'string', enum: ['unlimited'] }] } as const;
const settingsSchema = { anyOf: [{ type: 'null' }, { type: 'object', properties: { type: { type: 'string' } }, required: ['type'] }] } as const;

const commonProperties = {
  name: { type: 'string', minLength: 1, maxLength: 256 },
  id: { type: 'string', pattern: '^[0-9a-f]{24}$' },
  status: { type: 'string', enum: [...STATUSES] },
  plan: { type: 'string', enum: [...PLANS] },
  addons: { type: 'array', items: { type: 'string', enum: [...ADDONS] }, uniqueItems: true },
  device_limit: limitSchema,
  micro_device_limit: limitSchema,
  system_device_limit: limitSchema,
  trial: { type: 'boolean' },
  trial_expiration: { anyOf: [{ type: 'null' }, { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' }] },
  users: {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        email: { type: 'string', minLength: 3, maxLength: 254 },
        roles: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 }, uniqueItems: true },
        password: { type: 'string', pattern: '^\\$\\{(env|file):[^}\\s]+\\}$' },
      },
      required: ['email'],
      additionalProperties: false,
    },
  },
  sso: settingsSchema,
  storage: settingsSchema,
} as const;

const childSchema = {
  type: 'object',
  properties: { ...commonProperties, sso_inherit: { type: 'boolean' } },
  required: ['name'],
  additionalProperties: false,
} as const;

export const fleetSchema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string', const: FLEET_API_VERSION },
    kind: { type: 'string', const: FLEET_KIND },
    tenants: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          ...commonProperties,
          parent: { type: 'string', minLength: 1, maxLength: 256 },
          sso_inherit: { type: 'boolean' },
          service_provider: { type: 'boolean' },
          max_child_tenants: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 0 }] },
          child_features: { anyOf: [{ type: 'null' }, { type: 'array', items: { type: 'string', enum: [...ADDONS] }, uniqueItems: true }] },
          children: { type: 'array', items: childSchema },
        },
        required: ['name'],
        additionalProperties: false,
      },
    },
  },
  required: ['apiVersion', 'kind', 'tenants'],
  additionalProperties: false,
} as const;

// ---------------------------------------------------------------------------------------------
// Secret references

/** `${env:NAME}` or `${file:PATH}`: a secret a later `apply` resolves; never the secret itself. */
export const SECRET_REFERENCE = /^\$\{(env|file):[^}\s]+\}$/;

export function isSecretReference(value: unknown): boolean {
  return typeof value === 'string' && SECRET_REFERENCE.test(value);
}

/**
 * The variable a tenant's secret is referenced by: `TENANT_<NAME>_<SECTION>_<FIELD>`, the name
 * upper-cased with every run of other characters than letters and digits made one `_`, e.g.
 * `TENANT_ACME_CORP_SSO_CLIENT_SECRET` for acme-corp's OIDC client secret.
 */
export function secretVariable(tenantName: string, section: 'sso' | 'storage', field: string): string {
  const name = tenantName.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'UNNAMED';
  return `TENANT_${name}_${section.toUpperCase()}_${field.toUpperCase()}`;
}

function secretFieldsOf(section: 'sso' | 'storage', settings: { type: string }): readonly string[] {
  return section === 'sso' ? (SSO_SECRET_FIELDS[settings.type as keyof typeof SSO_SECRET_FIELDS] ?? []) : (STORAGE_SECRET_FIELDS[settings.type as keyof typeof STORAGE_SECRET_FIELDS] ?? []);
}

/** Settings with each secret that is set replaced by its reference; keys sorted, `type` first. */
function referenced(tenantName: string, section: 'sso' | 'storage', settings: SsoSettings | StorageSettings): Record<string, unknown> {
  const secrets = new Set(secretFieldsOf(section, settings));
  const source = settings as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { type: settings.type };
  for (const key of Object.keys(source).filter((k) => k !== 'type').sort()) {
    const value = source[key];
    if (value === undefined || value === null || value === '') continue;
    out[key] = secrets.has(key) ? `\${env:${secretVariable(tenantName, section, key)}}` : value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Export: the document from what the store read

/** What export and diff read, each collection once. */
export interface FleetState {
  tenants: Tenant[];
  /** `<tenantId>/<kind>` → limit (-1 unlimited); absent: unlimited. */
  limits: Map<string, number>;
  users: Map<string, { email: string; roles: string[] }[]>;
  sso: Map<string, SsoSettings>;
  storage: Map<string, StorageSettings>;
  /** Names of tenants outside the state that a tenant in it names as its parent (export --tenant CHILD). */
  parentNames?: Map<string, string>;
}

function limitOf(value: number | undefined): FleetLimit {
  return value === undefined || value === UNLIMITED || value < 0 ? 'unlimited' : value;
}

const byName = (a: { name: string; id?: string }, b: { name: string; id?: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : (a.id ?? '') < (b.id ?? '') ? -1 : (a.id ?? '') > (b.id ?? '') ? 1 : 0;

/**
 * One tenant as the file writes it, keys in a fixed order. `secrets: 'keep'` leaves the stored
 * secrets in (diff compares them with literal values; such a document is never printed).
 */
function fleetTenant(t: Tenant, state: FleetState, role: 'top' | 'child', secrets: 'reference' | 'keep'): FleetTenant {
  const out: FleetTenant = { name: t.name, id: t.id };
  if (role === 'top' && t.parent_tenant_id) out.parent = state.parentNames?.get(t.parent_tenant_id) ?? t.parent_tenant_id;
  out.status = String(t.status);
  out.plan = String(t.plan);
  out.addons = t.addons.filter((a) => a.enabled).map((a) => a.name).sort();
  for (const kind of LIMIT_KINDS) out[LIMIT_FIELDS[kind]] = limitOf(state.limits.get(`${t.id}/${kind}`));
  if (role === 'top' && !t.parent_tenant_id) {
    out.service_provider = t.service_provider;
    if (t.service_provider) {
      out.max_child_tenants = typeof t.max_child_tenants === 'number' ? t.max_child_tenants : null;
      out.child_features = Array.isArray(t.child_features) ? t.child_features.map(String).sort() : null;
    }
  }
  if (t.parent_tenant_id) out.sso_inherit = t.sso_inherit === true;
  out.trial = t.trial === true;
  out.trial_expiration = typeof t.trial_expiration === 'string' ? t.trial_expiration : null;
  out.users = (state.users.get(t.id) ?? []).map((u) => ({ email: u.email, roles: [...u.roles].sort() }));
  const sso = state.sso.get(t.id);
  out.sso = sso ? (secrets === 'keep' ? sortedSettings(sso) : referenced(t.name, 'sso', sso)) : null;
  const storage = state.storage.get(t.id);
  out.storage = storage ? (secrets === 'keep' ? sortedSettings(storage) : referenced(t.name, 'storage', storage)) : null;
  return out;
}

function sortedSettings(settings: object): Record<string, unknown> {
  const source = settings as Record<string, unknown>;
  const out: Record<string, unknown> = { type: source.type };
  for (const key of Object.keys(source).filter((k) => k !== 'type').sort()) if (source[key] !== undefined && source[key] !== '') out[key] = source[key];
  return out;
}

/**
 * The document: Service Providers with their children nested, standalone tenants, and children
 * whose Service Provider is not in the state (with `parent`), all by name (then id).
 */
export function buildFleet(state: FleetState, secrets: 'reference' | 'keep' = 'reference'): FleetDocument {
  const present = new Set(state.tenants.map((t) => t.id));
  const children = new Map<string, Tenant[]>();
  const top: Tenant[] = [];
  for (const t of state.tenants) {
    if (t.parent_tenant_id && present.has(t.parent_tenant_id)) {
      const list = children.get(t.parent_tenant_id) ?? [];
      list.push(t);
      children.set(t.parent_tenant_id, list);
    } else {
      top.push(t);
    }
  }
  const tenants = top.sort(byName).map((t) => {
    const entry = fleetTenant(t, state, 'top', secrets);
    const kids = children.get(t.id);
    if (t.service_provider || kids) entry.children = (kids ?? []).sort(byName).map((c) => fleetTenant(c, state, 'child', secrets));
    return entry;
  });
  return { apiVersion: FLEET_API_VERSION, kind: FLEET_KIND, tenants };
}

// ---------------------------------------------------------------------------------------------
// Reading a file

/** A placeholder that passes the settings schemas where the file gives a reference. */
const REFERENCE_PLACEHOLDER = 'referenced-secret';

function checkSettings(section: 'sso' | 'storage', value: unknown, pointer: string, source: string): void {
  if (value === null || value === undefined) return;
  const settings = { ...(value as Record<string, unknown>) };
  for (const field of secretFieldsOf(section, settings as { type: string })) if (isSecretReference(settings[field])) settings[field] = REFERENCE_PLACEHOLDER;
  try {
    if (section === 'sso') validateSso(settings, source);
    else validateStorage(settings, source);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const inner = String((err.details as { pointer?: string } | undefined)?.pointer ?? '/');
    const at = `${pointer}${inner === '/' ? '' : inner}`;
    const what = err.message.slice(err.message.indexOf(': ', source.length) + 2).replace(/^\/\S*: /, '');
    throw new UsageError(`${source}: ${at}: ${what}`, 'fix the file and run again', { pointer: at });
  }
}

function fail(source: string, pointer: string, message: string): never {
  throw new UsageError(`${source}: ${pointer}: ${message}`, 'fix the file and run again', { pointer });
}

/**
 * Check a parsed fleet file against the schema (exit 2 naming the JSON pointer), then what a
 * schema cannot say: settings of their type, names given once, children only under an SP.
 */
export function validateFleet(data: unknown, source: string): FleetDocument {
  const doc = validateDocument<FleetDocument>(fleetSchema, data, source);
  const names = new Map<string, string>();
  const seen = (name: string, pointer: string) => {
    const first = names.get(name);
    if (first !== undefined) fail(source, `${pointer}/name`, `the name "${name}" is given twice (first at ${first})`);
    names.set(name, pointer);
  };
  doc.tenants.forEach((t, i) => {
    const at = `/tenants/${i}`;
    seen(t.name, at);
    checkSettings('sso', t.sso, `${at}/sso`, source);
    checkSettings('storage', t.storage, `${at}/storage`, source);
    if (t.children && t.children.length > 0 && t.service_provider === false) fail(source, `${at}/children`, 'only a Service Provider (service_provider: true) has children');
    if (t.parent !== undefined && (t.children !== undefined || t.service_provider === true)) fail(source, `${at}/parent`, 'a child cannot be a Service Provider');
    t.children?.forEach((c, j) => {
      seen(c.name, `${at}/children/${j}`);
      checkSettings('sso', c.sso, `${at}/children/${j}/sso`, source);
      checkSettings('storage', c.storage, `${at}/children/${j}/storage`, source);
    });
  });
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Diff

export type ChangeAction = 'create' | 'update' | 'delete';

/** One change `apply` would make: a tenant created or deleted, or one field of it. */
export interface FleetChange {
  tenant: string;
  id: string | null;
  action: ChangeAction;
  field?: string;
  before?: unknown;
  after?: unknown;
}

/** A tenant of a document with where it stands: its Service Provider's name, if any. */
export interface Placed {
  entry: FleetTenant;
  parent: string | null;
}

export function flatten(doc: FleetDocument): Placed[] {
  const out: Placed[] = [];
  for (const t of doc.tenants) {
    out.push({ entry: t, parent: t.parent ?? null });
    for (const c of t.children ?? []) out.push({ entry: c, parent: t.name });
  }
  return out;
}

function normalLimit(v: FleetLimit | undefined): FleetLimit | undefined {
  return v === undefined ? undefined : v === UNLIMITED || v === 'unlimited' ? 'unlimited' : v;
}

const sorted = (list: readonly string[] | null | undefined) => (list == null ? list : [...list].sort());

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The scalar fields compared one by one, in the order lines are printed. */
const FIELDS = [
  'status',
  'plan',
  'addons',
  'device_limit',
  'micro_device_limit',
  'system_device_limit',
  'service_provider',
  'max_child_tenants',
  'child_features',
  'sso_inherit',
  'trial',
  'trial_expiration',
] as const;

function fieldValue(t: FleetTenant, field: (typeof FIELDS)[number]): unknown {
  const v = t[field];
  if (field === 'addons' || field === 'child_features') return sorted(v as string[] | null | undefined);
  if (field === 'device_limit' || field === 'micro_device_limit' || field === 'system_device_limit') return normalLimit(v as FleetLimit | undefined);
  return v;
}

/** Settings compared field by field; a reference to a secret is "unchanged", and no secret is ever shown. */
function settingsChanges(section: 'sso' | 'storage', before: Record<string, unknown> | null, after: Record<string, unknown> | null, push: (field: string, b: unknown, a: unknown) => void): void {
  if (before === null && after === null) return;
  if (before === null || after === null || before.type !== after.type) {
    push(section, before === null ? null : String(before.type), after === null ? null : String(after.type));
    if (after === null) return;
  }
  // The secret fields of both types: settings that change type never show the old type's secrets.
  const secrets = new Set([...secretFieldsOf(section, after as { type: string }), ...(before ? secretFieldsOf(section, before as { type: string }) : [])]);
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after)])].filter((k) => k !== 'type').sort();
  for (const key of keys) {
    const b = before?.[key];
    const a = after[key];
    if (secrets.has(key)) {
      if (isSecretReference(a)) continue;
      if (!same(b ?? null, a ?? null)) push(`${section}.${key}`, b === undefined ? null : MASK, a === undefined ? null : MASK);
      continue;
    }
    if (!same(b ?? null, a ?? null)) push(`${section}.${key}`, b ?? null, a ?? null);
  }
}

/**
 * The changes that would make the database (`current`, built with `secrets: 'keep'`) match the
 * file (`wanted`): tenants matched by their pinned id, else by name; a field the file leaves out
 * is left as it is (null says "none"); a tenant only in the database is a `delete` with `prune`.
 * Grouped by tenant in the file's order, then the deletions by name.
 */
export function diffFleet(current: FleetDocument, wanted: FleetDocument, options: { prune?: boolean } = {}): FleetChange[] {
  const have = flatten(current);
  const byId = new Map(have.filter((p) => p.entry.id).map((p) => [p.entry.id!, p]));
  const byNameList = new Map<string, Placed[]>();
  for (const p of have) byNameList.set(p.entry.name, [...(byNameList.get(p.entry.name) ?? []), p]);
  const matched = new Set<Placed>();
  const changes: FleetChange[] = [];

  for (const want of flatten(wanted)) {
    const w = want.entry;
    let found: Placed | undefined = w.id ? byId.get(w.id) : undefined;
    if (!found) {
      const named = byNameList.get(w.name) ?? [];
      if (named.length > 1) throw new ConflictError(`tenant name "${w.name}" is used by ${named.length} tenants`, 'pin the one meant with its `id` in the file');
      found = named[0];
      if (found && w.id && found.entry.id !== w.id) {
        throw new ConflictError(`the file pins "${w.name}" to id ${w.id}, but the tenant of that name is ${found.entry.id}`, 'the tenant was replaced since the export: export again, or fix the id');
      }
    }
    if (!found) {
      changes.push({ tenant: w.name, id: w.id ?? null, action: 'create', ...(want.parent ? { field: 'parent', after: want.parent } : {}) });
      for (const u of w.users ?? []) changes.push({ tenant: w.name, id: w.id ?? null, action: 'create', field: `users[${u.email}]`, after: sorted(u.roles ?? []) });
      continue;
    }
    matched.add(found);
    const h = found.entry;
    const id = h.id ?? null;
    const push = (field: string, before: unknown, after: unknown) => changes.push({ tenant: w.name, id, action: 'update', field, before, after });
    if (h.name !== w.name) push('name', h.name, w.name);
    if (found.parent !== want.parent) push('parent', found.parent, want.parent);
    for (const field of FIELDS) {
      if (w[field] === undefined) continue;
      const before = fieldValue(h, field) ?? null;
      const after = fieldValue(w, field) ?? null;
      if (!same(before, after)) push(field, before, after);
    }
    if (w.users !== undefined) {
      const current = new Map((h.users ?? []).map((u) => [u.email.toLowerCase(), u]));
      const next = new Map(w.users.map((u) => [u.email.trim().toLowerCase(), u]));
      for (const [email, u] of [...next].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const before = current.get(email);
        if (!before) changes.push({ tenant: w.name, id, action: 'create', field: `users[${email}]`, after: sorted(u.roles ?? []) });
        else if (u.roles !== undefined && !same(sorted(before.roles ?? []), sorted(u.roles))) push(`users[${email}].roles`, sorted(before.roles ?? []), sorted(u.roles));
      }
      for (const [email, u] of [...current].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (!next.has(email)) changes.push({ tenant: w.name, id, action: 'delete', field: `users[${email}]`, before: sorted(u.roles ?? []) });
      }
    }
    if (w.sso !== undefined) settingsChanges('sso', h.sso ?? null, w.sso, push);
    if (w.storage !== undefined) settingsChanges('storage', h.storage ?? null, w.storage, push);
  }

  if (options.prune) {
    const gone = have.filter((p) => !matched.has(p)).map((p) => p.entry).sort(byName);
    for (const t of gone) changes.push({ tenant: t.name, id: t.id ?? null, action: 'delete' });
  }
  return changes;
}
