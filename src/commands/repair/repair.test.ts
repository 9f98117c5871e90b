/** repair: settles what killed processes left half-done; --all asks first. */
import { client, expectFailsCleanly, passwordFile, run, runJson, snapshot, tmpDir, type Dbs, withFreshDatabases } from '../../../test/support/harness';
import { killedAt } from '../../../test/support/crash';

let dbs: Dbs;
let dir: string;
beforeAll(() => {
  dir = tmpDir();
});
withFreshDatabases((d) => (dbs = d));

const journal = async () => (await client()).db(dbs.tenantadm).collection('tenantadm_journal').find({}).toArray();
const createTenant = (name: string) => ['create-tenant', '--name', name, '--admin-email', `admin@${name}.example`, '--password-file', passwordFile(dir)];

describe('repair', () => {
  it('with nothing to settle prints an empty report and exits 0', async () => {
    const before = await snapshot(dbs);
    const r = await run(dbs, ['repair']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({ rolled_back: [], finalized: [], in_progress: [] });
    expect(await snapshot(dbs)).toEqual(before);
  });

  it('rolls back an operation killed before its commit point: the databases are as before', async () => {
    const before = await snapshot(dbs);
    const killed = await run(dbs, createTenant('rolled'), { env: killedAt('step:1') });
    expect(killed.signal).toBe('SIGKILL');
    expect(await journal()).toHaveLength(1);
    const report = await runJson(dbs, ['repair']);
    expect(report).toEqual({ rolled_back: [expect.any(String)], finalized: [], in_progress: [] });
    const nonEmpty = (s: Record<string, unknown[]>) => Object.fromEntries(Object.entries(s).filter(([, v]) => v.length > 0));
    expect(nonEmpty(await snapshot(dbs))).toEqual(nonEmpty(before));
    // Settled once: a second repair finds nothing.
    expect(await runJson(dbs, ['repair'])).toEqual({ rolled_back: [], finalized: [], in_progress: [] });
  });

  it('finishes an operation killed after its commit point: the tenant stands and its audit entries are written', async () => {
    const killed = await run(dbs, createTenant('finished'), { env: killedAt('finalize') });
    expect(killed.signal).toBe('SIGKILL');
    const report = await runJson(dbs, ['repair']);
    expect(report).toEqual({ rolled_back: [], finalized: [expect.any(String)], in_progress: [] });
    const tenant = await runJson(dbs, ['get-tenant', '--name', 'finished']);
    expect(await (await client()).db(dbs.audit).collection('tenantadm_audit').countDocuments({ tenant_id: tenant.id, state: 'committed' })).toBe(2);
    expect(await journal()).toEqual([]);
  });

  it('--all without a terminal and without --yes stops with exit 2 before reading anything', async () => {
    const stderr = await expectFailsCleanly(dbs, ['repair', '--all'], 2);
    expect(stderr).toMatch(/--yes/);
    // Not even the database is read: an unreachable one gives the same exit 2, not 6.
    const r = await run(dbs, ['repair', '--all'], { env: { TENANTADM_MONGO: 'mongodb://127.0.0.1:9', TENANTADM_TIMEOUT_MS: '200' } });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
  });

  it('--all --yes settles like repair; --yes alone is refused (exit 2)', async () => {
    await run(dbs, createTenant('all'), { env: killedAt('step:0') });
    expect(await runJson(dbs, ['repair', '--all', '--yes'])).toEqual({ rolled_back: [expect.any(String)], finalized: [], in_progress: [] });
    const stderr = await expectFailsCleanly(dbs, ['repair', '--yes'], 2);
    expect(stderr).toContain('--yes goes with --all');
  });
});
