import type { FromSchema } from 'json-schema-to-ts';
import type { Deps } from '../deps';
import type { Result, Column } from '../output';
import { ConflictError, NotFoundError, RuleError, UsageError } from '../errors';
import { PLANS, STATUSES, applyAddons, parseAddonFlags, parseTenantId, validateTenantName } from '../domain/tenant';
import { parseChildFeatures } from '../domain/child-features';
import { ChangeSet, type TenantFields, type TenantRecord } from '../store';
import { tenantColumns, viewOne } from './views';
import { assertChildAddonChange, childFeatureWrites, ssoInheritWrites, type PolicyWrites } from './tenant-policies';

export const schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    plan: { type: 'string', enum: [...PLANS] },
    status: { type: 'string', enum: [...STATUSES] },
    addon: { type: 'array', items: { type: 'string' } },
    serviceProvider: { type: 'boolean' },
    maxChildTenants: { type: 'string', pattern: '^(\\d+|unlimited)$' },
    rotateToken: { type: 'boolean' },
    childFeatures: { type: 'string' },
    force: { type: 'boolean' },
    ssoInherit: { type: 'boolean' },
  },
  required: ['id'],
  additionalProperties: false,
} as const;

export type UpdateTenantOptions = FromSchema<typeof schema>;

function show(v: unknown): string {
  return v === undefined || v === null ? 'unset' : typeof v === 'string' ? v : JSON.stringify(v);
}

export async function updateTenant(options: UpdateTenantOptions, deps: Deps): Promise<Result> {
  const id = parseTenantId(options.id);
  const wanted: TenantFields = {};
  if (options.name !== undefined) wanted.name = validateTenantName(options.name);
  if (options.plan !== undefined) wanted.plan = options.plan;
  if (options.status !== undefined) wanted.status = options.status;
  if (options.serviceProvider !== undefined) wanted.service_provider = options.serviceProvider;
  if (options.maxChildTenants !== undefined) {
    wanted.max_child_tenants = options.maxChildTenants === 'unlimited' ? null : Number(options.maxChildTenants);
  }
  if (options.childFeatures !== undefined) wanted.child_features = parseChildFeatures(options.childFeatures);
  if (options.ssoInherit !== undefined) wanted.sso_inherit = options.ssoInherit ? true : null;
  if (options.force && options.childFeatures === undefined) throw new UsageError('--force only goes with --child-features');
  const addonFlags = parseAddonFlags(options.addon ?? []);
  if (Object.keys(wanted).length === 0 && addonFlags.size === 0 && !options.rotateToken) {
    throw new UsageError(
      'nothing to change',
      'give at least one of --name, --plan, --status, --addon, --service-provider, --max-child-tenants, --child-features, --sso-inherit, --rotate-token',
    );
  }
  const sign = options.rotateToken ? deps.signer() : undefined;

  const store = await deps.store();
  const current = await store.tenants.findOne({ id });
  if (!current) throw new NotFoundError(`no tenant with id ${id}`, 'list them with `tenantadm list-tenants`');
  await store.beforeWrite();

  // Demoting a Service Provider must not race with a child being attached: hold its lock.
  // A policy change and a child's add-on change take the SP's lock too, so neither misses the other.
  const parentId = current.tenant.parent_tenant_id;
  const locks = [
    ...(wanted.service_provider === false || wanted.child_features !== undefined ? [`sp:${id}`] : []),
    ...(parentId && [...addonFlags.values()].some(Boolean) ? [`sp:${parentId}`] : []),
    ...(wanted.sso_inherit !== undefined ? [`sso:${id}`] : []),
  ];
  const updated = await store.exclusive(locks, async () => {
    const record = locks.length ? await store.tenants.findOne({ id }) : current;
    if (!record) throw new NotFoundError(`no tenant with id ${id}`);
    if (record.tenant.parent_tenant_id !== parentId) throw new ConflictError(`tenant ${id} was moved to another Service Provider meanwhile`, 'run the command again');
    const now = deps.now();
    const extra: PolicyWrites[] = [];
    if (wanted.child_features !== undefined) {
      if (!(wanted.service_provider ?? record.tenant.service_provider)) {
        throw new RuleError(`tenant ${id} is not a Service Provider; only an SP has a policy for its children`, `promote it first: tenantadm update-tenant --id ${id} --service-provider`);
      }
      extra.push(await childFeatureWrites(store, record, wanted.child_features, options.force === true, now));
    }
    if (addonFlags.size > 0) await assertChildAddonChange(store, record, addonFlags);
    extra.push(await ssoInheritWrites(store, record, wanted.sso_inherit));
    const changes = plan(record, wanted, addonFlags, sign, now, extra);
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
    if (wanted.name !== undefined && wanted.name !== record.tenant.name) {
      const taken = await store.tenants.findOne({ name: wanted.name });
      if (taken) throw new ConflictError(`a tenant named "${wanted.name}" already exists (id ${taken.tenant.id})`);
    }
    return { changes: changes.set, result: record };
  });
  void updated;
  const record = await store.tenants.findOne({ id });
  if (!record) throw new NotFoundError(`tenant ${id} was removed while it was being updated`);
  return { type: 'object', data: await viewOne(store, record), columns: tenantColumns as Column<never>[] };

  function plan(
    record: TenantRecord,
    fields: TenantFields,
    addons: ReturnType<typeof parseAddonFlags>,
    signer: ((id: string) => string) | undefined,
    now: Date,
    extra: PolicyWrites[] = [],
  ): { set: ChangeSet | null } {
    const t = record.tenant;
    const diff: TenantFields = {};
    const described: string[] = [];
    const stored = record.raw;
    for (const key of ['name', 'plan', 'status', 'service_provider', 'max_child_tenants', 'child_features', 'sso_inherit'] as const) {
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
    const set = new ChangeSet('update-tenant').add(store.tenants.updateStep(record, diff));
    for (const e of extra) {
      set.add(...e.steps);
      for (const event of e.events) set.audit(event);
    }
    set.audit({
      action: 'update',
      tenantId: t.id,
      parentId: t.parent_tenant_id,
      object: { id: t.id, type: 'tenant', tenant: { id: t.id, name: diff.name ?? t.name, ...(t.parent_tenant_id ? { parent: t.parent_tenant_id } : {}) } },
      change: described.join('; '),
    });
    return { set };
  }
}
