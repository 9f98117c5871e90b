/** README, docs/, the man page and --help stay true to the code they are generated from. */
import fs from 'node:fs';
import path from 'node:path';
import { manPage } from '../../src/cli/manpage';
import { DOC_FILES, SECTIONS, updateDoc } from '../../src/cli/docs';
import { commands } from '../../src/cli/command-table';
import { ENVIRONMENT } from '../../src/config';
import { EXIT_CODE_TABLE } from '../../src/errors';
import { exitCodesHelp } from '../../src/cli/parse';

const root = path.resolve(__dirname, '../..');
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const readme = read('README.md');
/** The file that holds a generated section (DOC_FILES), read. */
const holderOf = (name: string) => read(Object.entries(DOC_FILES).find(([, sections]) => sections.includes(name))![0]);

describe('documentation stays true to the code', () => {
  it('man/tenantadm.1 is generated from the command table (run `npm run docs`)', () => {
    expect(fs.readFileSync(path.join(root, 'man/tenantadm.1'), 'utf8')).toBe(manPage(version));
  });

  it.each(Object.entries(DOC_FILES))('%s: its generated sections are generated from their tables (run `npm run docs`)', (file, sections) => {
    const text = read(file);
    expect(updateDoc(text, sections, file)).toBe(text);
  });

  it('each generated section is in exactly one file', () => {
    const all = Object.values(DOC_FILES).flat();
    expect(all.sort()).toEqual(Object.keys(SECTIONS).sort());
  });

  it('the generated sections hold every exit code and every environment variable', () => {
    const section = (name: string) => {
      const text = holderOf(name);
      return text.slice(text.indexOf(`BEGIN GENERATED ${name}`), text.indexOf(`END GENERATED ${name}`));
    };
    for (const e of EXIT_CODE_TABLE) expect(section('exit-codes')).toMatch(new RegExp(`^\\| ${e.code} \\|`, 'm'));
    for (const v of Object.values(ENVIRONMENT)) expect(section('environment')).toMatch(new RegExp(`^\\| \`${v.name}\` \\|`, 'm'));
    for (const c of commands) expect(section('command-reference')).toContain(`### \`${c.name}\``);
  });

  it("docs/commands.md's command table has a row for exactly the commands and aliases there are", () => {
    const page = read('docs/commands.md');
    const start = page.indexOf('| command | what it does |');
    expect(start).toBeGreaterThanOrEqual(0);
    const table = page.slice(start, page.indexOf('\n\n', start));
    const rows = [...table.matchAll(/^\| `([a-z -]+)` \|/gm)].map((m) => m[1]);
    const names = [...commands.flatMap((c) => [c.name, ...c.aliases]), 'help'];
    expect(rows.sort()).toEqual(names.sort());
  });

  it("--help's exit-code summary names every exit code", () => {
    const help = exitCodesHelp();
    for (const e of EXIT_CODE_TABLE) expect(help).toContain(`${e.code} ${e.brief}`);
  });

  it('README gives the test command that .ci/run calls', () => {
    const ci = fs.readFileSync(path.join(root, '.ci/run'), 'utf8');
    expect(readme).toContain('./scripts/test.sh');
    expect(ci).toMatch(/^\.\/scripts\/test\.sh\b/m);
  });

  it('every command has examples that start with tenantadm and name the command', () => {
    for (const c of commands) {
      expect(c.examples.length).toBeGreaterThan(0);
      for (const e of c.examples) expect(e).toMatch(new RegExp(`tenantadm (${[c.name, ...c.aliases].join('|')})\\b`));
    }
  });
});
