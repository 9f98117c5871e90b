/** set-storage: a tenant's own artifact storage, or back to the shared store. */
import type { OptionsOf } from '../../options';
import type { setStorageOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { parseTenantId } from '../../domain/tenant';
import { describeStorage, storageSecretsChanged, validateStorage, type StorageSettings } from '../../domain/storage';
import { readJsonDocument } from '../../secrets';
import { ChangeSet, tenantObject, storageLock, tenantLock } from '../../store';
import { storageColumns, storageView } from '../../views/storage';
import { sameStorage } from '../../store/storage';
import { requireTenant } from '../../operations/tenants';

export type SetStorageOptions = OptionsOf<typeof setStorageOptions>;

export async function setStorage(options: SetStorageOptions, deps: Deps): Promise<Result> {
  const id = parseTenantId(options.tenant);
  let settings: StorageSettings | null = null;
  if (options.file !== undefined) {
    const { data, source } = await readJsonDocument(options.file, deps, 'storage settings');
    settings = validateStorage(data, source);
  }

  const store = await deps.store();
  await store.settleInterrupted();
  await requireTenant(store, id);

  await store.exclusive([storageLock(id), tenantLock(id)], async () => {
    const t = (await requireTenant(store, id)).tenant;
    const current = await store.storage.get(id);
    const changes = new ChangeSet('set-storage');
    if (settings === null && !current) return { changes: null, result: null };
    if (settings && current && sameStorage(current.settings, settings)) return { changes: null, result: null };
    changes.add(store.storage.setStep(current, id, settings));
    const keys = settings && current ? `; credentials ${storageSecretsChanged(current.settings, settings) ? 'changed' : 'unchanged'}` : '';
    changes.audit({
      action: 'update',
      tenantId: t.id,
      parentId: t.parent_tenant_id,
      object: tenantObject(t.id, t.name),
      change: `artifact storage: ${describeStorage(current?.settings ?? null)} -> ${describeStorage(settings)}${keys}`,
    });
    return { changes, result: null };
  });

  return { type: 'object', data: { id, storage: storageView(id, await store.storage.get(id)) }, columns: storageColumns };
}
