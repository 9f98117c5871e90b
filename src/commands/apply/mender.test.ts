/**
 * What Mender's own services read back after apply, at the released version and at main, with
 * the service addresses set (apply goes through their internal APIs) and without (it writes
 * their documents directly): deviceauth serves the limits, useradm lists the users.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MENDER_VERSIONS, closeMenderClients, freshToolDatabases, mender, menderApi, menderEnv, unique } from '../../../test/support/mender';
import { run, tmpDir, closeClient, type Dbs } from '../../../test/support/harness';
import type { MenderVersion } from '../../../test/support/state';

afterAll(async () => {
  await closeMenderClients();
  await closeClient();
});

describe.each(MENDER_VERSIONS)('apply, Mender %s', (version: MenderVersion) => {
  describe.each([
    ['written directly', false],
    ['through the services', true],
  ])('%s', (_label, services) => {
    let dbs: Dbs;
    let dir: string;
    const api = () => menderApi(version);
    const tool = (args: string[], extra: NodeJS.ProcessEnv = {}) => run(dbs, args, { env: { ...menderEnv(version, dbs, { services: services as boolean, redis: true }), ...extra } });

    freshToolDatabases(version, (d, t) => {

      dbs = d;

      dir = t;

    });

    test('deviceauth serves the limits and useradm lists the users apply wrote; the same file again changes nothing', async () => {
      const name = unique('fleetco');
      const email = `${name}@fleet.example`;
      const doc: any = { apiVersion: 'tenantadm/v1', kind: 'Fleet', tenants: [{ name, device_limit: 7, users: [{ email, password: '${env:FLEETCO_PW}' }] }] };
      const file = path.join(dir, 'fleet.json');
      fs.writeFileSync(file, JSON.stringify(doc));
      const env = { FLEETCO_PW: 'Fleetco-Passw0rd!' };
      const made = await tool(['apply', '-f', file, '--yes'], env);
      expect(made.code).toBe(0);
      const id = (JSON.parse((await tool(['export', '--format', 'json'])).stdout).tenants as any[]).find((t) => t.name === name).id;
      expect((await api().deviceauth.getLimit(id)).body.limit).toBe(7);
      expect((await api().useradm.listUsers(id)).body.map((u) => u.email)).toEqual([email]);

      doc.tenants[0].device_limit = 9;
      fs.writeFileSync(file, JSON.stringify(doc));
      const changed = await tool(['apply', '-f', file, '--yes'], env);
      expect({ code: changed.code, stderr: changed.code === 0 ? '' : changed.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(changed.stdout)).toEqual([{ tenant: name, id, action: 'update', field: 'device_limit', before: 7, after: 9 }]);
      expect((await api().deviceauth.getLimit(id)).body.limit).toBe(9);
      const again = await tool(['apply', '-f', file, '--yes'], env);
      expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: '[]\n' });
    });
  });
});
describe.each(MENDER_VERSIONS)("apply's audit entries reach Mender %s's audit log", (version: MenderVersion) => {
  let dbs: Dbs;
  freshToolDatabases(version, (d) => {
    dbs = d;
  });

  test('each change once, naming the file by its checksum, through the workflows service', async () => {
    const env = { ...menderEnv(version, dbs), TENANTADM_ORCHESTRATOR_ADDR: mender(version).workflows, FLEETCO_PW: 'Fleetco-Passw0rd!' };
    const name = unique('fleetco');
    const dir = tmpDir();
    const file = path.join(dir, 'fleet.json');
    const text = JSON.stringify({ apiVersion: 'tenantadm/v1', kind: 'Fleet', tenants: [{ name, device_limit: 7, users: [{ email: `${name}@fleet.example`, password: '${env:FLEETCO_PW}' }] }] });
    fs.writeFileSync(file, text);
    const r = await run(dbs, ['apply', '-f', file, '--yes'], { env });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const sha = require('node:crypto').createHash('sha256').update(text).digest('hex');
    const own = JSON.parse((await run(dbs, ['audit'], { env: menderEnv(version, dbs) })).stdout) as { id: string; change: string }[];
    expect(own.length).toBe(2);
    for (const e of own) expect(e.change).toContain(`fleet file sha256:${sha}`);
    const deadline = Date.now() + 20_000;
    let ours: { auditlog: { change: string; meta: Record<string, string[]> } }[] = [];
    while (Date.now() < deadline) {
      const all = (await (await fetch(`${mender(version).auditSink}/entries?version=${encodeURIComponent(version)}`)).json()) as typeof ours;
      ours = all.filter((e) => own.some((o) => o.id === e.auditlog.meta?.tenantadm_entry_id?.[0]));
      if (ours.length >= own.length) break;
      await new Promise((done) => setTimeout(done, 100));
    }
    expect(ours.map((e) => e.auditlog.meta.tenantadm_entry_id![0]).sort()).toEqual(own.map((e) => e.id).sort());
    for (const e of ours) expect(e.auditlog.meta.fleet_file_sha256).toEqual([sha]);
  });
});
