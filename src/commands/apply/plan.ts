/**
 * apply's plan: from the database as read (FleetWorld) and the file, the writes of one
 * operation, checked against the rules the imperative commands apply (capacity for the end
 * state per tier, Enterprise 4.x's rules for Service Providers and children, removal only of
 * suspended tenants), with capacity freed before it is taken.
 */
import fs from 'node:fs';
import type { Deps } from '../../deps';
import { RuleError, UsageError } from '../../errors';
import { ADDONS, ADMIN_ROLE, LIMIT_KINDS, UNLIMITED, applyAddons, normalizeEmail, validatePassword, type Addon, type LimitKind, type Tenant } from '../../domain/tenant';
import { ceiling, planReallocation, requireActiveSp, requireChildSlot, type AllocationTenant, type AllocationWorld, type LimitChange, type PlannedChange } from '../../domain/allocation';
import { differencesFromSp, inheritedFeatures } from '../../domain/child-features';
import { requireSuspended } from '../../domain/removal-rules';
import { LIMIT_FIELDS, flatten, isSecretReference, type FleetChange, type FleetDocument, type FleetLimit, type FleetTenant } from '../../domain/fleet';
import { assertInheritableSso, validateSso, SSO_SECRET_FIELDS, type SsoSettings } from '../../domain/sso';
import { validateStorage, STORAGE_SECRET_FIELDS, type StorageSettings } from '../../domain/storage';
import { registerSecret } from '../../secrets';
import { checkChildFeaturePolicy, inheritanceWrites, ssoInheritWritesOf } from '../../operations/tenant-policies';
import { assertNotLastAdmin, isAdmin } from '../../domain/user';
import type { FleetWorld } from '../../operations/fleet';
import { ChangeSet, spLock, ssoLock, storageLock, tenantLock, tenantNameLock, tenantObject, tenantTokenLock, userObject, type AuditEvent, type FleetCreated, type LockKey, type Step, type Store, type TenantFields, type TenantRecord } from '../../store';
import { tokenHash } from '../../domain/token-format';

/** What stays the same between the read before the locks and the one under them: new ids, tokens, hashes. */
export interface Fresh {
  ids: Map<string, string>;
  tokens: Map<string, string>;
  hashes: Map<string, string>;
  makeToken?: (tenantId: string) => string;
}

export interface ApplyPlan {
  changes: ChangeSet;
  /** The changes made, as diff prints them. */
  rows: FleetChange[];
  locks: LockKey[];
  /** What --prune (or its absence) leaves, and why: said on stderr. */
  notes: string[];
  /** Tenants suspended by this change: their tokens are revoked after the commit. */
  suspended: string[];
  /** The limits of existing tenants that change (deviceauth's cached copies are refreshed after the commit). */
  limits: PlannedChange[];
}

const LIMIT_FIELD_NAMES: ReadonlySet<string> = new Set(Object.values(LIMIT_FIELDS));

const show = (v: unknown): string => (v === undefined || v === null ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

function limitValue(v: FleetLimit | undefined): number | undefined {
  return v === undefined ? undefined : v === 'unlimited' ? UNLIMITED : v;
}

/** The name of a variable a fleet file references (`${env:NAME}`): the file names it, not the tool's table. */
export function referenced(name: string): string {
  return name;
}

/** A `${env:NAME}` or `${file:PATH}` reference's value; undefined when the variable is unset or the file missing. */
export function resolveReference(ref: string, env: NodeJS.ProcessEnv = {}): string | undefined {
  const m = /^\$\{(env|file):([^}\s]+)\}$/.exec(ref);
  if (!m) return undefined;
  let value: string | undefined;
  if (m[1] === 'env') value = env[referenced(m[2]!)];
  else {
    try {
      value = fs.readFileSync(m[2]!, 'utf8').replace(/\r?\n$/, '');
    } catch {
      value = undefined;
    }
  }
  if (value === undefined || value === '') return undefined;
  registerSecret(value);
  return value;
}

/** The settings of the file with each reference resolved: an unset one keeps the stored secret, or is exit 2 for new settings. */
function resolvedSettings(section: 'sso' | 'storage', tenant: string, wanted: Record<string, unknown>, current: Record<string, unknown> | null, source: string, env: NodeJS.ProcessEnv | undefined): SsoSettings | StorageSettings {
  const out: Record<string, unknown> = { ...wanted };
  const secrets = section === 'sso' ? (SSO_SECRET_FIELDS[wanted.type as keyof typeof SSO_SECRET_FIELDS] ?? []) : (STORAGE_SECRET_FIELDS[wanted.type as keyof typeof STORAGE_SECRET_FIELDS] ?? []);
  for (const field of secrets) {
    const v = out[field];
    if (!isSecretReference(v)) continue;
    const value = resolveReference(v as string, env);
    if (value !== undefined) out[field] = value;
    else if (current && current.type === wanted.type && current[field] !== undefined) out[field] = current[field];
    else {
      throw new UsageError(
        `${source}: the ${section} setting ${field} of "${tenant}" is new and its reference ${String(v)} is not set`,
        `set the variable (or write the file) it names, then run again`,
      );
    }
  }
  return section === 'sso' ? validateSso(out, source) : validateStorage(out, source);
}

