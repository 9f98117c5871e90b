/**
 * What Mender's own services read back after each changing command, at the released
 * version (v4.1.3, "legacy" limits) and at main ("v2"), both with the service addresses set
 * (the tool calls their internal APIs) and without (it writes their documents directly).
 */
import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { ObjectId } from 'mongodb';
import { MENDER_VERSIONS, closeMenderClients, freshToolDatabases, mender, menderClient, menderApi, menderEnv, mintDeviceToken, redisCli, unique } from '../support/mender';
import { LOCAL_AUDIT_NOTICE, BCRYPT_COST_10, run, passwordFile, tmpDir, dropAll, closeClient, client, type Dbs } from '../support/harness';
import type { MenderVersion } from '../support/state';
import { killedAt } from '../support/crash';
import { freePort } from '../support/mender-setup';


afterAll(async () => {
  await closeMenderClients();
  await closeClient();
});

describe.each(MENDER_VERSIONS)('Mender %s', (version: MenderVersion) => {
  const legacy = version === 'v4.1.3';
  /** What deviceauth's API answers for an unlimited tenant at this version. */
  const unlimited = legacy ? 0 : -1;

  describe.each([
    ['written directly', false],
    ['through the services', true],
  ])('%s', (_label, services) => {
    let dbs: Dbs;
    let dir: string;
    const api = () => menderApi(version);
    const env = () => menderEnv(version, dbs, { services: services as boolean, redis: true });
    const tool = (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}) => run(dbs, args, { env: { ...env(), ...extra }, ...(input !== undefined ? { input } : {}) });
    const toolJson = async (args: string[], input?: string, extra?: NodeJS.ProcessEnv) => {
      const r = await tool(args, input, extra);
      if (r.code !== 0) throw new Error(`tenantadm ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    const limitOf = async (id: string) => {
      const r = await api().deviceauth.getLimit(id);
      expect(r.status).toBe(200);
      return r.body.limit;
    };

    freshToolDatabases(version, (d, t) => {

      dbs = d;

      dir = t;

    });

    test('create-tenant: deviceauth reads the limit asked for, unlimited included', async () => {
      const open = await toolJson(['create-tenant', '--name', unique('open')]);
      expect(open.device_limit).toBe(-1);
      expect(await limitOf(open.id)).toBe(unlimited);
      const capped = await toolJson(['create-tenant', '--name', unique('capped'), '--device-limit', '25']);
      expect(capped.device_limit).toBe(25);
      expect(await limitOf(capped.id)).toBe(25);
    });

    test('set-device-limit: deviceauth serves the new limit at once, through its cache', async () => {
      const t = await toolJson(['create-tenant', '--name', unique('t'), '--device-limit', '10']);
      expect(await limitOf(t.id)).toBe(10); // now cached in Redis
      const set = await toolJson(['set-device-limit', '--tenant', t.id, '--device-limit', '30']);
      expect(set).toMatchObject([{ before: 10, after: 30, changed: true, cache: services ? 'service' : 'invalidated' }]);
      expect(await limitOf(t.id)).toBe(30);
      await toolJson(['set-device-limit', '--tenant', t.id, '--device-limit', 'unlimited']);
      expect(await limitOf(t.id)).toBe(unlimited);
      expect((await toolJson(['get-tenant', '--tenant', t.id])).device_limit).toBe(-1);
      const none = await tool(['set-device-limit', '--tenant', t.id, '--device-limit', '0']);
      if (legacy) {
        expect(none.code).toBe(5);
        expect(none.stderr).toMatch(/deviceauth 2\.0\.0: it reads 0 as unlimited/);
        expect(await limitOf(t.id)).toBe(unlimited);
      } else {
        expect(none.code).toBe(0);
        expect(await limitOf(t.id)).toBe(0);
      }
    });

    test("a capped Service Provider's child gets capacity deviceauth enforces", async () => {
      const sp = await toolJson(['create-tenant', '--name', unique('sp'), '--device-limit', '100']);
      await toolJson(['update-tenant', '--tenant', sp.id, '--service-provider', '--max-child-tenants', '5']);
      // A child needs a user (Mender Enterprise 4.x).
      const kidUser = () => ['--user', `${unique('kid')}@kid.example`, '--password-file', passwordFile(tmpDir(), 'S3cret-pass!')];
      const bare = await tool(['create-tenant', '--name', unique('kid'), '--parent', sp.id, ...kidUser()]);
      if (legacy) {
        expect(bare.code).toBe(5);
        expect(bare.stderr).toMatch(/at least 1 device/);
      } else {
        expect(bare.code).toBe(0);
        expect(await limitOf(JSON.parse(bare.stdout).id)).toBe(0);
      }
      const kid = await toolJson(['create-tenant', '--name', unique('kid'), '--parent', sp.id, '--device-limit', '40', ...kidUser()]);
      expect(await limitOf(kid.id)).toBe(40);
      const over = await tool(['set-device-limit', '--tenant', kid.id, '--device-limit', '101']);
      expect(over.code).toBe(5);
      expect(await limitOf(kid.id)).toBe(40);
    });

    test('create-tenant and create-user: useradm lists the users with their password hashes', async () => {
      const email = `${unique('admin')}@acme.example`.toLowerCase();
      const t = await toolJson(['create-tenant', '--name', unique('users'), '--admin-email', email, '--password-file', passwordFile(dir, 'S3cret-pass!')]);
      const other = `${unique('user')}@acme.example`.toLowerCase();
      const u = await toolJson(['create-user', '--tenant', t.id, '--email', other, '--password-file', passwordFile(dir, 'An0ther-pass')], undefined, BCRYPT_COST_10);
      const listed = await api().useradm.listUsers(t.id);
      expect(listed.status).toBe(200);
      expect(listed.body.map((x) => x.email).sort()).toEqual([email, other].sort());
      expect(listed.body.find((x) => x.email === other)!.id).toBe(u.id);
      // The open-source build logs in only users without a tenant, so the hash is checked as its login would.
      const stored = await (await menderClient(version)).db('useradm').collection('users').findOne({ email: other });
      expect(stored).toMatchObject({ tenant_id: t.id, password: expect.stringMatching(/^\$2[aby]\$10\$/) });
      expect(bcrypt.compareSync('An0ther-pass', stored!.password)).toBe(true);
    });

    test('set-storage: deployments reads the settings, and --default clears them', async () => {
      const t = await toolJson(['create-tenant', '--name', unique('storage')]);
      const m = mender(version);
      const file = path.join(dir, 'storage.json');
      fs.writeFileSync(
        file,
        JSON.stringify({ type: 's3', bucket: m.bucket, region: 'eu-west-1', endpoint: m.s3, access_key_id: 'AKIAEXAMPLE', secret_access_key: 'secret-key-1', path_style: true }),
      );
      const set = await toolJson(['set-storage', '--tenant', t.id, '-f', file]);
      expect(set.storage).toMatchObject({ type: 's3', bucket: m.bucket, secret_access_key: '********' });
      const got = await api().deployments.getStorage(t.id);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ type: 's3', bucket: m.bucket, region: 'eu-west-1', uri: m.s3, key: 'AKIAEXAMPLE', secret: 'secret-key-1', force_path_style: true });
      await toolJson(['set-storage', '--tenant', t.id, '--default']);
      const cleared = await api().deployments.getStorage(t.id);
      expect(cleared.body?.bucket ?? '').toBe('');
    });

    test('a create killed after its service calls is undone by repair, in the services too', async () => {
      const email = `${unique('killed')}@acme.example`.toLowerCase();
      const name = unique('killed');
      const killed = await run(dbs, ['create-tenant', '--name', name, '--device-limit', '7', '--admin-email', email, '--password-file', passwordFile(dir)], {
        env: { ...env(), ...killedAt('commit') },
      });
      expect(killed.signal).toBe('SIGKILL');
      const c = await menderClient(version);
      const tenant = await c.db(dbs.tenantadm).collection('tenants').findOne({ name });
      expect(tenant).not.toBeNull();
      const id = tenant!._id.toString();
      // Read from the database, not the API: a read would cache the limit, and repair does not reach deviceauth's cache (see README).
      expect(Number((await c.db('deviceauth').collection('limits').findOne({ tenant_id: id }))!.value)).toBe(7);
      expect((await api().useradm.listUsers(id)).body.map((u) => u.email)).toEqual([email]);
      // The owner is dead (its 1 ms lease has expired): repair rolls every step back, through the same services.
      const repaired = await toolJson(['repair']);
      expect(repaired.rolled_back).toHaveLength(1);
      expect(await c.db(dbs.tenantadm).collection('tenants').findOne({ name })).toBeNull();
      expect(await limitOf(id)).toBe(unlimited);
      expect(await c.db('deviceauth').collection('limits').countDocuments({ tenant_id: id })).toBe(0);
      expect((await api().useradm.listUsers(id)).body).toEqual([]);
    });

    test('a service that refuses or does not answer is a one-line error naming it, and nothing is written', async () => {
      const t = await toolJson(['create-tenant', '--name', unique('refused'), '--device-limit', '5']);
      const c = await menderClient(version);
      const audit = () => c.db(dbs.audit).collection('tenantadm_audit').countDocuments({});
      const before = await audit();
      if (services) {
        // The open-source deviceauth knows max_devices only: its answer is exit 7.
        const r = await tool(['set-device-limit', '--tenant', t.id, '--kind', 'max_micro_devices', '--device-limit', '5']);
        expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 7, stdout: '' });
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/^tenantadm: deviceauth refused to set max_micro_devices of tenant [0-9a-f]{24}: 400 unsupported limit/);
      }
      const port = await freePort();
      const down = await run(dbs, ['set-device-limit', '--tenant', t.id, '--device-limit', '6'], {
        env: { ...env(), TENANTADM_DEVICEAUTH_ADDR: `http://127.0.0.1:${port}` },
      });
      expect({ code: down.code, stdout: down.stdout }).toEqual({ code: 6, stdout: '' });
      expect(down.stderr).toContain(`cannot reach the deviceauth service at http://127.0.0.1:${port}: ECONNREFUSED`);
      expect(await limitOf(t.id)).toBe(5);
      expect(await audit()).toBe(before);
      expect(await c.db(dbs.tenantadm).collection('tenantadm_journal').find({}).toArray()).toEqual([]);
    });

    test('doctor reports the profile this deviceauth reads and the services that answer', async () => {
      const report = await toolJson(['doctor']);
      expect(report).toMatchObject({
        ok: true,
        schema: { profile: legacy ? 'legacy' : 'v2', source: 'detected', deviceauth_migration: legacy ? '2.0.0' : '2.0.2', invalid_limits: 0 },
        services: services
          ? { deviceauth: { alive: true }, useradm: { alive: true }, deployments: { alive: true } }
          : { deviceauth: { address: null, alive: null }, useradm: { address: null, alive: null }, deployments: { address: null, alive: null } },
        problems: [],
      });
      expect(report.indexes.filter((i: { required: boolean; present: boolean }) => i.required && !i.present)).toEqual([]);
    });

    test("suspension revokes the tenant's device and user tokens", async () => {
      const c = await menderClient(version);
      const t = await toolJson(['create-tenant', '--name', unique('suspend')]);
      const bystander = await toolJson(['create-tenant', '--name', unique('bystander')]);
      const device = await mintDeviceToken(version, c, t.id);
      const other = await mintDeviceToken(version, c, bystander.id);
      expect((await api().deviceauth.verify(device.token)).status).toBe(200);
      const userTokens = c.db('useradm').collection('tokens');
      await userTokens.insertMany([
        { _id: new ObjectId(), sub: new ObjectId(), tenant_id: t.id, exp: { time: new Date(Date.now() + 3600_000) } },
        { _id: new ObjectId(), sub: new ObjectId(), tenant_id: bystander.id, exp: { time: new Date(Date.now() + 3600_000) } },
      ]);
      const versionKey = `${mender(version).redisKeyPrefix}:tenant:${t.id}:version`;
      const r = await tool(['update-tenant', '--tenant', t.id, '--status', 'suspended', '--yes']);
      // Through the services, nothing to say but that the entries stay in the tool's log (no workflows address here).
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: services ? LOCAL_AUDIT_NOTICE : expect.stringMatching(/tokens were deleted in the database directly/) });
      expect((await api().deviceauth.verify(device.token)).status).toBe(401);
      expect(await userTokens.countDocuments({ tenant_id: t.id })).toBe(0);
      expect(await c.db('deviceauth').collection('tokens').countDocuments({ 'mender.tenant': t.id })).toBe(0);
      expect(await redisCli(version, 'GET', versionKey)).toBe('1');
      // Nothing of another tenant is touched.
      expect((await api().deviceauth.verify(other.token)).status).toBe(200);
      expect(await userTokens.countDocuments({ tenant_id: bystander.id })).toBe(1);
    });
  });
});
