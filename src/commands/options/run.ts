/** options: the global options, as --help would list them, for `tenantadm options`. */
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import type { OptionsOf } from '../../options';
import type { noOptions } from './spec';
import { globalOptions } from '../../config';
import { helpEntries } from '../../options';

export type OptionsCommandOptions = OptionsOf<typeof noOptions>;

/** Each global option on its line(s), its help wrapped to 80 columns beside it. */
export async function options(_options: OptionsCommandOptions, _deps: Deps): Promise<Result> {
  const entries = [{ flags: '-h, --help', help: 'show the help of tenantadm or of a command' }, { flags: '-V, --version', help: 'print the version' }, ...helpEntries(globalOptions)];
  const width = Math.max(...entries.map((e) => e.flags.length)) + 2;
  const lines = ['The following options can be given to any command (before or after it):', ''];
  for (const e of entries) {
    const wrapped = wrap(e.help, 80 - width - 2);
    lines.push(`  ${e.flags.padEnd(width)}${wrapped[0] ?? ''}`, ...wrapped.slice(1).map((l) => `  ${' '.repeat(width)}${l}`));
  }
  return { type: 'text', text: lines.join('\n') };
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out;
}
