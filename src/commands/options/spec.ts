/** options: its help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls } from '../../options';

export const noOptions = {} as const satisfies OptionDecls;

export const spec = defineCommand({
  name: 'options',
  summary: 'list the global options every command takes (as kubectl options does)',
  description:
    'The options that apply to every command (where the database is, output format, prompts, errors), with the environment variable each mirrors. ' +
    "A command's own --help lists only its own options and points here.",
  options: noOptions,
  examples: ['tenantadm options', 'tenantadm options | grep -- --mongo'],
});
