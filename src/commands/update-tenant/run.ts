/** update-tenant: change a tenant (Service Provider, name, plan, status, add-ons, token, parent, policies). */
import type { OptionsOf } from '../../options';
import type { updateTenantOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ConflictError, NotFoundError, RuleError, UsageError } from '../../errors';
import { ADDONS, LIMIT_KINDS, UNLIMITED, applyAddons, formatLimit, parseAddonFlags, parseTenantId, parseTrialExpiration, validateTenantName } from '../../domain/tenant';
import { confirmYes, consentNeeded } from '../../confirm';
import { allocationOf, requireActiveSp, requireChildSlot, requireRoomFor } from '../../domain/allocation';
import { loadWorld, withAllocationLocks } from '../../operations/allocation';
import { requireTenant, tenantLabel } from '../../operations/tenants';
import { ChangeSet, tenantObject, spLock, ssoLock, tenantLock, tenantNameLock, tenantTokenLock, type TenantFields, type TenantRecord } from '../../store';
import { tokenHash } from '../../domain/token-format';
import { LimitRefresh } from '../../mender/limit-cache';
import { warnDirectRevocation } from '../../notices';
import { deviceFiguresOf } from '../../operations/tenant-view';
import { tenantColumns } from '../../views/tenant';
import { assertChildAddonsAllowed, differencesFromSp, inheritedFeatures, parseChildFeatures } from '../../domain/child-features';
import { tokenMaker } from '../../operations/token-format';
import { registerSecret } from '../../secrets';
import { assertChildAddonChange, checkChildFeaturePolicy, inheritanceWrites, ssoInheritWrites, type PolicyWrites } from '../../operations/tenant-policies';

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
  if (Object.keys(wanted).length === 0 && addonFlags.size === 0 && !options.rotateToken && parentTo === undefined && !options.inherit) {
    throw new UsageError(
      'nothing to change',
      'give at least one of --name, --plan, --status, --addon, --service-provider, --max-child-tenants, --child-features, --sso-inherit, --trial, --trial-expiration, --rotate-token, --parent, --no-parent, --inherit',
    );
  }
  // Suspending and rotating the token take access away: asked first (before anything is read), or --yes.
  const takes = [
    ...(wanted.status === 'suspended' ? ["suspend it (every device and user token of it is revoked)"] : []),
    ...(options.rotateToken ? ['rotate its tenant token (devices keep working only once given the new one)'] : []),
  ];
  const ask = takes.length > 0 && consentNeeded(options.yes, `update-tenant --tenant ${id} (${takes.join(' and ')})`, deps);
  // The question names the tenant by name and id: a person checks the name, not the hex.
  if (ask) await confirmYes(`Tenant ${await tenantLabel(await deps.store(), id)}: ${takes.join(' and ')}?`, deps);

  const store = await deps.store();
  // Settled first: a change killed midway is finished or undone before anything is read.
  await store.settleInterrupted();
  // A rotated token follows the format in use (a JWT needs the key, loaded now; an opaque one
  // none); its uniqueness is decided under a lock named by its hash.
  const newToken = options.rotateToken ? (await tokenMaker(store, deps)).make(id) : undefined;
  const sign = newToken === undefined ? undefined : () => newToken;
  // Only stdout carries it: whatever error quotes it is redacted on stderr.
  registerSecret(newToken);
  // The result's device figures are not what this command changes: read them meanwhile.
  const figures = deviceFiguresOf(store, id);

  // Every update holds `sp:<id>` of the tenant, so that promoting, attaching and allocating never
  // race; a change whose rules read the tenant's SP (add-ons against the SP's policy, inherited
  // SSO, a new parent) also holds `sp:<id>` of its current SP and of a new one.
  const body = async (record: TenantRecord) => {
    const now = deps.now();
    const extra: PolicyWrites[] = [];
    // An SP's children, read once for its policy check and their inheritance, when either is needed.
    let children: TenantRecord[] | undefined;
    const childrenOf = async (): Promise<TenantRecord[]> => {
      if (!children) {
        children = [];
        for await (const child of store.tenants.find({ parent: id })) children.push(child);
      }
      return children;
    };
    // The child rules may set the plan and add-ons (--inherit): this attempt's own copies.
    const fields: TenantFields = { ...wanted };
    let flags = addonFlags;
    let policyChecked = false;
    const childOf = parentTo === undefined ? record.tenant.parent_tenant_id : (parentTo ?? undefined);
    if (options.inherit && !childOf) {
      throw new RuleError(`tenant ${id} has no Service Provider to inherit a plan and add-ons from`, `attach it in the same change: tenantadm update-tenant --tenant ${id} --parent SP_ID --inherit`);
    }
    if (childOf && (options.inherit || fields.plan !== undefined || flags.size > 0 || parentTo)) {
      const sp = await store.tenants.findOne({ id: childOf });
      // A missing SP is named by the attach below (exit 3); a child's vanished SP leaves nothing to compare.
      if (sp) {
        if (options.inherit) {
          const inherited = inheritedFeatures(sp.tenant);
          fields.plan = inherited.plan;
          flags = new Map(ADDONS.map((a) => [a, (inherited.addons as string[]).includes(a)]));
          // Unknown add-on entries go off too.
          for (const a of record.tenant.addons) if (a.enabled && !flags.has(a.name as (typeof ADDONS)[number])) flags.set(a.name as (typeof ADDONS)[number], false);
        } else {
          // The SP's policy first: its message names what the SP does not allow.
          if (flags.size > 0 && parentTo === undefined) {
            await assertChildAddonChange(store, record, flags);
            policyChecked = true;
          }
          requireSpFeatures(record, sp, fields.plan, flags, parentTo !== undefined && parentTo !== (record.tenant.parent_tenant_id ?? null));
        }
      }
    }
    if (wanted.child_features !== undefined) {
      if (!(wanted.service_provider ?? record.tenant.service_provider)) {
        throw new RuleError(
          `tenant ${id} is not a Service Provider; only an SP has a policy for its children`,
          `promote it first: tenantadm update-tenant --tenant ${id} --service-provider`,
        );
      }
      // Refuses (without --force) a policy that switches off add-ons children use; the children's
      // new add-ons themselves come from the inheritance below, with the SP's plan and add-ons.
      extra.push({ steps: [], events: [], described: checkChildFeaturePolicy(await childrenOf(), wanted.child_features, options.force === true) });
    }
    if (flags.size > 0 && !options.inherit && !policyChecked) await assertChildAddonChange(store, record, flags);
    extra.push(await ssoInheritWrites(store, record, wanted.sso_inherit));
    // An SP's plan, add-ons or policy: every child follows in this same operation (Enterprise 4.x, MEN-7511).
    if (record.tenant.service_provider && (fields.plan !== undefined || flags.size > 0 || wanted.child_features !== undefined)) {
      const t = record.tenant;
      const spAfter: TenantRecord = {
        ...record,
        tenant: {
          ...t,
          plan: fields.plan ?? t.plan,
          addons: flags.size > 0 ? applyAddons(t.addons, flags) : t.addons,
          ...(wanted.child_features !== undefined ? { child_features: wanted.child_features ?? undefined } : {}),
        },
      };
      // Only a real change re-applies: asking for what the SP already has writes nothing (check --repair mends strays).
      const changed =
        spAfter.tenant.plan !== t.plan ||
        JSON.stringify(spAfter.tenant.addons) !== JSON.stringify(t.addons) ||
        JSON.stringify(spAfter.tenant.child_features ?? null) !== JSON.stringify(t.child_features ?? null);
      if (changed) extra.push(inheritanceWrites(store, spAfter, await childrenOf(), now));
    }
    const changes = plan(record, fields, flags, sign, now, extra);
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
    if (wanted.service_provider === true && !record.tenant.service_provider) await requirePromotable(record);
    const parentAfter = parentTo === undefined ? record.tenant.parent_tenant_id : (parentTo ?? undefined);
    const nesting = parentTo !== undefined || wanted.service_provider === true;
    if (nesting && spFlag && parentAfter) {
      throw new RuleError(
        `tenant ${id} would be both a Service Provider and the child of ${parentAfter}; Service Providers cannot be nested`,
        parentTo ? 'attach an ordinary tenant, or demote it first with --no-service-provider' : 'detach it first with --no-parent',
      );
    }
    if (parentTo !== undefined && parentTo !== (record.tenant.parent_tenant_id ?? null)) {
      await attachOrDetach(record, parentTo, changes, flags);
    }
    if (newToken !== undefined) {
      const holder = await store.tenants.findOne({ token: newToken });
      if (holder) throw new ConflictError(`another tenant (id ${holder.tenant.id}) holds the new tenant token`, 'nothing was written; run the command again', { id: holder.tenant.id });
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
    ...(newToken !== undefined ? [tenantTokenLock(tokenHash(newToken))] : []),
  ];
  let revoked: ReturnType<typeof store.revokeTokensSteps> | undefined;
  /** Said once the promotion is written (--allow-devices). */
  let devicesWarning: string | undefined;
  // Parsed before the write: a malformed Redis URL is exit 2 with nothing written.
  const refresh = new LimitRefresh(deps.config, deps.warn);
  const locked = async (record: TenantRecord): Promise<{ changes: ChangeSet | null; result: TenantRecord }> => {
    const out = await body(record);
    // Suspension takes access away now: every device and user token of the tenant is revoked once the change commits.
    if (out.changes && wanted.status === 'suspended' && record.tenant.status !== 'suspended') {
      revoked = store.revokeTokensSteps(id);
      // Then what deviceauth's own token API does besides deleting: move the tenant's cache version.
      out.changes.afterCommit(...revoked.steps, ...store.cacheSteps(refresh.tenants([id])));
    }
    // The result is the record as written: what was read with this change applied.
    return { changes: out.changes, result: out.changes ? store.tenants.afterUpdate(record, out.changes.steps[0]!) : record };
  };
  // An SP's plan, add-ons or policy change its children too: under its allocation lock, as the children's own changes are.
  const readsParent =
    addonFlags.size > 0 || wanted.sso_inherit !== undefined || parentTo !== undefined || wanted.plan !== undefined || options.inherit === true || wanted.child_features !== undefined;
  const written = readsParent
    ? await withAllocationLocks(store, [id], extraLocks, (fresh) => locked(fresh.get(id)!))
    : await store.exclusive([spLock(id), tenantLock(id), ...extraLocks], async () => locked(await requireTenant(store, id)));
  if (devicesWarning) deps.warn(devicesWarning);
  if (revoked && revoked.direct.length > 0) warnDirectRevocation(deps, revoked.direct);
  return { type: 'object', data: (await figures)(written), columns: tenantColumns };

  /**
   * A child's plan and add-ons are its SP's (MEN-7493, MEN-7511). Attaching: the tenant as it
   * will be must match; a child staying: each change asked for must go to the SP's value.
   */
  function requireSpFeatures(record: TenantRecord, sp: TenantRecord, plan: string | undefined, flags: Map<string, boolean>, attaching: boolean): void {
    const t = record.tenant;
    const inherited = inheritedFeatures(sp.tenant);
    let differs: string[];
    if (attaching) {
      differs = differencesFromSp(sp.tenant, plan ?? t.plan, applyAddons(t.addons, flags as Map<(typeof ADDONS)[number], boolean>));
    } else {
      differs = [];
      if (plan !== undefined && plan !== inherited.plan) differs.push(`plan ${plan} (its Service Provider's: ${inherited.plan})`);
      for (const [addon, on] of flags) {
        const should = (inherited.addons as string[]).includes(addon);
        if (on !== should) differs.push(`add-on ${addon} ${on ? 'on' : 'off'} (its Service Provider's: ${should ? 'on' : 'off'})`);
      }
    }
    if (differs.length === 0) return;
    throw new RuleError(
      `tenant ${id} ("${t.name}") ${attaching ? 'would join' : 'is a child of'} Service Provider ${sp.tenant.id} with ${differs.join(', ')}; a child has its Service Provider's plan and add-ons (Mender Enterprise 4.x, MEN-7493)`,
      attaching
        ? `add --inherit to give it the Service Provider's in the same change: tenantadm update-tenant --tenant ${id} --parent ${sp.tenant.id} --inherit`
        : `change the Service Provider's instead, or give the child its Service Provider's: tenantadm update-tenant --tenant ${id} --inherit`,
      { sp_id: sp.tenant.id, differences: differs },
    );
  }

  /**
   * Mender Enterprise 4.x's rules for a new Service Provider: it has a device limit (MEN-7954),
   * and it holds no devices, since device authentication is refused in SP tenants (MEN-7715).
   */
  async function requirePromotable(record: TenantRecord): Promise<void> {
    const limit = (await store.limits.get(id, 'max_devices')).value;
    if (limit === UNLIMITED) {
      throw new RuleError(
        `tenant ${id} ("${record.tenant.name}") has no device limit; a Service Provider must have one (Mender Enterprise 4.x, MEN-7954)`,
        `set a limit first: tenantadm set-device-limit --tenant ${id} --device-limit N`,
        { tenant_id: id },
      );
    }
    const held = await store.devices.countOf(id);
    if (held === 0) return;
    const counts = (await store.devices.countsByStatus([id])).get(id)!;
    const known = Object.entries(counts).filter(([, n]) => n > 0);
    const other = held - known.reduce((a, [, n]) => a + n, 0);
    const detail = [...known.map(([status, n]) => `${n} ${status}`), ...(other > 0 ? [`${other} other`] : [])].join(', ');
    if (!options.allowDevices) {
      throw new RuleError(
        `tenant ${id} ("${record.tenant.name}") holds ${held} device(s) (${detail}); Mender Enterprise 4.x refuses device authentication in a Service Provider (MEN-7715)`,
        `decommission them first, or promote it anyway with --allow-devices`,
        { tenant_id: id, devices: held },
      );
    }
    devicesWarning = `tenant ${id} holds ${held} device(s) (${detail}); as a Service Provider, Mender Enterprise 4.x will refuse their next authentication (MEN-7715)`;
  }

  /**
   * Check the rules for a new parent (or none) and add the parent change to `planned`:
   * the tenant's update step gets `parent_tenant_id`, and each SP's log gets an entry.
   */
  async function attachOrDetach(record: TenantRecord, to: string | null, planned: Planned, flags: Map<(typeof ADDONS)[number], boolean>): Promise<void> {
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
      assertChildAddonsAllowed(sp, applyAddons(t.addons, flags), `tenant ${id} ("${t.name}")`);
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
