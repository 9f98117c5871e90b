/** set-storage: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const setStorageOptions = {
  tenant: { type: 'string', arg: 'id', aliases: ['id'], required: true, help: 'the tenant' },
  file: { type: 'string', arg: 'file', short: 'f', file: true, help: 'the settings as JSON; "-" reads standard input' },
  default: { type: 'boolean', help: 'use the shared store again (artifacts under the tenant id prefix)' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'set-storage',
  summary: 'give a tenant its own artifact storage (S3 or Azure Blob), or return it to the shared store',
  description:
    'The file holds {"type":"s3", bucket, region, endpoint?, access_key_id, secret_access_key, path_style?} or ' +
    '{"type":"azure", container, account_name + account_key | connection_string}. Secrets are never printed; get-tenant shows the storage masked. ' +
    "They are written where Mender's deployments reads them (deployment_service-<id>.settings), through its internal API when TENANTADM_DEPLOYMENTS_ADDR is set (it checks the bucket).",
  options: setStorageOptions,
  constraints: [{ exactlyOne: ['file', 'default'], message: 'give exactly one of -f FILE and --default' }],
  examples: [
    'tenantadm set-storage --tenant 673a03e3c9eca7a440f2f444 -f s3.json',
    'tenantadm set-storage --tenant 673a03e3c9eca7a440f2f444 -f - < azure.json',
    'tenantadm set-storage --tenant 673a03e3c9eca7a440f2f444 --default',
  ],
});
