/**
 * __complete: hidden, for the shell completion scripts (as cobra's and kubectl's): tenant ids or
 * names from the database, one a line. The scripts call it with a short --timeout and drop its
 * stderr, so a database that is away costs a second and prints nothing.
 */
import { defineCommand } from '../../command';
import type { ArgumentDecl, OptionDecls } from '../../options';

export const noOptions = {} as const satisfies OptionDecls;

export const completeArgument = {
  name: 'what',
  help: 'what to list',
  values: ['tenant-ids', 'tenant-names'],
} as const satisfies ArgumentDecl;

export const spec = defineCommand({
  name: '__complete',
  summary: 'list tenant ids or names for shell completion',
  options: noOptions,
  argument: completeArgument,
  examples: ['tenantadm __complete tenant-ids'],
});
