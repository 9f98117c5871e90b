/**
 * The generated sections of README.md and docs/*.md: the exit-code and environment tables come
 * from the one table of each (errors.ts, config.ts) and the flags from the command table.
 * `npm run docs` rewrites the text between the markers in whichever file holds each section
 * (DOC_FILES); a unit test fails when a committed file has drifted.
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
export const SECTIONS: Record<string, () => string> = {
  'exit-codes': exitCodes,
  environment,
};

/** Which file (relative to the repository root) holds which generated sections; each section in one file. */
export const DOC_FILES: Record<string, readonly string[]> = {
  'README.md': ['exit-codes'],
  'docs/configuration.md': ['environment'],
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

/** README.md with its generated sections rewritten. */
export function updateReadme(readme: string): string {
  return updateDoc(readme, DOC_FILES['README.md']!, 'README.md');
}
