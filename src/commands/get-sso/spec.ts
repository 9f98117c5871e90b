/** get-sso: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const getSsoOptions = {
  tenant: { type: 'string', arg: 'id', aliases: ['id'], required: true, help: 'the tenant' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'get-sso',
  summary: "show a tenant's effective SSO settings, secrets masked, and whether they are inherited",
  options: getSsoOptions,
  examples: ['tenantadm get-sso --tenant 673a03e3c9eca7a440f2f445', 'tenantadm get-sso --tenant 673a03e3c9eca7a440f2f445 | jq .inherited_from'],
});
