/** __complete: the tenant ids and names the completion scripts offer, read from the database; hidden from help. */
import { run, runJson } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

describe('__complete', () => {
  it('lists every tenant id or name, one a line', async () => {
    const a = await ctx.create('Acme Corp');
    const b = await ctx.create('Globex');
    const ids = await run(ctx.dbs, ['__complete', 'tenant-ids', '--timeout', '1000', '--no-input', '-q']);
    expect(ids.code).toBe(0);
    expect(ids.stdout.trim().split('\n').sort()).toEqual([a.id, b.id].sort());
    const names = await run(ctx.dbs, ['__complete', 'tenant-names']);
    expect(names.stdout.trim().split('\n').sort()).toEqual(['Acme Corp', 'Globex']);
    expect((await runJson(ctx.dbs, ['list-tenants'])).length).toBe(2);
  });

  it('is in no help, and answers nothing (quickly) when the database is away', async () => {
    const help = await run(ctx.dbs, ['--help']);
    expect(help.stdout).not.toContain('__complete');
    const started = Date.now();
    const away = await run(ctx.dbs, ['__complete', 'tenant-ids', '--timeout', '300', '--no-input', '-q'], { env: { TENANTADM_MONGO: 'mongodb://127.0.0.1:9' } });
    expect(away.code).toBe(6);
    expect(away.stdout).toBe('');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
