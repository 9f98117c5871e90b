/** A command's --help shows its own options and points to `tenantadm options` for the global ones, which that command lists. */
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const BIN = path.resolve(__dirname, '../../../bin/tenantadm');
const tenantadm = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, TENANTADM_NO_BUNDLE: '1' } });

describe('help for one command', () => {
  it('is usage, description, its own options, rules and examples, and one line for the global options', () => {
    const help = tenantadm('set-device-limit', '--help').stdout;
    expect(help.startsWith('Usage: tenantadm set-device-limit (--tenant <id> | --set <id=n> | --file <plan.json>) [options]')).toBe(true);
    expect(help).toContain('--device-limit <n>');
    expect(help).not.toContain('--mongo <url>');
    expect(help).not.toContain('Global Options:');
    expect(help.trimEnd().split('\n').pop()).toBe('Global options (--mongo, -o/--output, -q, --no-input, --actor, ...): see `tenantadm options`.');
    // The "exactly one of" rule is in the usage line, not said again under Rules.
    expect(help).not.toContain('give exactly one of');
    expect(help.indexOf('Options:')).toBeLessThan(help.indexOf('Examples:'));
    // 112 lines before, 45 of them global options.
    expect(help.split('\n').length).toBeLessThan(70);
  });

  it('`tenantadm options` lists every global option, and the pointer works', () => {
    const r = tenantadm('options');
    expect(r.status).toBe(0);
    for (const flag of ['--mongo <url>', '-o, --output <format>', '-q, --quiet', '--no-input', '--actor <name>', '--error-format <format>']) expect(r.stdout).toContain(flag);
    expect(r.stderr).toBe('');
  });

  it("an option error names the command's help", () => {
    const r = tenantadm('usage', '--tree');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('see tenantadm usage --help');
  });
});
