/** update-tenant: change a tenant (Service Provider, name, plan, status, add-ons, token, parent, policies). */
import type { OptionsOf } from '../../options';
import type { updateTenantOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ConflictError, NotFoundError, RuleError, UsageError } from '../../errors';
import { LIMIT_KINDS, UNLIMITED, applyAddons, formatLimit, parseAddonFlags, parseTenantId, parseTrialExpiration, validateTenantName } from '../../domain/tenant';
import { confirmYes, consentNeeded } from '../../confirm';
import { allocationOf, requireActiveSp, requireChildSlot, requireRoomFor } from '../../domain/allocation';
import { loadWorld, withAllocationLocks } from '../../operations/allocation';
import { requireTenant, tenantLabel } from '../../operations/tenants';
import { ChangeSet, tenantObject, spLock, ssoLock, tenantLock, tenantNameLock, type TenantFields, type TenantRecord } from '../../store';
import { LimitRefresh } from '../../mender/limit-cache';
import { warnDirectRevocation } from '../../notices';
import { deviceFiguresOf } from '../../operations/tenant-view';
import { tenantColumns } from '../../views/tenant';
import { assertChildAddonsAllowed, parseChildFeatures } from '../../domain/child-features';
import { assertChildAddonChange, childFeatureWrites, ssoInheritWrites, type PolicyWrites } from '../../operations/tenant-policies';

export type UpdateTenantOptions = OptionsOf<typeof updateTenantOptions>;

/** The change being built; null while nothing differs. */
interface Planned {
  set: ChangeSet | null;
}

function show(v: unknown): string {
  return v === undefined || v === null ? 'unset' : typeof v === 'string' ? v : JSON.stringify(v);
}

