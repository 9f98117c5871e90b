/** repair: settles what killed processes left half-done; --all asks first. */
import { client, expectFailsCleanly, passwordFile, run, runJson, snapshot } from '../../../test/support/harness';
import { killedAt } from '../../../test/support/crash';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

const journal = async () => (await client()).db(ctx.dbs.tenantadm).collection('tenantadm_journal').find({}).toArray();
const createTenant = (name: string) => ['create-tenant', '--name', name, '--admin-email', `admin@${name}.example`, '--password-file', passwordFile(ctx.dir)];

describe('repair', () => {
  it('with nothing to settle prints an empty report and exits 0', async () => {
    const before = await snapshot(ctx.dbs);
    const r = await run(ctx.dbs, ['repair']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] });
    expect(await snapshot(ctx.dbs)).toEqual(before);
  });

  it('rolls back an operation killed before its commit point: the databases are as before', async () => {
    const before = await snapshot(ctx.dbs);
    const killed = await run(ctx.dbs, createTenant('rolled'), { env: killedAt('step:1') });
    expect(killed.signal).toBe('SIGKILL');
    expect(await journal()).toHaveLength(1);
    const report = await runJson(ctx.dbs, ['repair']);
    expect(report).toEqual({ rolled_back: [expect.any(String)], finalized: [], late_writes_undone: [], in_progress: [] });
    const nonEmpty = (s: Record<string, unknown[]>) => Object.fromEntries(Object.entries(s).filter(([, v]) => v.length > 0));
    expect(nonEmpty(await snapshot(ctx.dbs))).toEqual(nonEmpty(before));
    // Settled once: a second repair finds nothing.
    expect(await runJson(ctx.dbs, ['repair'])).toEqual({ rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] });
  });

  it('finishes an operation killed after its commit point: the tenant stands and its audit entries are written', async () => {
    const killed = await run(ctx.dbs, createTenant('finished'), { env: killedAt('finalize') });
    expect(killed.signal).toBe('SIGKILL');
    const report = await runJson(ctx.dbs, ['repair']);
    expect(report).toEqual({ rolled_back: [], finalized: [expect.any(String)], late_writes_undone: [], in_progress: [] });
    const tenant = await runJson(ctx.dbs, ['get-tenant', '--name', 'finished']);
    expect(await (await client()).db(ctx.dbs.audit).collection('tenantadm_audit').countDocuments({ tenant_id: tenant.id, state: 'committed' })).toBe(2);
    expect(await journal()).toEqual([]);
  });

  it('settles a command killed on this machine at once, without waiting for its lease (issue 18, finding 10)', async () => {
    const before = await snapshot(ctx.dbs);
    // The default lease (30 s): only the dead process tells that the operation can be settled.
    const killed = await run(ctx.dbs, createTenant('rerun'), { env: { TENANTADM_CRASH_AT: 'step:1' } });
    expect(killed.signal).toBe('SIGKILL');
    expect(await journal()).toHaveLength(1);
    const started = Date.now();
    expect(await runJson(ctx.dbs, ['repair'])).toEqual({ rolled_back: [expect.any(String)], finalized: [], late_writes_undone: [], in_progress: [] });
    const nonEmpty = (s: Record<string, unknown[]>) => Object.fromEntries(Object.entries(s).filter(([, v]) => v.length > 0));
    expect(nonEmpty(await snapshot(ctx.dbs))).toEqual(nonEmpty(before));
    // A script that re-runs the command after the kill goes through at once.
    await run(ctx.dbs, createTenant('rerun'), { env: { TENANTADM_CRASH_AT: 'step:1' } });
    const again = await run(ctx.dbs, [...createTenant('rerun'), '--timeout', '1000']);
    expect({ code: again.code, busy: /busy|waiting/.test(again.stderr) }).toEqual({ code: 0, busy: false });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(await journal()).toEqual([]);
  });

  it('--all without a terminal and without --yes stops with exit 2 before reading anything', async () => {
    const stderr = await expectFailsCleanly(ctx.dbs, ['repair', '--all'], 2);
    expect(stderr).toMatch(/--yes/);
    // Not even the database is read: an unreachable one gives the same exit 2, not 6.
    const r = await run(ctx.dbs, ['repair', '--all'], { env: { TENANTADM_MONGO: 'mongodb://127.0.0.1:9', TENANTADM_TIMEOUT_MS: '200' } });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
  });

  it('--all --yes settles like repair; --yes alone is refused (exit 2)', async () => {
    await run(ctx.dbs, createTenant('all'), { env: killedAt('step:0') });
    expect(await runJson(ctx.dbs, ['repair', '--all', '--yes'])).toEqual({ rolled_back: [expect.any(String)], finalized: [], late_writes_undone: [], in_progress: [] });
    const stderr = await expectFailsCleanly(ctx.dbs, ['repair', '--yes'], 2);
    expect(stderr).toContain('--yes goes with --all');
  });
});
