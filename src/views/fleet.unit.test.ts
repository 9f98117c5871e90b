/** The fleet file's YAML: what any YAML reader reads back is exactly the data, whatever the strings hold. */
import YAML from 'yaml';
import { fleetYaml } from './fleet';

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
  });

  it('writes plain words plainly, and quotes what a reader could take for something else', () => {
    expect(fleetYaml({ a: 'Acme SP', b: 'yes', c: '123', d: 'https://x', e: [], f: {}, g: [{ h: 1 }, {}] })).toBe(
      ['a: Acme SP', 'b: "yes"', 'c: "123"', 'd: "https://x"', 'e: []', 'f: {}', 'g:', '  - h: 1', '  - {}', ''].join('\n'),
    );
  });
});
