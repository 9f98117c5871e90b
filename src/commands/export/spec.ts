/** export: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const exportOptions = {
  tenant: { type: 'string', arg: 'id', help: 'only this tenant (with its children, if it is a Service Provider)' },
  parent: { type: 'string', arg: 'sp-id', help: 'only this Service Provider and its children' },
  format: { type: 'enum', arg: 'format', values: ['yaml', 'json'], help: 'the document as YAML (default) or JSON' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'export',
  summary: 'write the tenants as a fleet file (YAML or JSON): Service Providers, their children, users, limits, SSO and storage',
  description:
    'A document {apiVersion: tenantadm/v1, kind: Fleet, tenants: [...]}: each tenant by name with its id pinned, status, plan, enabled add-ons, ' +
    'device limits per tier (a number or "unlimited"), trial fields, users (email and roles, never a password hash), and its SSO and storage settings, ' +
    'every secret replaced by a reference ${env:TENANT_<NAME>_<SSO|STORAGE>_<FIELD>}. Service Providers list their children under `children`. ' +
    'Tenants and keys come in a fixed order, so two exports of the same state are byte-identical. Read with a constant number of queries. See docs/fleet.md.',
  options: exportOptions,
  constraints: [{ atMostOne: ['tenant', 'parent'] }],
  examples: ['tenantadm export > fleet.yaml', 'tenantadm export --parent 673a03e3c9eca7a440f2f444 --format json > acme.json'],
});
