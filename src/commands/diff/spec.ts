/** diff: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const diffOptions = {
  file: { type: 'string', arg: 'file', short: 'f', file: true, required: true, help: 'the fleet file (YAML or JSON); "-" reads standard input' },
  prune: { type: 'boolean', help: 'also list tenants in the database that the file does not name, as deletions' },
} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'diff',
  summary: 'the changes that would make the database match a fleet file, one per field; exit 9 when there are any',
  description:
    'Compares a fleet file (from `tenantadm export`, edited) with the database, read with the same constant number of queries as export. ' +
    'Each change is one row: {tenant, id, action: create | update | delete, field, before, after}, grouped by tenant. Tenants are matched by their pinned id, ' +
    'else by name. A field the file leaves out is left as it is; null says "none". A secret given as a reference (${env:NAME}) is unchanged, and no secret is ever printed. ' +
    'A tenant in the database but not in the file is listed (as delete) only with --prune. Exit 0: no changes; exit 9: changes (listed on stdout); exit 2: an invalid file, naming the JSON pointer; exit 4: a tenant the file names (any, with --prune) is being changed by an operation still under way, named on stderr with when it can be settled, since a diff against its half-made state would mislead. See docs/fleet.md.',
  options: diffOptions,
  examples: ['tenantadm diff -f fleet.yaml -o table', 'git show HEAD:fleet.yaml | tenantadm diff -f - --prune'],
});
