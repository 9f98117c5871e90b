/** update-tenant: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import { ADDONS, PLANS, STATUSES } from '../../domain/tenant';
import type { OptionDecls } from '../../options';

export const updateTenantOptions = {
  tenant: { type: 'string', arg: 'id', aliases: ['id'], required: true, help: 'the tenant to change' },
  serviceProvider: {
    type: 'boolean',
    help: 'make it a Service Provider',
    negate: 'make it an ordinary tenant (refused while it has children: exit 5)',
  },
  allowDevices: {
    type: 'boolean',
    help: 'with --service-provider: promote a tenant that holds devices (Mender Enterprise 4.x refuses their next authentication; warns)',
  },
  name: { type: 'string', arg: 'name', help: 'rename it' },
  plan: { type: 'enum', arg: 'plan', values: PLANS, help: 'change its plan' },
  status: { type: 'enum', arg: 'status', values: STATUSES, help: "change its status (suspending revokes the tenant's device and user tokens)" },
  addon: { type: 'list', arg: 'name[=on|off]', complete: ADDONS, help: 'switch add-ons on (default) or off' },
  maxChildTenants: {
    type: 'int',
    arg: 'n',
    min: 0,
    max: 1_000_000_000,
    unlimited: true,
    help: 'how many children a Service Provider may create',
  },
  rotateToken: { type: 'boolean', help: 'sign a new tenant token (devices must be given the new one)' },
  trial: { type: 'enum', arg: 'true|false', values: ['true', 'false'], help: "Mender's trial flag (maintenance suspend-tenants-expired-trial suspends trials past their expiration)" },
  trialExpiration: { type: 'string', arg: 'time', help: 'when the trial ends: ISO 8601 (UTC when no offset is given), a span from now such as 7d or 2w, or "none"' },
  yes: { type: 'boolean', help: 'do not ask before --status suspended or --rotate-token (needed without a terminal)' },
  childFeatures: {
    type: 'string',
    arg: 'list',
    complete: ['none', 'all', ...ADDONS],
    help: 'Service Provider only: add-ons its children may use (e.g. troubleshoot,configure), "none", or "all" (no policy)',
  },
  force: { type: 'boolean', help: 'with --child-features: switch forbidden add-ons off on children instead of refusing (exit 5)' },
  ssoInherit: {
    type: 'boolean',
    help: "child only: use its Service Provider's SSO settings (its own are removed)",
    negate: "child only: stop using its Service Provider's SSO settings",
  },
  inherit: {
    type: 'boolean',
    help: "child (or with --parent): give it its Service Provider's plan and add-ons, as the SP's policy allows, in the same change",
  },
  parent: {
    type: 'string',
    arg: 'sp-id',
    help: "attach it to this active Service Provider (its limits must fit in the SP's free capacity; its plan and add-ons must be the SP's, or give --inherit)",
    negate: 'detach it from its Service Provider (its allocation returns to the SP)',
  },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'update-tenant',
  summary: 'change a tenant: promote to Service Provider, rename, plan, status, trial, add-ons, token',
  description:
    "Suspending (--status suspended, which records suspended_at and revokes the tenant's tokens) and --rotate-token take access away: " +
    'a terminal asks first; without one, --yes is needed (exit 2 otherwise, before anything is read). ' +
    'The new token follows --token-format (detected from the stored tokens when not given). ' +
    'Mender Enterprise 4.x rules: a new Service Provider has a device limit and holds no devices (--allow-devices to promote one anyway); ' +
    "a child's plan and add-ons are its Service Provider's (a different --plan or --addon, or attaching a tenant whose differ without --inherit, is exit 5).",
  options: updateTenantOptions,
  constraints: [
    { requires: ['force', 'childFeatures'], message: '--force only goes with --child-features' },
    { requires: ['allowDevices', 'serviceProvider'], message: '--allow-devices only goes with --service-provider' },
    { atMostOne: ['inherit', 'plan'], message: "--inherit gives the Service Provider's plan: leave out --plan" },
    { atMostOne: ['inherit', 'addon'], message: "--inherit gives the Service Provider's add-ons: leave out --addon" },
  ],
  examples: [
    'tenantadm update-tenant --tenant 673a03e3c9eca7a440f2f444 --service-provider --max-child-tenants 50',
    'tenantadm update-tenant --tenant 673a03e3c9eca7a440f2f444 --addon monitor,troubleshoot=off',
    'tenantadm update-tenant --tenant 673a03e3c9eca7a440f2f444 --child-features troubleshoot,configure --force',
    'tenantadm update-tenant --tenant 673a03e3c9eca7a440f2f445 --sso-inherit',
    'tenantadm update-tenant --tenant 673a03e3c9eca7a440f2f444 --status suspended --yes',
    'tenantadm update-tenant --tenant 673a03e3c9eca7a440f2f444 --trial true --trial-expiration 2025-03-01',
    'tenantadm update-tenant --tenant 673a03e3c9eca7a440f2f445 --parent 673a03e3c9eca7a440f2f444 --inherit',
  ],
});
