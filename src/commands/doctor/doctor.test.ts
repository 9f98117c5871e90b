/** doctor: what this server reads and whether the tool can work on it; exit 0 when it can, 5 with the problems named. */
import { client, run } from '../../../test/support/harness';
import { freePort } from '../../../test/support/mender-setup';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

async function deviceauthMigration(version: string): Promise<void> {
  const [major, minor, patch] = version.split('.').map(Number);
  const info = (await client()).db(ctx.dbs.deviceauth).collection('migration_info');
  await info.deleteMany({});
  await info.insertOne({ version: { major, minor, patch }, timestamp: new Date() });
}

describe('doctor', () => {
  it('on a migrated server it can work on: exit 0, the detected profile, no service or Redis configured, every required index present', async () => {
    const r = await run(ctx.dbs, ['doctor']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      ok: true,
      schema: { profile: 'v2', source: 'detected', detected: 'v2', deviceauth_migration: '2.0.2', invalid_limits: 0 },
      services: { deviceauth: { address: null, alive: null }, useradm: { address: null, alive: null }, deployments: { address: null, alive: null } },
      redis: { configured: false },
      problems: [],
    });
    expect(report.server.version).toEqual(expect.any(String));
    expect(report.indexes.filter((i: { required: boolean }) => i.required).length).toBeGreaterThan(0);
    expect(report.indexes.filter((i: { required: boolean; present: boolean }) => i.required && !i.present)).toEqual([]);
  });

  it('names a missing required index and says to run migrate (exit 5)', async () => {
    await (await client()).db(ctx.dbs.useradm).collection('users').dropIndex('email_1');
    const r = await run(ctx.dbs, ['doctor']);
    expect(r.code).toBe(5);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.stringMatching(/^index email_1 on .*\.users is missing: run tenantadm migrate$/)]);
    expect(report.indexes).toContainEqual(expect.objectContaining({ index: 'email_1', required: true, present: false }));
  });

  it('names a service that does not answer at its address (exit 5)', async () => {
    const port = await freePort();
    const r = await run(ctx.dbs, ['doctor'], { env: { TENANTADM_USERADM_ADDR: `http://127.0.0.1:${port}` } });
    expect(r.code).toBe(5);
    const report = JSON.parse(r.stdout);
    expect(report.services.useradm).toEqual({ address: `http://127.0.0.1:${port}`, alive: false });
    expect(report.services.deviceauth).toEqual({ address: null, alive: null });
    expect(report.problems).toEqual([`the useradm service does not answer at http://127.0.0.1:${port}`]);
  });

  it('reports an override that contradicts deviceauth, and limits the detected version cannot read (exit 5)', async () => {
    const override = await run(ctx.dbs, ['doctor', '--mender-schema', 'legacy']);
    expect(override.code).toBe(5);
    const overridden = JSON.parse(override.stdout);
    expect(overridden.schema).toMatchObject({ profile: 'legacy', source: 'override', detected: 'v2' });
    expect(overridden.problems).toContainEqual(expect.stringMatching(/^--mender-schema legacy contradicts deviceauth's migration 2\.0\.2 \(v2\)$/));

    // Mender <= 4.1 (deviceauth 2.0.0) reads 0 as unlimited and cannot read -1.
    await deviceauthMigration('2.0.0');
    await (await client()).db(ctx.dbs.deviceauth).collection('limits').insertOne({ tenant_id: 'aaaaaaaaaaaaaaaaaaaaaaaa', name: 'max_devices', value: -1 });
    const legacy = await run(ctx.dbs, ['doctor']);
    expect(legacy.code).toBe(5);
    const report = JSON.parse(legacy.stdout);
    expect(report.schema).toMatchObject({ profile: 'legacy', source: 'detected', deviceauth_migration: '2.0.0', invalid_limits: 1 });
    expect(report.problems).toEqual([expect.stringMatching(/^1 limit document\(s\) hold a value this deviceauth cannot read \(legacy profile\)/)]);
  });
});