interface Target {
  entry: FleetTenant;
  /** The file's Service Provider of this entry (by name), if any. */
  parentName: string | null;
  record: TenantRecord | null;
  id: string;
}

export async function planApply(
  store: Store,
  deps: Deps,
  world: FleetWorld,
  wanted: FleetDocument,
  rows: FleetChange[],
  fresh: Fresh,
  options: { prune: boolean; checksum: string; source: string },
): Promise<ApplyPlan> {
  const now = deps.now();
  const { records, state } = world;
  const notes: string[] = [];
  const fileNote = `fleet file sha256:${options.checksum}`;
  const meta = { fleet_file_sha256: [options.checksum] };

  // Match each entry of the file as diff did: by pinned id, else by name.
  const byName = new Map<string, TenantRecord>();
  for (const r of records.values()) if (!byName.has(r.tenant.name)) byName.set(r.tenant.name, r);
  const targets: Target[] = flatten(wanted).map((p) => {
    const record = (p.entry.id ? records.get(p.entry.id) : undefined) ?? byName.get(p.entry.name) ?? null;
    let id = record?.tenant.id ?? p.entry.id ?? fresh.ids.get(p.entry.name);
    if (!id) {
      id = store.tenants.newId();
      fresh.ids.set(p.entry.name, id);
    }
    return { entry: p.entry, parentName: p.parent, record, id };
  });
  const targetByName = new Map(targets.map((t) => [t.entry.name, t]));
  const targetById = new Map(targets.map((t) => [t.id, t]));
  const parentIdOf = (t: Target): string | undefined => {
    if (t.parentName === null) return undefined;
    const inFile = targetByName.get(t.parentName);
    if (inFile) return inFile.id;
    // A child listed alone names its SP by name (or id) outside the file.
    const r = byName.get(t.parentName) ?? records.get(t.parentName);
    if (!r) throw new RuleError(`the Service Provider "${t.parentName}" of "${t.entry.name}" does not exist`, 'add it to the file, or fix the name');
    return r.tenant.id;
  };

  // Rows by tenant; deletions of tenants and users are decided below (prune).
  const rowsOf = new Map<string, FleetChange[]>();
  const deletions: FleetChange[] = [];
  for (const row of rows) {
    if (row.action === 'delete') {
      deletions.push(row);
      continue;
    }
    const list = rowsOf.get(row.tenant) ?? [];
    list.push(row);
    rowsOf.set(row.tenant, list);
  }

  // --- The end state of every tenant's features (plan, add-ons, policy) and place.
  interface After {
    id: string;
    name: string;
    parent?: string;
    sp: boolean;
    tenant: Tenant;
    isNew: boolean;
    pruned?: boolean;
  }
  const after = new Map<string, After>();
  for (const r of records.values()) after.set(r.tenant.id, { id: r.tenant.id, name: r.tenant.name, parent: r.tenant.parent_tenant_id, sp: r.tenant.service_provider, tenant: r.tenant, isNew: false });
  const addonsOf = (names: string[] | undefined, base: Addon[]): Addon[] =>
    names === undefined ? base : applyAddons(base.length ? base : ADDONS.map((n) => ({ name: n, enabled: false })), new Map(ADDONS.map((a) => [a, names.includes(a)])));
  for (const t of targets) {
    const e = t.entry;
    const base = t.record?.tenant;
    const parent = parentIdOf(t);
    if (t.record && (t.record.tenant.parent_tenant_id ?? undefined) !== parent) {
      throw new RuleError(
        `the file puts "${e.name}" ${parent ? `under Service Provider ${parent}` : 'outside any Service Provider'}, but it is ${t.record.tenant.parent_tenant_id ? `a child of ${t.record.tenant.parent_tenant_id}` : 'not a child'}; apply does not move tenants`,
        `move it with tenantadm update-tenant --tenant ${t.id} ${parent ? `--parent ${parent} --inherit` : '--no-parent'}, then export again`,
      );
    }
    const tenant: Tenant = {
      ...(base ?? { id: t.id, name: e.name, status: 'active', plan: 'enterprise', addons: [], service_provider: false }),
      name: e.name,
      status: e.status ?? base?.status ?? 'active',
      plan: e.plan ?? base?.plan ?? 'enterprise',
      addons: addonsOf(e.addons, base?.addons ?? []),
      service_provider: e.service_provider ?? base?.service_provider ?? (e.children !== undefined && e.children.length > 0),
    };
    if (e.child_features !== undefined) tenant.child_features = e.child_features ?? undefined;
    if (e.max_child_tenants !== undefined) tenant.max_child_tenants = e.max_child_tenants ?? undefined;
    if (parent) tenant.parent_tenant_id = parent;
    after.set(t.id, { id: t.id, name: e.name, parent, sp: tenant.service_provider, tenant, isNew: !t.record });
  }

  // --- Prune: only what apply created from a fleet file, suspended first.
  const createdTenants = new Map(world.created.filter((c) => c.kind === 'tenant').map((c) => [c.tenantId, c]));
  const createdUsers = new Map(world.created.filter((c) => c.kind === 'user').map((c) => [`${c.tenantId}:${c.email}`, c]));
  const pruned: string[] = [];
  const userDeletes: { row: FleetChange; email: string; tenantId: string; created: FleetCreated }[] = [];
  for (const row of deletions) {
    if (row.field === undefined) {
      const id = row.id!;
      const rec = records.get(id)!;
      if (!createdTenants.has(id)) {
        notes.push(`leaves tenant "${row.tenant}" (${id}): it was not created from a fleet file (created by hand or by create-tenant), so --prune never removes it`);
        continue;
      }
      requireSuspended(rec.tenant);
      pruned.push(id);
      after.get(id)!.pruned = true;
      continue;
    }
    const email = /^users\[(.*)\]$/.exec(row.field)?.[1];
    if (email === undefined) continue;
    const tenantId = row.id!;
    const created = createdUsers.get(`${tenantId}:${email}`);
    if (!options.prune) {
      notes.push(`leaves user ${email} of "${row.tenant}": users are removed only with --prune`);
      continue;
    }
    if (!created) {
      notes.push(`leaves user ${email} of "${row.tenant}": it was not created from a fleet file, so --prune never removes it`);
      continue;
    }
    userDeletes.push({ row, email, tenantId, created });
  }
  // A Service Provider goes only with all its children (removal rules).
  const prunedSet = new Set(pruned);
  for (const a of after.values()) {
    if (a.parent && prunedSet.has(a.parent) && !prunedSet.has(a.id)) {
      throw new RuleError(`Service Provider "${after.get(a.parent)!.name}" would be removed, but its child "${a.name}" (${a.id}) stays`, 'remove the child from the file too (suspended, created by apply), or keep the Service Provider');
    }
  }

  // --- Enterprise 4.x rules on the end state.
  const childrenAfter = new Map<string, string[]>();
  for (const a of after.values()) {
    if (a.pruned || !a.parent) continue;
    const list = childrenAfter.get(a.parent) ?? [];
    list.push(a.id);
    childrenAfter.set(a.parent, list);
  }
  const spTenants = new Map<string, Tenant>();
  for (const a of after.values()) if (a.sp) spTenants.set(a.id, a.tenant);
  for (const t of targets) {
    const a = after.get(t.id)!;
    const e = t.entry;
    if (a.parent) {
      const sp = after.get(a.parent)!;
      if (!t.record) {
        requireActiveSp(sp.tenant, `create the child "${e.name}" under it`);
        if ((e.users ?? []).length === 0) {
          throw new RuleError(
            `the new child "${e.name}" needs at least one user (Mender Enterprise 4.x refuses one without, MEN-8261)`,
            `give it users in the file, each with password: \${env:NAME} or \${file:PATH}`,
          );
        }
      }
      // A child has its Service Provider's plan and add-ons, narrowed by the SP's policy.
      const inherited = inheritedFeatures(sp.tenant);
      const differs = differencesFromSp(sp.tenant, e.plan ?? inherited.plan, e.addons === undefined ? addonsOf(inherited.addons, []) : addonsOf(e.addons, []));
      if (differs.length > 0) {
        throw new RuleError(
          `the child "${e.name}" would have ${differs.join(', ')}; a child has its Service Provider's plan and add-ons (Mender Enterprise 4.x, MEN-7493)`,
          `give it plan ${inherited.plan} and add-ons [${inherited.addons.join(', ')}] in the file, or leave plan and addons out`,
          { plan: inherited.plan, addons: inherited.addons },
        );
      }
      a.tenant = { ...a.tenant, plan: inherited.plan, addons: addonsOf(inherited.addons, t.record?.tenant.addons ?? []) };
    }
    if (!a.sp && e.child_features !== undefined && e.child_features !== null) {
      throw new RuleError(`"${e.name}" is not a Service Provider; only an SP has a policy for its children`, 'add service_provider: true, or remove child_features');
    }
    if (t.record?.tenant.service_provider && !a.sp && (childrenAfter.get(t.id)?.length ?? 0) > 0) {
      throw new RuleError(`"${e.name}" still has child tenants; a Service Provider with children cannot be demoted`, 'remove or move its children first');
    }
  }
  for (const [spId, kids] of childrenAfter) {
    const sp = after.get(spId)!;
    const added = kids.filter((k) => after.get(k)!.isNew).length;
    if (added > 0) requireChildSlot({ id: spId, name: sp.name, max_child_tenants: sp.tenant.max_child_tenants as number | undefined }, kids.length - 1);
  }

  // --- Limits: every tier, checked for the end state, frees before takes.
  const desired = new Map<string, Partial<Record<LimitKind, number>>>();
  const newLimits = new Map<string, Partial<Record<LimitKind, number>>>();
  for (const t of targets) {
    const a = after.get(t.id)!;
    const e = t.entry;
    const out: Partial<Record<LimitKind, number>> = {};
    for (const kind of LIMIT_KINDS) {
      const given = limitValue(e[LIMIT_FIELDS[kind]]);
      if (given !== undefined) out[kind] = given;
      else if (!t.record) {
        // create-tenant's defaults: a child gets no capacity unless asked; another tier is none under an SP that caps it.
        const spLimit = a.parent ? (limitFor(a.parent, kind) ?? UNLIMITED) : UNLIMITED;
        if (kind === 'max_devices') out[kind] = a.parent ? 0 : UNLIMITED;
        else if (a.parent && spLimit !== UNLIMITED) out[kind] = 0;
      }
    }
    desired.set(t.id, out);
    if (!t.record) newLimits.set(t.id, out);
  }
  function limitFor(id: string, kind: LimitKind): number | undefined {
    const d = desired.get(id)?.[kind] ?? limitValue(targetById.get(id)?.entry[LIMIT_FIELDS[kind]]);
    if (d !== undefined) return d;
    return after.get(id)?.isNew ? undefined : (state.limits.get(`${id}/${kind}`) ?? UNLIMITED);
  }
  const allocTenants = new Map<string, AllocationTenant>();
  for (const a of after.values()) {
    if (a.pruned) continue;
    const limits: Partial<Record<LimitKind, number>> = {};
    for (const kind of LIMIT_KINDS) limits[kind] = a.isNew ? (newLimits.get(a.id)?.[kind] !== undefined ? 0 : UNLIMITED) : (state.limits.get(`${a.id}/${kind}`) ?? UNLIMITED);
    allocTenants.set(a.id, { id: a.id, name: a.name, parent: a.parent, serviceProvider: a.sp, accepted: 0, limits });
  }
  const limitChanges: LimitChange[] = [];
  for (const [id, kinds] of desired) for (const kind of LIMIT_KINDS) if (kinds[kind] !== undefined) limitChanges.push({ tenantId: id, kind, limit: kinds[kind]! });
  // Accepted devices count only where a max_devices limit goes down.
  const lowering = limitChanges.filter((c) => c.kind === 'max_devices' && !after.get(c.tenantId)!.isNew && ceiling(c.limit) < ceiling(allocTenants.get(c.tenantId)!.limits.max_devices ?? UNLIMITED)).map((c) => c.tenantId);
  if (lowering.length > 0) for (const [id, n] of await store.devices.acceptedCounts(lowering)) allocTenants.get(id)!.accepted = n;
  const allocWorld: AllocationWorld = { tenants: allocTenants, children: new Map([...childrenAfter].map(([sp, kids]) => [sp, [...kids].sort()])) };
  for (const a of after.values()) if (a.sp && !allocWorld.children.has(a.id) && !a.pruned) allocWorld.children.set(a.id, []);
  const planned = planReallocation(allocWorld, limitChanges);
  // Mender Enterprise 4.x (MEN-7954): a Service Provider always has a device limit, also one promoted or created here.
  for (const a of after.values()) {
    if (!a.sp || a.pruned) continue;
    const end = limitFor(a.id, 'max_devices') ?? UNLIMITED;
    if (end === UNLIMITED) {
      throw new RuleError(`"${a.name}" is a Service Provider; a Service Provider cannot be unlimited (Mender Enterprise 4.x, MEN-7954)`, 'give it a device_limit in the file');
    }
  }
  // Mender Enterprise 4.x refuses device authentication in a Service Provider (MEN-7715): no promotion of a tenant holding devices.
  const promoted = targets.filter((t) => t.record && !t.record.tenant.service_provider && after.get(t.id)!.sp).map((t) => t.id);
  if (promoted.length > 0) {
    for (const [id, counts] of await store.devices.countsByStatus(promoted)) {
      const held = Object.values(counts).reduce((n, v) => n + v, 0);
      if (held > 0) throw new RuleError(`"${after.get(id)!.name}" holds ${held} device(s); Mender Enterprise 4.x refuses device authentication in a Service Provider (MEN-7715)`, `decommission them first, or promote it with tenantadm update-tenant --tenant ${id} --service-provider --allow-devices`);
    }
  }

  // --- The writes.
  const changes = new ChangeSet('apply');
  const locks = new Set<LockKey>();
  const lockTenant = (id: string, parent?: string) => {
    locks.add(tenantLock(id));
    locks.add(spLock(id));
    if (parent) locks.add(spLock(parent));
  };
  const applied: FleetChange[] = [];
  const audit = (event: Omit<AuditEvent, 'meta'>) => changes.audit({ ...event, change: `${event.change} (${fileNote})`, meta });
  const tenantEvent = (a: After, change: string, action: AuditEvent['action'] = 'update') =>
    audit({ action, tenantId: a.id, parentId: a.parent, object: tenantObject(a.id, a.name, a.parent), change });

  // The limit documents were read with everything else: no query per tenant or per change.
  const existingLimitSteps = async (which: PlannedChange[]): Promise<Step[]> => {
    const out: Step[] = [];
    for (const c of which) {
      const current = world.limitRecords.get(`${c.tenantId}/${c.kind}`) ?? { tenantId: c.tenantId, kind: c.kind, value: UNLIMITED, raw: null };
      out.push(await store.limitStep(current, c.limit));
    }
    return out;
  };
  const existingPlanned = planned.filter((c) => !after.get(c.tenantId)!.isNew);
  const frees = (c: PlannedChange) => {
    const child = allocTenants.get(c.tenantId)?.parent !== undefined;
    const down = ceiling(c.limit) < ceiling(c.before);
    return child ? down : !down;
  };
  const first = existingPlanned.filter(frees);
  const last = existingPlanned.filter((c) => !frees(c));
  changes.add(...(await existingLimitSteps(first)));
  for (const c of existingPlanned) {
    const a = after.get(c.tenantId)!;
    if (a.parent) locks.add(spLock(a.parent));
    else lockTenant(a.id);
  }

  // SSO and storage as stored, for the tenants whose settings change or that start inheriting SSO:
  // SSO in one query ($in); storage lives in one database per tenant (Mender's deployments), so one
  // read per such database, a few at a time (StorageStore.records).
  const settingsRows = (t: Target, section: 'sso' | 'storage') => (rowsOf.get(t.entry.name) ?? []).filter((r) => r.field === section || r.field?.startsWith(`${section}.`));
  const startsInheriting = (t: Target) => t.record !== null && t.entry.sso_inherit === true && t.record.tenant.sso_inherit !== true && (rowsOf.get(t.entry.name) ?? []).some((r) => r.field === 'sso_inherit');
  const existing = targets.filter((t) => t.record !== null);
  const [ssoStored, storageStored] = await Promise.all([
    store.sso.getMany(existing.filter((t) => settingsRows(t, 'sso').length > 0 || startsInheriting(t)).map((t) => t.id)),
    store.storage.records(existing.filter((t) => settingsRows(t, 'storage').length > 0).map((t) => t.id)),
  ]);
  /** The SSO settings a tenant gives once the file is applied: its own as the file or the database has them, or those it inherits. */
  const ssoAfter = (id: string, depth = 0): SsoSettings | null => {
    const t = targetById.get(id);
    const rec = records.get(id);
    const inherits = (t?.entry.sso_inherit ?? rec?.tenant.sso_inherit) === true;
    const parent = after.get(id)?.parent;
    if (inherits && parent) return depth >= 8 ? null : ssoAfter(parent, depth + 1);
    if (t && t.entry.sso !== undefined) return (t.entry.sso as unknown as SsoSettings | null) ?? null;
    return state.sso.get(id) ?? null;
  };
  /** Tenants whose own SSO settings go because they start inheriting (as update-tenant --sso-inherit). */
  const droppedOwnSso = new Set<string>();

  const suspended: string[] = [];
  const spChanged = new Set<string>();
  const spChanges = new Map<string, boolean>();
  // Existing tenants: one update each, from the rows of its fields (limits are planned above).
  for (const t of targets) {
    const a = after.get(t.id)!;
    const e = t.entry;
    const tRows = rowsOf.get(e.name) ?? [];
    if (!t.record) continue;
    const fields: TenantFields = {};
    const extraSteps: Step[] = [];
    let ssoInheritNotes: string[] = [];
    const own = tRows.filter(
      (r) => r.action === 'update' && r.field !== undefined && !r.field.startsWith('users[') && r.field !== 'sso' && !r.field.startsWith('sso.') && r.field !== 'storage' && !r.field.startsWith('storage.') && !LIMIT_FIELD_NAMES.has(r.field),
    );
    for (const r of own) {
      switch (r.field) {
        case 'name':
          fields.name = e.name;
          locks.add(tenantNameLock(e.name));
          break;
        case 'status':
          fields.status = e.status;
          break;
        case 'plan':
          fields.plan = a.tenant.plan;
          break;
        case 'addons':
          fields.addons = a.tenant.addons;
          break;
        case 'service_provider':
          fields.service_provider = e.service_provider;
          break;
        case 'max_child_tenants':
          fields.max_child_tenants = e.max_child_tenants ?? null;
          break;
        case 'child_features':
          fields.child_features = e.child_features ?? null;
          break;
        case 'sso_inherit':
          fields.sso_inherit = e.sso_inherit ? true : null;
          locks.add(ssoLock(t.id));
          if (startsInheriting(t)) {
            if (e.sso !== undefined && e.sso !== null) {
              throw new RuleError(
                `"${e.name}" would inherit the SSO settings of its Service Provider and keep settings of its own; an inheriting tenant has none (as set-sso refuses)`,
                `remove sso from "${e.name}" in the file (or set it to null), or leave sso_inherit false`,
              );
            }
            const parent = a.parent ? (records.get(a.parent) ?? null) : null;
            const inherit = ssoInheritWritesOf(store, t.record, true, { parent, parentSettings: a.parent ? ssoAfter(a.parent) : null, own: ssoStored.get(t.id) ?? null });
            extraSteps.push(...inherit.steps);
            ssoInheritNotes = inherit.described;
            if (inherit.steps.length > 0) droppedOwnSso.add(t.id);
          }
          break;
        case 'trial':
          fields.trial = e.trial;
          break;
        case 'trial_expiration':
          fields.trial_expiration = e.trial_expiration ? new Date(e.trial_expiration) : null;
          break;
        default:
          break;
      }
    }
    // Children of an SP whose plan, add-ons or policy change follow it in the same operation (below).
    if (a.parent && spChangedLater(a.parent)) {
      delete fields.plan;
      delete fields.addons;
    }
    if (Object.keys(fields).length > 0) {
      fields.updated_at = now;
      if (fields.status === 'suspended' && t.record.tenant.status !== 'suspended') {
        fields.suspended_at = now;
        suspended.push(t.id);
      } else if (fields.status !== undefined && t.record.raw.suspended_at !== undefined) fields.suspended_at = null;
      changes.add(store.tenants.updateStep(t.record, fields));
      lockTenant(t.id, a.parent);
    }
    changes.add(...extraSteps);
    for (const r of own) {
      if (a.parent && spChangedLater(a.parent) && (r.field === 'plan' || r.field === 'addons')) continue;
      const more = r.field === 'sso_inherit' && ssoInheritNotes.length > 0 ? `; ${ssoInheritNotes.join('; ')}` : '';
      tenantEvent(a, `${r.field}: ${show(r.before)} -> ${show(r.after)}${more}`);
    }
    if (a.sp && own.some((r) => r.field === 'plan' || r.field === 'addons' || r.field === 'child_features')) spChanged.add(t.id);
  }
  function spChangedLater(spId: string): boolean {
    let known = spChanges.get(spId);
    if (known === undefined) {
      const sp = targetById.get(spId);
      known = sp?.record ? (rowsOf.get(sp.entry.name) ?? []).some((r) => r.field === 'plan' || r.field === 'addons' || r.field === 'child_features') : false;
      spChanges.set(spId, known);
    }
    return known;
  }
  // An SP's plan, add-ons or policy: every child follows (MEN-7511), as update-tenant does it.
  for (const spId of spChanged) {
    const sp = after.get(spId)!;
    const kids = (childrenAfter.get(spId) ?? []).map((k) => records.get(k)).filter((r): r is TenantRecord => r !== undefined);
    if (kids.length === 0) continue;
    const spRecord: TenantRecord = { ...records.get(spId)!, tenant: sp.tenant };
    const policy = sp.tenant.child_features;
    const described = checkChildFeaturePolicy(kids, Array.isArray(policy) ? policy.map(String) : null, true);
    const writes = inheritanceWrites(store, spRecord, kids, now);
    changes.add(...writes.steps);
    for (const event of writes.events) changes.audit({ ...event, change: `${event.change} (${fileNote})`, meta });
    if (described.length > 0 || writes.steps.length > 0) lockTenant(spId);
  }

  // New tenants: SPs before their children.
  const newOnes = targets.filter((t) => !t.record).sort((x, y) => (x.parentName === null ? 0 : 1) - (y.parentName === null ? 0 : 1));
  for (const t of newOnes) {
    const a = after.get(t.id)!;
    const e = t.entry;
    // A new child that inherits needs an SP with settings to give, as create-tenant --sso refuses (exit 5).
    if (e.sso_inherit === true && a.parent) assertInheritableSso(a.parent, ssoAfter(a.parent));
    let token = fresh.tokens.get(t.id);
    if (!token) {
      token = fresh.makeToken!(t.id);
      registerSecret(token);
      fresh.tokens.set(t.id, token);
    }
    const tf = a.tenant;
    const created = store.tenants.newDocument(
      {
        name: e.name,
        status: tf.status,
        plan: tf.plan,
        addons: tf.addons.length ? tf.addons : ADDONS.map((n) => ({ name: n, enabled: false })),
        service_provider: a.sp || undefined,
        parent_tenant_id: a.parent,
        max_child_tenants: e.max_child_tenants ?? undefined,
        child_features: e.child_features ?? undefined,
        sso_inherit: e.sso_inherit ? true : undefined,
        trial: e.trial ?? undefined,
        trial_expiration: e.trial_expiration ? new Date(e.trial_expiration) : undefined,
        created_at: now,
        updated_at: now,
      },
      t.id,
    );
    created.doc.tenant_token = token;
    if (tf.status === 'suspended') created.doc.suspended_at = now;
    changes.add(created.step);
    const none = (kind: LimitKind) => ({ tenantId: t.id, kind, value: UNLIMITED, raw: null });
    const limits = newLimits.get(t.id) ?? {};
    for (const kind of LIMIT_KINDS) if (limits[kind] !== undefined) changes.add(await store.limitStep(none(kind), limits[kind]!));
    changes.add(store.fleetCreated.tenantStep(t.id, e.name, options.checksum, now));
    locks.add(tenantLock(t.id));
    locks.add(tenantNameLock(e.name));
    locks.add(tenantTokenLock(tokenHash(token)));
    if (a.parent) locks.add(spLock(a.parent));
    const limitText = LIMIT_KINDS.filter((k) => limits[k] !== undefined).map((k) => `${k} ${limits[k] === UNLIMITED ? 'unlimited' : limits[k]}`).join(', ');
    tenantEvent(a, `tenant "${e.name}" created${a.parent ? ` as a child of Service Provider ${a.parent}` : ''}${a.sp ? ' as a Service Provider' : ''}: plan ${tf.plan}, ${limitText}`, 'create');
  }

  // Users: created (password from its reference, hashed only now), roles updated, removed with --prune.
  const allUsers = new Map<string, { tenantId: string }>();
  for (const [tid, list] of world.users) for (const u of list) allUsers.set(u.email.toLowerCase(), { tenantId: tid });
  const toHash: { t: Target; email: string; roles: string[]; ref: string | undefined }[] = [];
  const roleChanges: { t: Target; email: string; before: string[]; roles: string[] }[] = [];
  for (const t of targets) {
    const a = after.get(t.id)!;
    const current = new Map((world.users.get(t.id) ?? []).map((u) => [u.email.toLowerCase(), u]));
    for (const u of t.entry.users ?? []) {
      const email = normalizeEmail(u.email);
      const have = current.get(email);
      const roles = [...(u.roles ?? (t.record ? [] : [ADMIN_ROLE]))].sort();
      if (!have) {
        const holder = allUsers.get(email);
        if (holder) {
          throw new UsageError(`the email ${email} of a user of "${t.entry.name}" is already used by a user of tenant ${holder.tenantId}`, 'emails are unique across all tenants: give a new one');
        }
        toHash.push({ t, email, roles, ref: u.password });
        continue;
      }
      if (u.roles !== undefined && JSON.stringify([...have.roles].sort()) !== JSON.stringify(roles)) roleChanges.push({ t, email, before: [...have.roles].sort(), roles });
    }
  }
  // Users removed by --prune follow delete-user's rule: a tenant keeps one admin (its end state counts,
  // new users and role changes of the file included); so does a role change that takes the admin role away.
  const demoted = roleChanges.filter((c) => isAdmin(c.before) && !isAdmin(c.roles));
  if (userDeletes.length > 0 || demoted.length > 0) {
    const removed = new Set(userDeletes.map((d) => `${d.tenantId}:${d.email.toLowerCase()}`));
    const rolesAfter = new Map(roleChanges.map((c) => [`${c.t.id}:${c.email.toLowerCase()}`, c.roles]));
    const adminsAfter = new Map<string, number>();
    for (const h of toHash) if (isAdmin(h.roles)) adminsAfter.set(h.t.id, (adminsAfter.get(h.t.id) ?? 0) + 1);
    for (const tenantId of new Set([...userDeletes.map((d) => d.tenantId), ...demoted.map((c) => c.t.id)])) {
      for (const u of world.users.get(tenantId) ?? []) {
        const key = `${tenantId}:${u.email.toLowerCase()}`;
        if (!removed.has(key) && isAdmin(rolesAfter.get(key) ?? u.roles)) adminsAfter.set(tenantId, (adminsAfter.get(tenantId) ?? 0) + 1);
      }
    }
    for (const d of userDeletes) {
      const name = after.get(d.tenantId)!.name;
      const roles = (world.users.get(d.tenantId) ?? []).find((u) => u.email.toLowerCase() === d.email.toLowerCase())?.roles ?? [];
      assertNotLastAdmin({ id: d.tenantId, name }, d.email, roles, adminsAfter.get(d.tenantId) ?? 0, `keep ${d.email} in the file, or give another user of "${name}" the admin role (${ADMIN_ROLE}) in it`);
    }
    for (const c of demoted) {
      const name = after.get(c.t.id)!.name;
      assertNotLastAdmin({ id: c.t.id, name }, c.email, c.before, adminsAfter.get(c.t.id) ?? 0, `keep the admin role (${ADMIN_ROLE}) of ${c.email} in the file, or give it to another user of "${name}" there`);
    }
  }
  if (roleChanges.length > 0) {
    // The users as stored, in one query: the compare-and-set starts from what is there (roles absent included).
    const stored = await store.users.findByEmails(roleChanges.map((c) => c.email));
    for (const c of roleChanges) {
      const rec = stored.get(c.email);
      if (!rec) continue;
      const a = after.get(c.t.id)!;
      changes.add(store.users.rolesStep(rec, c.roles));
      locks.add(tenantLock(c.t.id));
      audit({ action: 'update', tenantId: c.t.id, parentId: a.parent, object: userObject(rec.user.id, c.email), change: `roles: ${show(c.before)} -> ${show(c.roles)}` });
    }
  }
  if (toHash.length > 0) await store.requireUserIndex();
  for (const { t, email, roles, ref } of toHash) {
    const a = after.get(t.id)!;
    let hash = fresh.hashes.get(email);
    if (hash === undefined) {
      const password = ref === undefined ? undefined : resolveReference(ref, deps.env);
      if (password === undefined) {
        throw new UsageError(
          `no password for the new user ${email} of "${t.entry.name}"${ref ? `: ${ref} is not set` : ''}`,
          `give the user password: \${env:NAME} or \${file:PATH} in the file (Mender has no invitation for users created here)`,
        );
      }
      hash = await deps.hashPassword(validatePassword(password));
      fresh.hashes.set(email, hash);
    }
    const made = store.userCreateSteps({ email, passwordHash: hash, tenantId: t.id, roles, now });
    changes.add(...made.steps, store.fleetCreated.userStep(t.id, email, options.checksum, now));
    locks.add(tenantLock(t.id));
    audit({ action: 'create', tenantId: t.id, parentId: a.parent, object: userObject(made.user.id, email), change: `user ${email} created with role${roles.length === 1 ? '' : 's'} ${roles.join(', ') || 'none'}` });
  }
  if (userDeletes.length > 0) {
    const raws = await store.users.findByEmails(userDeletes.map((d) => d.email));
    for (const d of userDeletes) {
      const raw = raws.get(d.email);
      if (!raw) continue;
      const a = after.get(d.tenantId)!;
      changes.add(store.users.deleteStep(raw), store.fleetCreated.deleteStep(d.created));
      locks.add(tenantLock(d.tenantId));
      audit({ action: 'delete', tenantId: d.tenantId, parentId: a.parent, object: userObject(raw.user.id, d.email), change: `user ${d.email} removed` });
      applied.push(d.row);
    }
  }

  // SSO and storage settings: written whole when diff found a change in them.
  for (const t of targets) {
    const a = after.get(t.id)!;
    const tRows = rowsOf.get(t.entry.name) ?? [];
    for (const section of ['sso', 'storage'] as const) {
      const sRows = settingsRows(t, section);
      const wantedSettings = t.entry[section];
      if (sRows.length === 0 && !(t.record === null && wantedSettings)) continue;
      if (section === 'sso') {
        const inheriting = (t.entry.sso_inherit ?? t.record?.tenant.sso_inherit) === true && a.parent !== undefined;
        if (inheriting && wantedSettings !== null && wantedSettings !== undefined) {
          throw new RuleError(
            `"${t.entry.name}" inherits the SSO settings of its Service Provider; they cannot be overridden (as set-sso refuses)`,
            `remove sso from "${t.entry.name}" in the file (or set it to null), or set sso_inherit: false`,
          );
        }
        const current = t.record ? (ssoStored.get(t.id) ?? null) : null;
        if (wantedSettings === null || wantedSettings === undefined) {
          if (current && !droppedOwnSso.has(t.id)) changes.add(store.sso.deleteStep(current));
        } else {
          const settings = resolvedSettings('sso', t.entry.name, wantedSettings, (current?.settings as unknown as Record<string, unknown>) ?? null, options.source, deps.env) as SsoSettings;
          changes.add(store.sso.setStep(current, t.id, settings, now));
        }
        locks.add(ssoLock(t.id));
      } else {
        const current = t.record ? (storageStored.get(t.id) ?? null) : null;
        if (wantedSettings === null || wantedSettings === undefined) {
          if (current) changes.add(store.storage.setStep(current, t.id, null));
        } else {
          const settings = resolvedSettings('storage', t.entry.name, wantedSettings, (current?.settings as unknown as Record<string, unknown>) ?? null, options.source, deps.env) as StorageSettings;
          changes.add(store.storage.setStep(current, t.id, settings));
        }
        locks.add(storageLock(t.id));
      }
      for (const r of sRows) tenantEvent(a, `${r.field}: ${show(r.before)} -> ${show(r.after)}`);
    }
  }

  changes.add(...(await existingLimitSteps(last)));
  for (const c of existingPlanned) {
    const a = after.get(c.tenantId)!;
    tenantEvent(a, `${c.kind}: ${c.before === UNLIMITED ? 'unlimited' : c.before} -> ${c.limit === UNLIMITED ? 'unlimited' : c.limit}`);
  }

  for (const row of rows) if (row.action !== 'delete') applied.push(row);
  for (const id of pruned) {
    const row = deletions.find((r) => r.field === undefined && r.id === id)!;
    applied.push(row);
    const rec = records.get(id)!;
    lockTenant(id, rec.tenant.parent_tenant_id);
  }
  if (pruned.length > 0) {
    // Removed as delete-tenant removes them (every record of theirs, everywhere), after the commit point.
    const groups = pruneGroups(records, pruned);
    const removal = await store.removal.plan(groups.flat(), {});
    changes.afterCommit(...store.removal.steps(removal, groups), store.fleetCreated.forgetTenantsStep(pruned));
    for (const id of pruned) {
      const t = records.get(id)!.tenant;
      const parent = t.parent_tenant_id;
      audit({
        action: 'delete',
        tenantId: parent && !prunedSet.has(parent) ? parent : '',
        object: tenantObject(id, t.name, parent),
        change: `tenant "${t.name}" removed with all its records (it was created from a fleet file and is no longer in it)`,
      });
    }
    if (changes.steps.length === 0) changes.forwardOnly = true;
  }
  return { changes, rows: applied, locks: [...locks], notes, suspended, limits: existingPlanned };
}

/** Children first, then the rest: the order removals go in. */
export function pruneGroups(records: Map<string, TenantRecord>, ids: string[]): string[][] {
  const kids = ids.filter((id) => records.get(id)?.tenant.parent_tenant_id);
  const rest = ids.filter((id) => !records.get(id)?.tenant.parent_tenant_id);
  return [kids, rest].filter((g) => g.length > 0);
}
