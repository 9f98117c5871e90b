/** The fleet file's YAML: what any YAML reader reads back is exactly the data, whatever the strings hold. */
import YAML from 'yaml';
import { fleetYaml, readFleetYaml } from './fleet';

const awkward = [
  'Acme SP', 'yes', 'No', 'null', '~', 'true', 'on', '123', '0x1F', '1e5', '-1', '.inf', '- dash', 'a: b', 'a #c', '#x', '"quoted"', "it's",
  'trailing ', ' leading', 'two  spaces', 'tab\there', 'line\nbreak', 'ünïcødé 名前', 'del\u007f', 'nel\u0085', 'ls\u2028', '[x]', '{y}', 'a,b', '*star', '&anchor',
  '!tag', '%pct', '@at', '`tick', '|pipe', '>fold', '?q', '${env:TENANT_X_SSO_CLIENT_SECRET}', '673a03e3c9eca7a440f2f444', '000000000000000000000e12', '',
];

describe('fleetYaml', () => {
  it('reads back as the same data for awkward strings, as names, list items and keys', () => {
    const doc = {
      apiVersion: 'tenantadm/v1',
      kind: 'Fleet',
      tenants: awkward.map((name, i) => ({
        name,
        id: `${i}`,
        addons: [name, 'configure'],
        device_limit: i,
        micro_device_limit: 'unlimited',
        trial: i % 2 === 0,
        trial_expiration: null,
        users: [{ email: `${name}@x.example`, roles: [] }],
        sso: { type: 'oidc', [name || 'empty']: name },
        storage: null,
        children: [],
      })),
    };
    const text = fleetYaml(doc);
    expect(YAML.parse(text)).toEqual(doc);
    expect(fleetYaml(doc)).toBe(text);
    // Keys it does not write plainly are left to the library; without them, read back without it, the same.
    expect(readFleetYaml(text)).toBeUndefined();
    for (const t of doc.tenants) t.sso = { type: 'oidc', client_id: t.name } as typeof t.sso;
    expect(readFleetYaml(fleetYaml(doc))).toEqual(doc);
    expect(YAML.parse(fleetYaml(doc))).toEqual(doc);
  });

  it('reads what it wrote as the library does, and leaves anything else to the library', () => {
    const written = fleetYaml({ apiVersion: 'tenantadm/v1', kind: 'Fleet', tenants: [{ name: 'a', users: [{ email: 'x@y.z', roles: ['R'] }], sso: null, children: [{}] }] });
    expect(readFleetYaml(written)).toEqual(YAML.parse(written));
    const edits = [
      written.replace('name: a', 'name: a # a comment'),
      written.replace('  - name: a', '- name: a'),
      written.replace('kind: Fleet', 'kind: Fleet\nkind: Fleet'),
      written.replace('kind: Fleet', '"kind": Fleet'),
      written.replace('name: a', 'name: &x a'),
      written.replace('name: a', "name: 'a'"),
      written.replace('name: a', 'name: 1.5'),
      written.replace('name: a', 'name: https://x'),
      written.replace('name: a', 'name: "\\x41"'),
      written.replace('roles: [R]', 'roles: [R,S]'),
      written.replace('roles: [R]', 'roles:\n          - R'),
      written.replace('name: a', 'name: a\r'),
      `---\n${written}`,
      written.replace('kind: Fleet', 'null: Fleet'),
      written.replace('  - name: a', '   - name: a'),
    ];
    for (const text of edits) {
      const fast = readFleetYaml(text);
      if (fast !== undefined) expect({ text, fast }).toEqual({ text, fast: YAML.parse(text) });
    }
    expect(edits.map((t) => readFleetYaml(t) === undefined)).toEqual(edits.map(() => true));
    // Blank lines and a value-less key (null) are YAML it can read.
    expect(readFleetYaml('a: 1\n\nb:\nc: [x, "y, z"]\n')).toEqual({ a: 1, b: null, c: ['x', 'y, z'] });
  });

  it('writes plain words plainly, and quotes what a reader could take for something else', () => {
    expect(fleetYaml({ a: 'Acme SP', b: 'yes', c: '123', d: 'https://x', e: [], f: {}, g: [{ h: 1 }, {}] })).toBe(
      ['a: Acme SP', 'b: "yes"', 'c: "123"', 'd: "https://x"', 'e: []', 'f: {}', 'g:', '  - h: 1', '  - {}', ''].join('\n'),
    );
  });
});
