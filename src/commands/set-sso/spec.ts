/** set-sso: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const setSsoOptions = {
  tenant: { type: 'string', arg: 'id', aliases: ['id'], required: true, help: 'the tenant' },
  file: { type: 'string', arg: 'file', short: 'f', file: true, help: 'the settings as JSON; "-" reads standard input' },
  clear: { type: 'boolean', help: "remove the tenant's SSO settings" },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'set-sso',
  summary: "store a tenant's identity-provider (OIDC or SAML) settings from a JSON file",
  description:
    'The file holds {"type":"oidc", issuer, client_id, client_secret, ...} or {"type":"saml", metadata_url | metadata_xml, entity_id, ...}; ' +
    'secrets are never printed. Children of a Service Provider that inherit get every change. A child that inherits cannot set its own (exit 5).',
  options: setSsoOptions,
  constraints: [{ exactlyOne: ['file', 'clear'], message: 'give exactly one of -f FILE and --clear' }],
  examples: [
    'tenantadm set-sso --tenant 673a03e3c9eca7a440f2f444 -f oidc.json',
    'vault kv get -field=sso secret/acme | tenantadm set-sso --tenant 673a03e3c9eca7a440f2f444 -f -',
    'tenantadm set-sso --tenant 673a03e3c9eca7a440f2f444 --clear',
  ],
});
