/** apply: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const applyOptions = {
  file: { type: 'string', arg: 'file', short: 'f', file: true, required: true, help: 'the fleet file (YAML or JSON); "-" reads standard input' },
  dryRun: { type: 'boolean', help: 'print the changes (as diff does) and write nothing' },
  prune: { type: 'boolean', help: 'also remove the tenants and users that apply created from a fleet file and the file no longer names (tenants must be suspended first)' },
  yes: { type: 'boolean', help: 'do not ask: confirm for scripts' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'apply',
  summary: 'make the database match a fleet file, as one all-or-nothing operation; re-applying the same file changes nothing',
  description:
    'Compares the fleet file with the database as diff does, then makes every change in one journaled operation with the locks and rules of the imperative commands: ' +
    'capacity checked per tier for the end state and freed before it is taken, children given their Service Provider\'s plan and add-ons, Mender Enterprise 4.x\'s rules. ' +
    'Anything a rule refuses is exit 5 with nothing written. New users take their password from `password: ${env:NAME}` or `${file:PATH}` in the file; passwords are set only when a user is created. ' +
    'A secret reference that is not set leaves an existing secret as it is. A file that matches the database writes nothing at all and says "no changes". ' +
    'Prints the changes made (the rows of diff); each has an audit entry naming the file\'s sha256. Without --yes it asks first (a script must give --yes). ' +
    '--prune removes only tenants and users apply created from a fleet file (recorded in the tool\'s own collection); a tenant must be suspended first. See docs/fleet.md.',
  options: applyOptions,
  examples: ['tenantadm apply -f fleet.yaml --dry-run -o table', 'tenantadm apply -f fleet.yaml --yes', 'git show HEAD:fleet.yaml | tenantadm apply -f - --prune --yes'],
});
