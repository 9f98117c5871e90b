/** README, the man page and --help stay true to the code they are generated from. */
import fs from 'node:fs';
import path from 'node:path';
import { manPage } from '../../src/cli/manpage';
import { updateReadme } from '../../src/cli/docs';
import { commands } from '../../src/cli/command-table';
import { ENVIRONMENT } from '../../src/config';
import { EXIT_CODE_TABLE } from '../../src/errors';
import { exitCodesHelp } from '../../src/cli/parse';

const root = path.resolve(__dirname, '../..');
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

describe('documentation stays true to the code', () => {
  it('man/tenantadm.1 is generated from the command table (run `npm run docs`)', () => {
    expect(fs.readFileSync(path.join(root, 'man/tenantadm.1'), 'utf8')).toBe(manPage(version));
  });

  it("README's exit-code and environment tables are generated from their tables (run `npm run docs`)", () => {
    expect(updateReadme(readme)).toBe(readme);
  });

  it('the generated sections hold every exit code and every environment variable', () => {
    const section = (name: string) => readme.slice(readme.indexOf(`BEGIN GENERATED ${name}`), readme.indexOf(`END GENERATED ${name}`));
    for (const e of EXIT_CODE_TABLE) expect(section('exit-codes')).toMatch(new RegExp(`^\\| ${e.code} \\|`, 'm'));
    for (const v of Object.values(ENVIRONMENT)) expect(section('environment')).toMatch(new RegExp(`^\\| \`${v.name}\` \\|`, 'm'));
  });

  it("README's command table has a row for exactly the commands and aliases there are", () => {
    const start = readme.indexOf('| command | what it does |');
    const table = readme.slice(start, readme.indexOf('\n\n', start));
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
