/** README's list of runtime dependencies is package.json's, with the same major versions. */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

describe("README's runtime dependencies", () => {
  it('name exactly the dependencies of package.json, at their major versions', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const paragraph = readme.slice(readme.indexOf('Runtime dependencies:'), readme.indexOf('All are pinned'));
    const named = [...paragraph.matchAll(/`([@a-z0-9/.-]+)` (\d+)/g)].map((m) => [m[1], m[2]]);
    const declared = Object.entries(pkg.dependencies).map(([name, range]) => [name, /(\d+)/.exec(range)![1]]);
    expect(named.sort()).toEqual(declared.sort());
  });
});
