/** A tenant's artifact storage as printed: its own store with secrets masked, or the shared one. */
import type { StorageRecord } from '../store';
import type { Column } from '../output';
import { defaultStorage, maskStorage, type DefaultStorage, type StorageSettings } from '../domain/storage';

export type StorageView = StorageSettings | DefaultStorage;

/** The view of a tenant's storage record (as read by the command), or of the shared store when it has none. */
export function storageView(tenantId: string, own: StorageRecord | null): StorageView {
  if (!own) return defaultStorage(tenantId);
  return maskStorage(own.settings);
}

/** set-storage's answer: the tenant and the storage it now has. */
export interface StorageRow {
  /** The tenant's id. */
  id: string;
  storage: StorageView;
}

export const storageColumns: Column<StorageRow>[] = [
  { header: 'ID', get: (r) => r.id, keep: true },
  { header: 'TYPE', get: (r) => r.storage.type },
  { header: 'WHERE', get: (r) => ('bucket' in r.storage ? r.storage.bucket : 'container' in r.storage ? r.storage.container : r.storage.prefix) },
  { header: 'STORAGE', get: (r) => r.storage },
];
