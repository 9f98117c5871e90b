/**
 * One name for one thing: every command's options against the naming table (src/cli/naming.ts).
 * A command declares the table's name, never a spelling it replaces (except where Mender's own
 * CLI keeps one); an alias is a replaced spelling of the option it sits on; every option that
 * sets a device limit is one of the three limit names.
 */
import { commands } from '../../src/cli/command-table';
import { globalOptions } from '../../src/config';
import { KEPT_SPELLINGS, NAMING, renamedTo } from '../../src/cli/naming';
import { flagOf } from '../../src/options';

const flag = (key: string) => flagOf(key).slice(2);
const options = commands.flatMap((c) => Object.entries(c.options).map(([key, d]) => ({ command: c.name, key, d })));

describe('option names across every command', () => {
  it('never declares a spelling the naming table replaces', () => {
    const offenders = options
      .filter(({ command, key }) => NAMING.some((n) => n.replaces.includes(flag(key))) && !(KEPT_SPELLINGS[flag(key)] ?? []).includes(command))
      .map(({ command, key }) => `${command} ${flagOf(key)}`);
    expect(offenders).toEqual([]);
  });

  it('keeps an alias only as a replaced spelling of the option it sits on', () => {
    const offenders = options.flatMap(({ command, key, d }) =>
      (d.aliases ?? []).filter((a) => !NAMING.find((n) => n.name === key)?.replaces.includes(a)).map((a) => `${command} --${a} (on ${flagOf(key)})`),
    );
    expect(offenders).toEqual([]);
  });

  it('never lets an alias shadow another option or a global one', () => {
    for (const c of commands) {
      const taken = new Set([...Object.keys(c.options), ...Object.keys(globalOptions)].map(flag));
      for (const d of Object.values(c.options)) for (const a of d.aliases ?? []) expect({ command: c.name, alias: a, taken: taken.has(a) }).toEqual({ command: c.name, alias: a, taken: false });
    }
  });

  it('names every device limit option --device-limit, --micro-device-limit or --system-device-limit', () => {
    const limits = new Set(['deviceLimit', 'microDeviceLimit', 'systemDeviceLimit']);
    const offenders = options.filter(({ key, d }) => d.type === 'int' && d.unlimited && key !== 'maxChildTenants' && !limits.has(key)).map(({ command, key }) => `${command} ${flagOf(key)}`);
    expect(offenders).toEqual([]);
  });

  it('calls the tenant --tenant wherever one tenant is named by its id (--id stays where it was, as an alias)', () => {
    const byId = options.filter(({ key, d }) => d.type === 'string' && d.arg === 'id' && key !== 'objectId');
    expect(byId.filter(({ key }) => key !== 'tenant').map(({ command, key }) => `${command} ${flagOf(key)}`)).toEqual([]);
    // The commands that took --id before keep it working.
    const withId = byId.filter(({ d }) => d.aliases?.includes('id')).map(({ command }) => command);
    expect(withId.sort()).toEqual(
      ['delete-tenant', 'get-sso', 'get-tenant', 'list-tenants', 'set-device-limit', 'set-sso', 'set-storage', 'update-tenant', 'usage'].sort(),
    );
  });

  it('answers a replaced spelling with the name the command uses', () => {
    expect(renamedTo('--id', ['tenant', 'email'])).toBe('tenant');
    expect(renamedTo('--limit', ['tenant', 'deviceLimit'])).toBe('deviceLimit');
    expect(renamedTo('--limit', ['last'])).toBe('last');
    expect(renamedTo('--username', ['email'])).toBe('email');
    expect(renamedTo('--bogus', ['tenant'])).toBeUndefined();
    expect(renamedTo('--id', ['name'])).toBeUndefined();
  });
});
