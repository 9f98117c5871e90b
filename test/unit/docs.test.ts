import fs from 'node:fs';
import path from 'node:path';
import { manPage } from '../../src/manpage';
import { commands } from '../../src/command-table';
import { ENV } from '../../src/config';

const root = path.resolve(__dirname, '../..');
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;

describe('documentation stays true to the code', () => {
  it('man/tenantadm.1 is generated from the command table (run `npm run man`)', () => {
    expect(fs.readFileSync(path.join(root, 'man/tenantadm.1'), 'utf8')).toBe(manPage(version));
  });
  it('README documents every command and environment variable', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const c of commands) expect(readme).toContain(c.name);
    for (const v of Object.values(ENV)) expect(readme).toContain(v);
  });
  it('README gives the test command that .ci/run calls', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const ci = fs.readFileSync(path.join(root, '.ci/run'), 'utf8');
    expect(readme).toContain('./scripts/test.sh');
    expect(ci).toMatch(/^\.\/scripts\/test\.sh\b/m);
  });
  it('every command has examples that start with tenantadm and name the command', () => {
    for (const c of commands) {
      expect(c.examples.length).toBeGreaterThan(0);
      for (const e of c.examples) expect(e).toMatch(new RegExp(`tenantadm (${[c.name, ...(c.aliases ?? [])].join('|')})\\b`));
    }
  });
});
