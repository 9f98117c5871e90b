/**
 * The generated sections of README.md and docs/*.md: the exit-code and environment tables come
 * from the one table of each (errors.ts, environment.ts), the flags and the command reference from
 * the command table (each command's spec.ts), so adding an option changes no hand-written page.
 * `npm run docs` rewrites the text between the markers in whichever file holds each section
 * (DOC_FILES); a unit test fails when a committed file has drifted.
 */
import { commands } from './command-table';
import { ENVIRONMENT, globalOptions } from '../config';
import { EXIT_CODE_TABLE, errorCodeFor } from '../errors';
import { constraintMessage, flagsOf, helpEntries, usageLine, type OptionDecl } from '../options';

const cell = (s: string) => s.replace(/\|/g, '\\|');

function exitCodes(): string {
  const rows = EXIT_CODE_TABLE.map((e) => {
    const error = errorCodeFor(e.code);
    return `| ${e.code} | ${cell(e.meaning)} | ${error ? `\`${error}\`` : ''} |`;
  });
  return ['| code | meaning | `error.code` |', '|---|---|---|', ...rows].join('\n');
}

function environment(): string {
  const flags = globalOptions as Readonly<Record<string, OptionDecl>>;
  const rows = Object.entries(ENVIRONMENT).map(([key, v]) => {
    const d = flags[key];
    return `| \`${v.name}\` | ${d ? `\`${cell(flagsOf(key, d))}\`` : ''} | ${cell(v.meaning)} |`;
  });
  return ['| variable | flag | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** Every command with its usage, options, rules and examples, as --help and the man page give them. */
function commandReference(): string {
  const out: string[] = [];
  for (const c of commands) {
    out.push(`### \`${c.name}\``, '');
    if (c.aliases.length) out.push(`Also: ${c.aliases.map((a) => `\`${a}\``).join(', ')}.`, '');
    out.push(`${c.summary}.`, '');
    out.push('```', `tenantadm ${c.name} ${usageLine(c.options, c.constraints, c.argument)}`.trimEnd(), '```', '');
    if (c.description) out.push(c.description, '');
    const rows = helpEntries(c.options).map((o) => `| \`${cell(o.flags)}\` | ${cell(o.help)} |`);
    if (c.argument) rows.unshift(`| \`<${c.argument.name}>\` | ${cell(`${c.argument.help}: ${c.argument.values.join(', ')}`)} |`);
    if (rows.length) out.push('| option | meaning |', '|---|---|', ...rows, '');
    if (c.constraints.length) out.push('Rules:', '', ...c.constraints.map((r) => `- ${constraintMessage(r)}`), '');
    out.push('Examples:', '', '```sh', ...c.examples, '```', '');
  }
  return out.join('\n').trimEnd();
}

/** Each generated section by its marker name. */
export const SECTIONS: Record<string, () => string> = {
  'exit-codes': exitCodes,
  environment,
  'command-reference': commandReference,
};

/** Which file (relative to the repository root) holds which generated sections; each section in one file. */
export const DOC_FILES: Record<string, readonly string[]> = {
  'README.md': ['exit-codes'],
  'docs/configuration.md': ['environment'],
  'docs/commands.md': ['command-reference'],
};

/** The text with each of `sections` rewritten between its markers; throws when a marker is missing. */
export function updateDoc(text: string, sections: readonly string[], file = 'the file'): string {
  let out = text;
  for (const name of sections) {
    const render = SECTIONS[name];
    if (!render) throw new Error(`no generated section "${name}"`);
    const begin = `<!-- BEGIN GENERATED ${name}: npm run docs -->`;
    const end = `<!-- END GENERATED ${name} -->`;
    const i = out.indexOf(begin);
    const j = out.indexOf(end);
    if (i < 0 || j < i) throw new Error(`${file} has no "${begin}" ... "${end}" section`);
    out = `${out.slice(0, i + begin.length)}\n${render()}\n${out.slice(j)}`;
  }
  return out;
}
