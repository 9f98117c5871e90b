/**
 * Where a tenant's artifacts live. By default in the shared object store under a prefix of
 * the tenant id; a tenant may instead get its own S3 bucket or Azure Blob container.
 */
import { UsageError } from '../errors';
import { validateDocument } from '../validate';
import { maskFields } from './masking';

export const STORAGE_TYPES = ['s3', 'azure'] as const;
export type StorageType = (typeof STORAGE_TYPES)[number];

export const typeOnlySchema = {
  type: 'object',
  properties: { type: { type: 'string', enum: [...STORAGE_TYPES] } },
  required: ['type'],
} as const;

export const s3Schema = {
  type: 'object',
  properties: {
    type: { type: 'string', const: 's3' },
    // S3's naming rules, within what Mender's deployments accepts (bucket 5-100, region 5-20, key 5-50, secret and token 5-100).
    bucket: { type: 'string', pattern: '^[a-z0-9][a-z0-9.-]{3,61}[a-z0-9]$' },
    region: { type: 'string', pattern: '^[a-z0-9-]{5,20}$' },
    endpoint: { type: 'string', pattern: '^https?://[^\\s]+$', maxLength: 2048 },
    access_key_id: { type: 'string', minLength: 5, maxLength: 50 },
    secret_access_key: { type: 'string', minLength: 5, maxLength: 100 },
    session_token: { type: 'string', minLength: 5, maxLength: 100 },
    path_style: { type: 'boolean' },
    use_accelerate: { type: 'boolean' },
  },
  required: ['type', 'bucket', 'region', 'access_key_id', 'secret_access_key'],
  additionalProperties: false,
} as const;

export const azureSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', const: 'azure' },
    account_name: { type: 'string', pattern: '^[a-z0-9]{5,24}$' },
    account_key: { type: 'string', minLength: 5, maxLength: 100 },
    connection_string: { type: 'string', minLength: 1, maxLength: 8192 },
    // Azure container naming rules: 3 to 63 lower-case letters, digits and single hyphens.
    container: { type: 'string', pattern: '^[a-z0-9](?!.*--)[a-z0-9-]{3,61}[a-z0-9]$' },
    endpoint: { type: 'string', pattern: '^https?://[^\\s]+$', maxLength: 2048 },
  },
  required: ['type', 'container'],
  additionalProperties: false,
} as const;

export interface S3Storage {
  type: 's3';
  bucket: string;
  region: string;
  endpoint?: string;
  access_key_id: string;
  secret_access_key: string;
  session_token?: string;
  path_style?: boolean;
  use_accelerate?: boolean;
}

export interface AzureStorage {
  type: 'azure';
  account_name?: string;
  account_key?: string;
  connection_string?: string;
  container: string;
  endpoint?: string;
}

export type StorageSettings = S3Storage | AzureStorage;

/** What get-tenant shows when the tenant uses the shared store. */
export interface DefaultStorage {
  type: 'default';
  prefix: string;
}

export const STORAGE_SECRET_FIELDS: Record<StorageType, readonly string[]> = {
  s3: ['secret_access_key', 'session_token'],
  azure: ['account_key', 'connection_string'],
};

export function validateStorage(data: unknown, source: string): StorageSettings {
  const { type } = validateDocument<{ type: StorageType }>(typeOnlySchema, data, source);
  if (type === 's3') return validateDocument<S3Storage>(s3Schema, data, source);
  const azure = validateDocument<AzureStorage>(azureSchema, data, source);
  const withKey = azure.account_key !== undefined;
  const withString = azure.connection_string !== undefined;
  if (withKey === withString) {
    throw new UsageError(`${source}: /account_key: give exactly one of account_key (with account_name) and connection_string`, 'fix the file and run again', {
      pointer: '/account_key',
    });
  }
  if (withKey && azure.account_name === undefined) {
    throw new UsageError(`${source}: /account_name: account_key needs account_name`, 'fix the file and run again', { pointer: '/account_name' });
  }
  return azure;
}

export function defaultStorage(tenantId: string): DefaultStorage {
  return { type: 'default', prefix: `${tenantId}/` };
}

export function maskStorage(settings: StorageSettings): StorageSettings {
  return maskFields(settings, STORAGE_SECRET_FIELDS[settings.type]);
}

/** A one-line description for the audit log; never a key. */
export function describeStorage(settings: StorageSettings | null): string {
  if (!settings) return 'the shared store';
  if (settings.type === 's3') return `s3 bucket ${settings.bucket} (region ${settings.region}${settings.endpoint ? `, endpoint ${settings.endpoint}` : ''})`;
  return `azure container ${settings.container}${settings.account_name ? ` (account ${settings.account_name})` : ''}`;
}

/** True when a credential differs, so the audit can say so without showing it. */
export function storageSecretsChanged(before: StorageSettings | null, after: StorageSettings | null): boolean {
  if (!before || !after || before.type !== after.type) return before !== after;
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  return STORAGE_SECRET_FIELDS[after.type].some((f) => b[f] !== a[f]);
}
