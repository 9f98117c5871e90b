/**
 * Shell completion is generated from the command table: every command, alias and option
 * appears in each script, and bash really completes with it (sourced into bash, driven
 * through COMP_WORDS as bash's own completion machinery does).
 */
import { spawnSync } from 'node:child_process';
import { commands } from '../../cli/command-table';
import { globalOptions } from '../../config';
import { completionScript, SHELLS } from './script';
import { flagOf, negatedFlagOf, type OptionDecls } from '../../options';

function visibleFlags(decls: OptionDecls): string[] {
  return Object.entries(decls).flatMap(([key, d]) => {
    if (d.hidden) return [];
    const negated = (d.type === 'boolean' || d.type === 'string') && d.negate ? [negatedFlagOf(key)] : [];
    return [flagOf(key), ...negated];
  });
}

describe.each(SHELLS)('the %s completion script', (shell) => {
  const script = completionScript(shell, commands);
  // fish names long options without their dashes (`-l plan`).
  const spelt = (flag: string) => (shell === 'fish' ? `-l ${flag.slice(2)}` : flag);

  it('names every command and alias', () => {
    // A group's subcommand ("maintenance delete-suspended-tenants") is completed word by word.
    for (const c of commands) {
      for (const name of [c.name, ...c.aliases].flatMap((n) => n.split(' '))) expect(script).toMatch(new RegExp(`(^|[ '"|(])${name}([ :'"|)]|$)`, 'm'));
    }
  });

  it.each(commands.map((c) => [c.name, c] as const))('names every option of %s', (_name, c) => {
    for (const flag of visibleFlags(c.options)) expect(script).toContain(spelt(flag));
  });

  it('names every global option, and no hidden one', () => {
    for (const flag of visibleFlags(globalOptions)) expect(script).toContain(spelt(flag));
    // create-org's --password (hidden) must not be offered; --password-file and --password-stdin are.
    expect(script).not.toMatch(/--password[ [|)]|-l password /);
    expect(script).toContain(spelt('--password-file'));
  });

  it('offers the values of enum options', () => {
    for (const words of ['os professional enterprise', 'active suspended', 'json ndjson table csv', 'max_devices max_micro_devices max_system_devices', 'bash zsh fish']) {
      expect(script).toContain(words);
    }
  });
});

/** What bash completes for the words typed so far (the last one being completed). */
function bashComplete(...words: string[]): string[] {
  return bashCompleteWith('', ...words);
}

/** As bashComplete, with `setup` run first (a stand-in `tenantadm` for the database's answers, a directory). */
function bashCompleteWith(setup: string, ...words: string[]): string[] {
  const script = completionScript("bash", commands);
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const program = `${script}\n${setup}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _tenantadm; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { encoding: 'utf8' });
  expect(out.stderr).toBe('');
  expect(out.status).toBe(0);
  return out.stdout.split('\n').filter((l) => l !== '');
}

describe('bash completes', () => {
  it('a command from its beginning', () => {
    expect(bashComplete('tenantadm', 'list-t')).toEqual(['list-tenants']);
    expect(bashComplete('tenantadm', 'create-')).toEqual(['create-tenant', 'create-org', 'create-user']);
  });

  it('the values of --plan, --status, -o and --kind', () => {
    expect(bashComplete('tenantadm', 'create-tenant', '--plan', '')).toEqual(['os', 'professional', 'enterprise']);
    expect(bashComplete('tenantadm', 'update-tenant', '--status', 's')).toEqual(['suspended']);
    expect(bashComplete('tenantadm', '-o', '')).toEqual(['json', 'ndjson', 'table', 'csv']);
    expect(bashComplete('tenantadm', 'set-device-limit', '--kind', 'max_m')).toEqual(['max_micro_devices']);
  });

  it("a command's options and the global ones, and nothing where a free value is expected", () => {
    expect(bashComplete('tenantadm', 'update-tenant', '--no-')).toEqual(['--no-service-provider', '--no-sso-inherit', '--no-parent', '--no-input']);
    expect(bashComplete('tenantadm', 'list-users', '--')).toEqual(expect.arrayContaining(['--tenant', '--mongo', '--output', '--ndjson']));
  });

  it('the shell of `completion` and the command of `help`', () => {
    expect(bashComplete('tenantadm', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect(bashComplete('tenantadm', 'help', 'set-s')).toEqual(['set-sso', 'set-storage']);
  });

  it("tenant ids and names from the database (tenantadm __complete, stood in for here), and nothing when it does not answer", () => {
    const db = `tenantadm() { [ "$1 $2" = "__complete tenant-ids" ] && printf '%s\\n' 673a03e3c9eca7a440f2f444 673b00000000000000000000; [ "$1 $2" = "__complete tenant-names" ] && printf '%s\\n' 'Acme Corp' Globex; }`;
    expect(bashCompleteWith(db, 'tenantadm', 'get-tenant', '--tenant', '673a')).toEqual(['673a03e3c9eca7a440f2f444']);
    expect(bashCompleteWith(db, 'tenantadm', 'usage', '--tree', '')).toEqual(['673a03e3c9eca7a440f2f444', '673b00000000000000000000']);
    expect(bashCompleteWith(db, 'tenantadm', 'get-tenant', '--name', 'Ac')).toEqual(['Acme\\ Corp']);
    // create-tenant's --name is a new name: nothing to complete.
    expect(bashCompleteWith(db, 'tenantadm', 'create-tenant', '--name', '')).toEqual([]);
    expect(bashComplete('tenantadm', 'get-tenant', '--tenant', '')).toEqual([]);
  });

  it("the audit log's actions and object types", () => {
    expect(bashComplete('tenantadm', 'audit', '--action', '')).toEqual(['create', 'update', 'delete', 'password_change', 'auth_method_change']);
    expect(bashComplete('tenantadm', 'audit', '--object-type', '')).toEqual(['tenant', 'user']);
  });

  it('file arguments as file names (a directory without a space after it)', () => {
    const dir = `cd "$(mktemp -d)" && mkdir plans && touch plans/a.json plan.json`;
    expect(bashCompleteWith(dir, 'tenantadm', 'set-device-limit', '-f', 'pla').sort()).toEqual(['plan.json', 'plans']);
    expect(completionScript('bash', commands)).toContain('--file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))');
  });

  it('the subcommands of a group, then their options', () => {
    expect(bashComplete('tenantadm', 'maintenance', '')).toEqual(['delete-suspended-tenants', 'suspend-tenants-expired-trial']);
    expect(bashComplete('tenantadm', 'maintenance', 'delete-suspended-tenants', '--th')).toEqual(['--threshold-days']);
  });
});
