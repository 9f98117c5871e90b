/** delete-tenant: remove a suspended tenant (with --cascade, a Service Provider and its children) and every record of it, as one journaled operation. */
import type { OptionsOf } from '../../options';
import type { deleteTenantOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { NotFoundError, UsageError } from '../../errors';
import { parseTenantId } from '../../domain/tenant';
import { removalOrder } from '../../domain/removal-rules';
import { confirmByTyping, consentNeeded } from '../../confirm';
import { warnLeftForOperator } from '../../notices';
import { removalPlan, removeTenants } from '../../operations/remove-tenants';
import type { TenantRecord } from '../../store';
import { parseDatabaseNames } from '../../domain/databases';
import { planColumns } from '../../views/removal-plan';

export type DeleteTenantOptions = OptionsOf<typeof deleteTenantOptions>;

/**
 * Remove a suspended tenant and every record of it, everywhere on the server, as one
 * forward-only journaled operation; prints what went and proves nothing is left.
 */
export async function deleteTenant(options: DeleteTenantOptions, deps: Deps): Promise<Result> {
  const id = parseTenantId(options.tenant);
  const through = options.parent === undefined ? undefined : parseTenantId(options.parent, 'parent id');
  const databases = parseDatabaseNames(options.databases);
  // Asking comes before anything is read: without a terminal and without --yes, stop here.
  const ask = !options.dryRun && consentNeeded(options.yes, `removing tenant ${id}`, deps);

  const store = await deps.store();
  if (!options.dryRun) await store.settleInterrupted();
  const record = await store.guard(() => store.tenants.findOne({ id }));
  if (!record) throw new NotFoundError(`no tenant with id ${id}`, 'list them with `tenantadm list-tenants`');
  const children = await store.guard(() => store.tenants.childrenOf([id]));
  const check = (target: TenantRecord, kids: TenantRecord[]) =>
    removalOrder(target.tenant, kids.map((k) => k.tenant), { cascade: options.cascade === true, ...(through ? { through } : {}) });
  const groups = check(record, children);

  if (options.dryRun) {
    const plan = await removalPlan(store, groups, databases, deps.progress);
    return { type: 'list', rows: plan.rows, columns: planColumns };
  }
  if (ask) {
    const also = children.length > 0 ? ` and its ${children.length} child tenant(s)` : '';
    deps.warn(`This removes tenant ${id} ("${record.tenant.name}")${also} and all their records, everywhere; it cannot be undone.`);
    await confirmByTyping(`Type the tenant's name to confirm:`, record.tenant.name, deps);
  }

  const records = new Map<string, TenantRecord>([...children, record].map((r) => [r.tenant.id, r]));
  // Under the locks, after the prompt: the tenant and exactly the children confirmed, each still
  // under this Service Provider (removeTenants refuses, exit 4, a child detached or attached
  // meanwhile: the operator confirmed that set, not another), and the rules again.
  const { result } = await removeTenants(store, deps, 'delete-tenant', records, groups, {
    databases,
    settingsLocks: true,
    recheck: (fresh) => {
      const kids = children.map((c) => fresh.get(c.tenant.id)!);
      check(fresh.get(id)!, kids);
    },
  });
  warnLeftForOperator(deps, result.left_for_operator);
  return { type: 'object', data: result };
}
