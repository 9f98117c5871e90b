/**
 * `check --repair` for children whose plan or add-ons differ from their Service Provider's
 * (Mender Enterprise 4.x, MEN-7493/MEN-7511): each is given its SP's plan and add-ons (narrowed
 * by the SP's policy) in one journaled operation, under the SPs' and the children's locks,
 * with an audit entry per child, like every other write.
 */
import { differencesFromSp, inheritedAddons, inheritedFeatures } from '../domain/child-features';
import { ChangeSet, spLock, tenantLock, tenantObject, type Store, type TenantRecord } from '../store';

export interface ConformResult {
  /** The children changed (with `dryRun`: that would be). */
  children: string[];
}

export async function conformChildren(store: Store, now: () => Date, childIds: string[], dryRun: boolean): Promise<ConformResult> {
  if (childIds.length === 0) return { children: [] };
  const seen = await store.tenants.findMany(childIds);
  const spIds = [...new Set(seen.map((r) => r.tenant.parent_tenant_id).filter((p): p is string => p !== undefined))];
  /** Re-read under the locks: a child moved or changed meanwhile is judged as it is now. */
  const decide = async () => {
    const byId = new Map((await store.tenants.findMany([...childIds, ...spIds])).map((r) => [r.tenant.id, r]));
    const changes = new ChangeSet('check --repair');
    const children: string[] = [];
    for (const id of childIds) {
      const child = byId.get(id);
      const sp: TenantRecord | undefined = child?.tenant.parent_tenant_id ? byId.get(child.tenant.parent_tenant_id) : undefined;
      if (!child || !sp || !sp.tenant.service_provider) continue;
      const differs = differencesFromSp(sp.tenant, child.tenant.plan, child.tenant.addons);
      if (differs.length === 0) continue;
      const plan = inheritedFeatures(sp.tenant).plan;
      changes.add(store.tenants.updateStep(child, { plan, addons: inheritedAddons(sp.tenant, child.tenant.addons), updated_at: now() }));
      changes.audit({
        action: 'update',
        tenantId: id,
        parentId: sp.tenant.id,
        object: tenantObject(id, child.tenant.name, sp.tenant.id),
        change: `plan and add-ons made its Service Provider's (check --repair): ${differs.join('; ')}`,
      });
      children.push(id);
    }
    return { changes: children.length > 0 ? changes : null, result: { children } };
  };
  if (dryRun) return (await decide()).result;
  return store.exclusive([...spIds.map(spLock), ...childIds.map(tenantLock)], decide);
}
