/** migrate: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const noOptions = {} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'migrate',
  summary: 'create the indexes every command relies on (safe to re-run)',
  description:
    "Creates the indexes writes rely on: on Mender's collections only the ones Mender's own migrations define (useradm email_1, deviceauth tenant_id_name and tenant_id_status__id), " +
    "and the tool's own on its audit collection. Existing equivalent indexes are kept; indexes earlier releases of this tool put on Mender's collections are dropped. " +
    'Tenant names used twice are listed as a warning (Mender allows them; the tool refuses to create more).',
  options: noOptions,
  examples: ['tenantadm migrate', 'tenantadm migrate -o table'],
});
