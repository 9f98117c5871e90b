/**
 * After delete-tenant, Mender's own services know nothing of the tenant: deviceauth has no
 * devices, tokens or limit of it, useradm no users, deployments no storage settings or
 * deployments. At the released version and at main, with the service addresses set (their
 * tenant-removal endpoints are tried first; the open-source builds route none) and without.
 */
import { killedAt } from '../support/crash';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { MENDER_VERSIONS, closeMenderClients, freshToolDatabases, mender, menderClient, menderApi, menderEnv, mintDeviceToken, unique } from '../support/mender';
import { run, passwordFile, closeClient, type Dbs } from '../support/harness';
import type { MenderVersion } from '../support/state';

afterAll(async () => {
  await closeMenderClients();
  await closeClient();
});

describe.each(MENDER_VERSIONS)('Mender %s', (version: MenderVersion) => {
  const unlimited = version === 'v4.1.3' ? 0 : -1;

  describe.each([
    ['written directly', false],
    ['through the services', true],
  ])('%s', (_label, services) => {
    let dbs: Dbs;
    let dir: string;
    const api = () => menderApi(version);
    const env = () => menderEnv(version, dbs, { services: services as boolean, redis: true });
    const toolJson = async (args: string[]) => {
      const r = await run(dbs, args, { env: env() });
      if (r.code !== 0) throw new Error(`tenantadm ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };

    freshToolDatabases(version, (d, t) => {

      dbs = d;

      dir = t;

    });

    test('after delete-tenant, deviceauth, useradm and deployments know nothing of the tenant', async () => {
      const c = await menderClient(version);
      const m = mender(version);
      const email = `${unique('admin')}@gone.example`.toLowerCase();
      const t = await toolJson(['create-tenant', '--name', unique('gone'), '--device-limit', '7', '--admin-email', email, '--password-file', passwordFile(dir)]);
      const bystander = await toolJson(['create-tenant', '--name', unique('stays'), '--device-limit', '3']);
      const device = await mintDeviceToken(version, c, t.id);
      const other = await mintDeviceToken(version, c, bystander.id);
      const file = path.join(dir, 'storage.json');
      fs.writeFileSync(file, JSON.stringify({ type: 's3', bucket: m.bucket, region: 'eu-west-1', endpoint: m.s3, access_key_id: 'AKIAEXAMPLE', secret_access_key: 'secret-1', path_style: true }));
      await toolJson(['set-storage', '--tenant', t.id, '-f', file]);
      const deployment = { _id: randomUUID(), tenant_id: t.id, deploymentconstructor: { name: 'release-1', artifact_name: 'release-1' }, created: new Date(), status: 'finished' };
      await c.db(`deployment_service-${t.id}`).collection('deployments').insertOne(deployment as never);
      await c.db('deployment_service').collection('deployments').insertOne({ ...deployment, _id: randomUUID() } as never);

      // What the services see before: the tenant is there.
      expect((await api().deviceauth.getLimit(t.id)).body).toEqual({ limit: 7 }); // cached in Redis now
      expect((await api().deviceauth.listDevices(t.id)).body).toHaveLength(1);
      expect((await api().deviceauth.verify(device.token)).status).toBe(200);
      expect((await api().useradm.listUsers(t.id)).body.map((u) => u.email)).toEqual([email]);
      expect((await api().deployments.getStorage(t.id)).body).toMatchObject({ bucket: m.bucket });
      const listedBefore = await api().deployments.listDeployments(t.id);
      expect(listedBefore.status).toBe(200);
      expect(listedBefore.body.length).toBeGreaterThan(0);

      await toolJson(['update-tenant', '--tenant', t.id, '--status', 'suspended', '--yes']);
      const out = await toolJson(['delete-tenant', '--tenant', t.id, '--yes']);
      expect(out).toMatchObject({
        remaining: 0,
        removed: { tenants: [{ id: t.id }], databases: expect.arrayContaining([`deployment_service-${t.id}`]) },
        left_for_operator: [{ id: t.id, shared_store_prefix: `${t.id}/`, bucket: m.bucket }],
      });
      // The open-source builds have no tenant-removal endpoint: each was asked, and the sweep did the rest.
      expect(out.services).toEqual(
        services ? ['deviceauth', 'useradm', 'deployments'].map((service) => ({ service, id: t.id, outcome: 'not_routed' })) : [],
      );

      // What the services see after: nothing.
      expect(await api().deviceauth.getLimit(t.id)).toMatchObject({ status: 200, body: { limit: unlimited } });
      const devices = await api().deviceauth.listDevices(t.id);
      expect({ status: devices.status, body: devices.body }).toEqual({ status: 200, body: [] });
      expect((await api().deviceauth.countDevices(t.id)).body).toEqual({ count: 0 });
      expect((await api().deviceauth.verify(device.token)).status).toBe(401);
      expect((await api().useradm.listUsers(t.id)).body).toEqual([]);
      const storage = await api().deployments.getStorage(t.id);
      expect(storage.body?.bucket ?? '').toBe('');
      expect((await api().deployments.listDeployments(t.id)).body ?? []).toEqual([]);

      // The bystander is untouched.
      expect((await api().deviceauth.getLimit(bystander.id)).body).toEqual({ limit: 3 });
      expect((await api().deviceauth.verify(other.token)).status).toBe(200);
      expect((await api().deviceauth.listDevices(bystander.id)).body).toHaveLength(1);
    });

    test('a removal killed among its service calls and sweeps is finished by repair, and the services know nothing', async () => {
      const c = await menderClient(version);
      const email = `${unique('killed')}@gone.example`.toLowerCase();
      const t = await toolJson(['create-tenant', '--name', unique('killed'), '--device-limit', '4', '--admin-email', email, '--password-file', passwordFile(dir)]);
      const device = await mintDeviceToken(version, c, t.id);
      await toolJson(['update-tenant', '--tenant', t.id, '--status', 'suspended', '--yes']);
      // Steps after the commit point: audit settle, tenant document, then (with the addresses) the service calls, then the sweeps.
      const killed = await run(dbs, ['delete-tenant', '--tenant', t.id, '--yes'], { env: { ...env(), ...killedAt('finalize:3') } });
      expect(killed.signal).toBe('SIGKILL');
      expect(await c.db(dbs.tenantadm).collection('tenants').countDocuments({ name: t.name })).toBe(0);
      expect((await api().useradm.listUsers(t.id)).body.length).toBe(1); // not swept yet
      const repaired = await toolJson(['repair']);
      expect(repaired.finalized).toHaveLength(1);
      expect((await api().useradm.listUsers(t.id)).body).toEqual([]);
      expect((await api().deviceauth.listDevices(t.id)).body).toEqual([]);
      expect((await api().deviceauth.verify(device.token)).status).toBe(401);
      expect(await api().deviceauth.getLimit(t.id)).toMatchObject({ status: 200, body: { limit: unlimited } });
      expect(await c.db(dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
    });
  });
});