export async function updateTenant(options: UpdateTenantOptions, deps: Deps): Promise<Result> {
  const id = parseTenantId(options.tenant);
  const wanted: TenantFields = {};
  if (options.name !== undefined) wanted.name = validateTenantName(options.name);
  if (options.plan !== undefined) wanted.plan = options.plan;
  if (options.status !== undefined) wanted.status = options.status;
  if (options.serviceProvider !== undefined) wanted.service_provider = options.serviceProvider;
  if (options.maxChildTenants !== undefined) {
    wanted.max_child_tenants = options.maxChildTenants === 'unlimited' ? null : options.maxChildTenants;
  }
  if (options.childFeatures !== undefined) wanted.child_features = parseChildFeatures(options.childFeatures);
  if (options.ssoInherit !== undefined) wanted.sso_inherit = options.ssoInherit ? true : null;
  if (options.trial !== undefined) wanted.trial = options.trial === 'true';
  if (options.trialExpiration !== undefined) wanted.trial_expiration = parseTrialExpiration(options.trialExpiration);
  const parentTo = options.parent === undefined ? undefined : options.parent === false ? null : parseTenantId(options.parent, 'parent id');
  const addonFlags = parseAddonFlags(options.addon ?? []);
  if (Object.keys(wanted).length === 0 && addonFlags.size === 0 && !options.rotateToken && parentTo === undefined) {
    throw new UsageError(
      'nothing to change',
      'give at least one of --name, --plan, --status, --addon, --service-provider, --max-child-tenants, --child-features, --sso-inherit, --trial, --trial-expiration, --rotate-token, --parent, --no-parent',
    );
  }
  // Suspending and rotating the token take access away: asked first (before anything is read), or --yes.
  const takes = [
    ...(wanted.status === 'suspended' ? ["suspend it (every device and user token of it is revoked)"] : []),
    ...(options.rotateToken ? ['rotate its tenant token (devices keep working only once given the new one)'] : []),
  ];
  const ask = takes.length > 0 && consentNeeded(options.yes, `update-tenant --tenant ${id} (${takes.join(' and ')})`, deps);
  const sign = options.rotateToken ? deps.signer() : undefined;
  // The question names the tenant by name and id: a person checks the name, not the hex.
  if (ask) await confirmYes(`Tenant ${await tenantLabel(await deps.store(), id)}: ${takes.join(' and ')}?`, deps);

  const store = await deps.store();
  // Settled first: a change killed midway is finished or undone before anything is read.
  await store.settleInterrupted();
  // The result's device figures are not what this command changes: read them meanwhile.
  const figures = deviceFiguresOf(store, id);

  // Every update holds `sp:<id>` of the tenant, so that promoting, attaching and allocating never
  // race; a change whose rules read the tenant's SP (add-ons against the SP's policy, inherited
  // SSO, a new parent) also holds `sp:<id>` of its current SP and of a new one.
  const body = async (record: TenantRecord) => {
    const now = deps.now();
    const extra: PolicyWrites[] = [];
    if (wanted.child_features !== undefined) {
      if (!(wanted.service_provider ?? record.tenant.service_provider)) {
        throw new RuleError(
          `tenant ${id} is not a Service Provider; only an SP has a policy for its children`,
          `promote it first: tenantadm update-tenant --tenant ${id} --service-provider`,
        );
      }
      extra.push(await childFeatureWrites(store, record, wanted.child_features, options.force === true, now));
    }
    if (addonFlags.size > 0) await assertChildAddonChange(store, record, addonFlags);
    extra.push(await ssoInheritWrites(store, record, wanted.sso_inherit));
    const changes = plan(record, wanted, addonFlags, sign, now, extra);
    const spFlag = wanted.service_provider ?? record.tenant.service_provider;
    if (wanted.service_provider === false && record.tenant.service_provider) {
      const children = await store.tenants.count({ parent: id });
      if (children > 0) {
        throw new RuleError(
          `tenant ${id} still has ${children} child tenant${children === 1 ? '' : 's'}; a Service Provider with children cannot be demoted`,
          `detach or remove them first (tenantadm list-tenants --parent ${id})`,
          { children },
        );
      }
    }
    const parentAfter = parentTo === undefined ? record.tenant.parent_tenant_id : (parentTo ?? undefined);
    const nesting = parentTo !== undefined || wanted.service_provider === true;
    if (nesting && spFlag && parentAfter) {
      throw new RuleError(
        `tenant ${id} would be both a Service Provider and the child of ${parentAfter}; Service Providers cannot be nested`,
        parentTo ? 'attach an ordinary tenant, or demote it first with --no-service-provider' : 'detach it first with --no-parent',
      );
    }
    if (parentTo !== undefined && parentTo !== (record.tenant.parent_tenant_id ?? null)) {
      await attachOrDetach(record, parentTo, changes);
    }
    if (wanted.name !== undefined && wanted.name !== record.tenant.name) {
      const taken = await store.tenants.findOne({ name: wanted.name });
      if (taken) throw new ConflictError(`a tenant named "${wanted.name}" already exists (id ${taken.tenant.id})`);
    }
    return { changes: changes.set, result: record };
  };
  const extraLocks = [
    ...(parentTo ? [spLock(parentTo)] : []),
    ...(wanted.sso_inherit !== undefined ? [ssoLock(id)] : []),
    // Renames check the name under its lock, as creates do (names are not indexed).
    ...(wanted.name !== undefined ? [tenantNameLock(wanted.name)] : []),
  ];
  let revoked: ReturnType<typeof store.revokeTokensSteps> | undefined;
  // Parsed before the write: a malformed Redis URL is exit 2 with nothing written.
  const refresh = new LimitRefresh(deps.config, deps.warn);
  const locked = async (record: TenantRecord): Promise<{ changes: ChangeSet | null; result: TenantRecord }> => {
    const out = await body(record);
    // Suspension takes access away now: every device and user token of the tenant is revoked once the change commits.
    if (out.changes && wanted.status === 'suspended' && record.tenant.status !== 'suspended') {
      revoked = store.revokeTokensSteps(id);
      out.changes.afterCommit(...revoked.steps);
    }
    // The result is the record as written: what was read with this change applied.
    return { changes: out.changes, result: out.changes ? store.tenants.afterUpdate(record, out.changes.steps[0]!) : record };
  };
  const readsParent = addonFlags.size > 0 || wanted.sso_inherit !== undefined || parentTo !== undefined;
  const written = readsParent
    ? await withAllocationLocks(store, [id], extraLocks, (fresh) => locked(fresh.get(id)!))
    : await store.exclusive([spLock(id), tenantLock(id), ...extraLocks], async () => locked(await requireTenant(store, id)));
  if (revoked) {
    if (revoked.direct.length > 0) warnDirectRevocation(deps, revoked.direct);
    // What deviceauth's own token API does besides deleting: move the tenant's cache version.
    await refresh.tenants([id]);
  }
  return { type: 'object', data: (await figures)(written), columns: tenantColumns };

  /**
   * Check the rules for a new parent (or none) and add the parent change to `planned`:
   * the tenant's update step gets `parent_tenant_id`, and each SP's log gets an entry.
   */
  async function attachOrDetach(record: TenantRecord, to: string | null, planned: Planned): Promise<void> {
    const t = record.tenant;
    const from = t.parent_tenant_id;
    const { world, records } = await loadWorld(store, to ? [id, to] : [id]);
    const limits = world.tenants.get(id)!.limits;
    const described = LIMIT_KINDS.filter((k) => k === 'max_devices' || limits[k] !== UNLIMITED)
      .map((k) => `${k} ${formatLimit(limits[k] ?? UNLIMITED)}`)
      .join(', ');
    if (to) {
      if (to === id) throw new RuleError(`tenant ${id} cannot be its own Service Provider`);
      const sp = records.get(to)!.tenant;
      requireActiveSp(sp, `attach ${id} to it`);
      assertChildAddonsAllowed(sp, applyAddons(t.addons, addonFlags), `tenant ${id} ("${t.name}")`);
      const own = world.children.get(id) ?? [];
      if (own.length > 0) {
        throw new RuleError(`tenant ${id} has ${own.length} child tenant(s) of its own; Service Providers cannot be nested`, 'detach its children first');
      }
      const kids = (world.children.get(to) ?? []).filter((k) => k !== id);
      requireChildSlot(sp, kids.length);
      for (const kind of LIMIT_KINDS) {
        const others = allocationOf(kids.map((k) => world.tenants.get(k)!.limits[kind] ?? UNLIMITED));
        requireRoomFor(
          { id: to, name: sp.name, limit: world.tenants.get(to)!.limits[kind] ?? UNLIMITED },
          others,
          { label: `tenant ${id} ("${t.name}") with its current limit`, limit: limits[kind] ?? UNLIMITED },
          kind,
        );
      }
    }
    const set = planned.set ?? new ChangeSet('update-tenant').add(store.tenants.updateStep(record, { updated_at: deps.now() }));
    const step = set.steps[0]!;
    if (step.kind === 'update') {
      if (record.raw.parent_tenant_id === undefined) step.before.unset.push('parent_tenant_id');
      else step.before.set.parent_tenant_id = record.raw.parent_tenant_id;
      if (to) step.after.set.parent_tenant_id = to;
      else step.after.unset.push('parent_tenant_id');
    }
    const object = (parent: string) => ({ id, type: 'tenant' as const, tenant: { id, name: t.name, parent } });
    if (from) {
      set.audit({
        action: 'update',
        tenantId: id,
        parentId: from,
        object: object(from),
        change: `detached from Service Provider ${from}; its allocation (${described}) returns to the Service Provider`,
      });
    }
    if (to) {
      set.audit({
        action: 'update',
        tenantId: id,
        parentId: to,
        object: object(to),
        change: `attached to Service Provider ${to} with ${described}`,
      });
    }
    planned.set = set;
  }

  function plan(
    record: TenantRecord,
    fields: TenantFields,
    addons: ReturnType<typeof parseAddonFlags>,
    signer: ((id: string) => string) | undefined,
    now: Date,
    extra: PolicyWrites[] = [],
  ): Planned {
    const t = record.tenant;
    const diff: TenantFields = {};
    const described: string[] = [];
    const stored = record.raw;
    for (const key of ['name', 'plan', 'status', 'service_provider', 'max_child_tenants', 'child_features', 'sso_inherit', 'trial', 'trial_expiration'] as const) {
      const next = fields[key];
      if (next === undefined) continue;
      // Status and plan compare (and read in the audit entry) as Mender sees them, defaults included.
      const before = key === 'status' ? t.status : key === 'plan' ? t.plan : key === 'service_provider' ? t.service_provider : stored[key];
      if (JSON.stringify(next ?? undefined) === JSON.stringify(before ?? undefined)) continue;
      (diff as Record<string, unknown>)[key] = next;
      described.push(`${key}: ${show(before)} -> ${show(next)}`);
    }
    if (addons.size > 0) {
      const next = applyAddons(t.addons, addons);
      if (JSON.stringify(next) !== JSON.stringify(t.addons)) {
        diff.addons = next;
        for (const [name, enabled] of addons) {
          const was = t.addons.find((a) => a.name === name)?.enabled === true;
          if (was !== enabled) described.push(`addon ${name}: ${was ? 'on' : 'off'} -> ${enabled ? 'on' : 'off'}`);
        }
      }
    }
    if (signer) {
      diff.tenant_token = signer(t.id);
      described.push('tenant token rotated');
    }
    described.push(...extra.flatMap((e) => e.described));
    if (described.length === 0) return { set: null };
    diff.updated_at = now;
    // When the suspension began, for `maintenance delete-suspended-tenants --threshold-days`.
    if (diff.status === 'suspended') diff.suspended_at = now;
    else if (diff.status !== undefined && stored.suspended_at !== undefined) diff.suspended_at = null;
    const set = new ChangeSet('update-tenant').add(store.tenants.updateStep(record, diff));
    for (const e of extra) {
      set.add(...e.steps);
      for (const event of e.events) set.audit(event);
    }
    set.audit({
      action: 'update',
      tenantId: t.id,
      parentId: t.parent_tenant_id,
      object: tenantObject(t.id, diff.name ?? t.name),
      change: described.join('; '),
    });
    return { set };
  }
}
