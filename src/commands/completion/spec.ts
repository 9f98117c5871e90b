/** completion: its options, help and examples (data only: the command table loads run.ts when it runs). */
import { defineCommand } from '../../command';
import type { OptionDecls, ArgumentDecl } from '../../options';

export const noOptions = {} as const satisfies OptionDecls;

export const completionArgument = {
  name: 'shell',
  help: 'the shell to complete for',
  values: ['bash', 'zsh', 'fish'],
} as const satisfies ArgumentDecl;

export const spec = defineCommand({
  name: 'completion',
  summary: 'print a shell completion script (bash, zsh or fish)',
  description:
    'Completes commands, aliases, option names, the values of options that take a fixed set of words (audit --action too), file names, ' +
    'and tenant ids and names from the database (through the hidden `tenantadm __complete`, with a 1 s timeout and no messages). ' +
    'Load it from your shell\'s start-up file, or install it where your shell looks for completions.',
  options: noOptions,
  argument: completionArgument,
  examples: [
    'source <(tenantadm completion bash)',
    'tenantadm completion zsh > "${fpath[1]}/_tenantadm"',
    'tenantadm completion fish > ~/.config/fish/completions/tenantadm.fish',
  ],
});
