import type { FromSchema } from 'json-schema-to-ts';
import type { Deps } from '../deps';
import type { Column, Result } from '../output';
import { NotFoundError, UsageError } from '../errors';
import { parseTenantId } from '../domain/tenant';
import { removalOrder } from '../domain/removal';
import { confirmByTyping, consentNeeded } from '../confirm';
import { planColumns, removalPlan, removeTenants } from '../operations/removal';
import type { TenantRecord } from '../store';

export const schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    cascade: { type: 'boolean' },
    /** The Service Provider the removal is asked through: refused unless the tenant is its child. */
    parent: { type: 'string' },
    databases: { type: 'string' },
    dryRun: { type: 'boolean' },
    yes: { type: 'boolean' },
  },
  required: ['id'],
  additionalProperties: false,
} as const;

export type DeleteTenantOptions = FromSchema<typeof schema>;

/** `--databases a,b`: the databases to look in (and their per-tenant `<name>-<id>` databases). */
export function parseDatabases(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0 || names.some((n) => !/^[A-Za-z0-9_-]{1,63}$/.test(n))) {
    throw new UsageError(`invalid --databases "${raw}"`, 'give database names separated by commas, e.g. --databases deviceauth,useradm,deployment_service');
  }
  return names;
}

/**
 * Remove a suspended tenant and every record of it, everywhere on the server, as one
 * forward-only journaled operation; prints what went and proves nothing is left.
 */
export async function deleteTenant(options: DeleteTenantOptions, deps: Deps): Promise<Result> {
  const id = parseTenantId(options.id);
  const through = options.parent === undefined ? undefined : parseTenantId(options.parent, 'parent id');
  const databases = parseDatabases(options.databases);
  // Asking comes before anything is read: without a terminal and without --yes, stop here.
  const ask = !options.dryRun && consentNeeded(options.yes, `removing tenant ${id}`, deps);

  const store = await deps.store();
  if (!options.dryRun) await store.beforeWrite();
  const record = await store.guard(() => store.tenants.findOne({ id }));
  if (!record) throw new NotFoundError(`no tenant with id ${id}`, 'list them with `tenantadm list-tenants`');
  const children = await store.guard(() => store.tenants.childrenOf([id]));
  const check = (target: TenantRecord, kids: TenantRecord[]) =>
    removalOrder(target.tenant, kids.map((k) => k.tenant), { cascade: options.cascade === true, ...(through ? { through } : {}) });
  const groups = check(record, children);

  if (options.dryRun) {
    const plan = await removalPlan(store, groups, databases);
    return { type: 'list', rows: plan.rows, columns: planColumns as Column<never>[] };
  }
  if (ask) {
    const also = children.length > 0 ? ` and its ${children.length} child tenant(s)` : '';
    deps.warn(`This removes tenant ${id} ("${record.tenant.name}")${also} and all their records, everywhere; it cannot be undone.`);
    await confirmByTyping(`Type the tenant's name to confirm:`, record.tenant.name, deps);
  }

  const records = new Map<string, TenantRecord>([...children, record].map((r) => [r.tenant.id, r]));
  const result = await removeTenants(store, deps, 'delete-tenant', records, groups, {
    databases,
    recheck: (fresh) => {
      const kids = children.map((c) => fresh.get(c.tenant.id)!);
      check(fresh.get(id)!, kids);
    },
  });
  return { type: 'object', data: result };
}
