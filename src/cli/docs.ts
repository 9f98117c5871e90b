/**
 * README's generated sections: the exit-code and environment tables come from the one table
 * of each (errors.ts, environment.ts) and the flags from the command table. `npm run docs` rewrites
 * the text between the markers; a unit test fails when the committed README has drifted.
 */
import { ENVIRONMENT, globalOptions } from '../config';
import { EXIT_CODE_TABLE, errorCodeFor } from '../errors';
import { flagsOf, type OptionDecl } from '../options';

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

/** Each generated section by its marker name. */
export const README_SECTIONS: Record<string, () => string> = {
  'exit-codes': exitCodes,
  environment,
};

/** The README with every generated section rewritten; throws when a marker is missing. */
export function updateReadme(readme: string): string {
  let out = readme;
  for (const [name, render] of Object.entries(README_SECTIONS)) {
    const begin = `<!-- BEGIN GENERATED ${name}: npm run docs -->`;
    const end = `<!-- END GENERATED ${name} -->`;
    const i = out.indexOf(begin);
    const j = out.indexOf(end);
    if (i < 0 || j < i) throw new Error(`README.md has no "${begin}" ... "${end}" section`);
    out = `${out.slice(0, i + begin.length)}\n${render()}\n${out.slice(j)}`;
  }
  return out;
}
