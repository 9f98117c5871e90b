/** A tenant's artifact storage as printed: its own store with secrets masked, or the shared one. */
import type { Store } from '../store';
import { defaultStorage, maskStorage, type DefaultStorage, type StorageSettings } from '../domain/storage';

export type StorageView = StorageSettings | DefaultStorage;

export async function storageView(store: Store, tenantId: string): Promise<StorageView> {
  const own = await store.storage.get(tenantId);
  if (!own) return defaultStorage(tenantId);
  return maskStorage(own.settings);
}
