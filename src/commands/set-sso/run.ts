/** set-sso: store or clear a tenant's identity-provider settings. */
import type { OptionsOf } from '../../options';
import type { setSsoOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { NotFoundError, RuleError } from '../../errors';
import { parseTenantId } from '../../domain/tenant';
import { describeSso, ssoSecretsChanged, validateSso, type SsoSettings } from '../../domain/sso';
import { readJsonDocument } from '../../secrets';
import { ChangeSet, tenantObject, ssoLock, tenantLock } from '../../store';
import { inheritsSso, resolveSso } from '../../operations/sso';
import { requireTenant } from '../../operations/tenants';
import { ssoColumns, ssoView } from '../../views/sso';

export type SetSsoOptions = OptionsOf<typeof setSsoOptions>;

export async function setSso(options: SetSsoOptions, deps: Deps): Promise<Result> {
  const id = parseTenantId(options.tenant);
  let settings: SsoSettings | null = null;
  if (options.file !== undefined) {
    const { data, source } = await readJsonDocument(options.file, deps, 'SSO settings');
    settings = validateSso(data, source);
  }

  const store = await deps.store();
  await store.settleInterrupted();
  await requireTenant(store, id);

  // Same lock as update-tenant --sso-inherit, so a tenant never ends up inheriting and owning settings.
  await store.exclusive([ssoLock(id), tenantLock(id)], async () => {
    const record = await store.tenants.findOne({ id });
    if (!record) throw new NotFoundError(`no tenant with id ${id}`);
    const t = record.tenant;
    if (inheritsSso(record)) {
      throw new RuleError(
        `tenant ${id} inherits the SSO settings of its Service Provider ${t.parent_tenant_id}; they cannot be overridden here`,
        `change them on the Service Provider (tenantadm set-sso --tenant ${t.parent_tenant_id} ...), or stop inheriting first: tenantadm update-tenant --tenant ${id} --no-sso-inherit`,
      );
    }
    const current = await store.sso.get(id);
    const changes = new ChangeSet('set-sso');
    let change: string;
    if (settings === null) {
      if (!current) return { changes: null, result: null };
      changes.add(store.sso.deleteStep(current));
      change = `SSO settings removed (were ${describeSso(current.settings)})`;
    } else {
      if (current && JSON.stringify(current.settings) === JSON.stringify(settings)) return { changes: null, result: null };
      changes.add(store.sso.setStep(current, id, settings, deps.now()));
      const secret = ssoSecretsChanged(current?.settings ?? null, settings) ? 'secret replaced' : 'secret unchanged';
      change = `SSO settings ${current ? `changed from ${describeSso(current.settings)} to` : 'set to'} ${describeSso(settings)}; ${secret}`;
    }
    const inheriting = t.service_provider ? await store.tenants.count({ parent: id, ssoInherit: true }) : 0;
    if (inheriting > 0) change += `; applies to ${inheriting} inheriting child tenant${inheriting === 1 ? '' : 's'}`;
    changes.audit({
      action: 'update',
      tenantId: t.id,
      parentId: t.parent_tenant_id,
      object: tenantObject(t.id, t.name),
      change,
    });
    return { changes, result: null };
  });

  const record = await store.tenants.findOne({ id });
  if (!record) throw new NotFoundError(`tenant ${id} was removed while its SSO settings were being changed`);
  return { type: 'object', data: ssoView(record, await resolveSso(store, record)), columns: ssoColumns };
}
