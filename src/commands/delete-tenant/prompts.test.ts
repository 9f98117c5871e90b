/**
 * Prompts on a real (pseudo) terminal: Ctrl-C at any of them is exit 130 with nothing written;
 * a question names the tenant by name and id; a missing value is asked for; a mistyped password
 * repeat is asked again. Without a terminal, or with --no-input, each stays exit 2.
 */
import { run, runJson } from '../../../test/support/harness';
import { onTerminal } from '../../../test/support/terminal';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const CTRL_C = '\x03';

describe('Ctrl-C at a prompt', () => {
  it('at the type-the-name prompt of delete-tenant: "interrupted; nothing was written", exit 130, the tenant still there', async () => {
    const t = await ctx.create('Keepme');
    await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--status', 'suspended', '--yes']);
    const r = onTerminal(ctx.dbs, ['delete-tenant', '--tenant', t.id], [{ after: 'to confirm:', type: CTRL_C }]);
    expect(r.screen).toContain('tenantadm: interrupted; nothing was written');
    expect(r.screen).not.toContain('internal error');
    expect(r.code).toBe(130);
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', t.id])).name).toBe('Keepme');
  });

  it('at a [y/N] prompt (suspend), which names the tenant by name and id', async () => {
    const t = await ctx.create('Suspendme');
    const r = onTerminal(ctx.dbs, ['update-tenant', '--tenant', t.id, '--status', 'suspended'], [{ after: '[y/N]', type: CTRL_C }]);
    expect(r.screen).toContain(`Tenant "Suspendme" (${t.id}): suspend it`);
    expect(r.screen).toContain('tenantadm: interrupted; nothing was written');
    expect(r.code).toBe(130);
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', t.id])).status).toBe('active');
  });

  it('at the password prompt', async () => {
    const t = await ctx.create('Pw');
    const r = onTerminal(ctx.dbs, ['create-user', '--tenant', t.id, '--email', 'x@pw.example'], [{ after: 'assword', type: CTRL_C }]);
    expect(r.screen).toContain('tenantadm: interrupted; nothing was written');
    expect(r.code).toBe(130);
    expect(await runJson(ctx.dbs, ['list-users', '--tenant', t.id])).toEqual([]);
  });
});

describe('asking on a terminal', () => {
  it('names the tenant when deleting one of its users', async () => {
    const t = await ctx.create('Named');
    await ctx.addUser(t.id, 'bye@named.example', ['observer']);
    const r = onTerminal(ctx.dbs, ['delete-user', '--tenant', t.id, '--email', 'bye@named.example'], [{ after: '[y/N]', type: 'n\r' }]);
    expect(r.screen).toContain(`Delete user bye@named.example from tenant "Named" (${t.id})?`);
    expect(r.code).toBe(2);
  });

  it('asks for a missing required value; piped or with --no-input it stays exit 2', async () => {
    const r = onTerminal(ctx.dbs, ['create-tenant'], [{ after: '--name', type: 'Asked Corp\r' }]);
    expect(r.code).toBe(0);
    expect((await runJson(ctx.dbs, ['list-tenants'])).map((t: { name: string }) => t.name)).toEqual(['Asked Corp']);
    const noInput = onTerminal(ctx.dbs, ['create-tenant', '--no-input'], []);
    expect(noInput.code).toBe(2);
    expect(noInput.screen).toContain('missing --name');
    const piped = await run(ctx.dbs, ['create-tenant']);
    expect(piped.code).toBe(2);
  });

  it('asks a mismatched password again instead of ending the command', async () => {
    const t = await ctx.create('Again');
    const r = onTerminal(
      ctx.dbs,
      ['create-user', '--tenant', t.id, '--email', 'again@again.example'],
      [
        { after: 'assword', type: 'First-pass-1\r' },
        { after: 'Repeat', type: 'Typo-pass-2\r' },
        { after: 'assword', type: 'Second-pass-3\r' },
        { after: 'Repeat', type: 'Second-pass-3\r' },
      ],
    );
    expect(r.screen).toContain('the two passwords differ; type them again');
    expect(r.code).toBe(0);
    expect((await runJson(ctx.dbs, ['list-users', '--tenant', t.id])).map((u: { email: string }) => u.email)).toEqual(['again@again.example']);
  });
});
