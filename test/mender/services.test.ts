/**
 * What Mender's real services read and write, per version: the facts the tool is built on.
 * Each test writes straight into that version's database and asks the service's own API.
 */
import { randomBytes } from 'node:crypto';
import { Long, MongoClient, ObjectId } from 'mongodb';
import { MENDER_VERSIONS, mender, menderApi, mintDeviceToken, redisCli } from '../support/mender';
import type { MenderVersion } from '../support/state';

const tid = (): string => randomBytes(12).toString('hex');

describe.each(MENDER_VERSIONS)('Mender %s', (version: MenderVersion) => {
  const m = () => mender(version);
  const api = () => menderApi(version);
  let c: MongoClient;
  beforeAll(async () => {
    c = await MongoClient.connect(m().uri, { serverSelectionTimeoutMS: 5000 });
  });
  afterAll(async () => {
    await c.close();
  });
  const limits = () => c.db('deviceauth').collection('limits');
  const putLimitDoc = (tenant: string, value: number) =>
    limits().insertOne({ _id: new ObjectId(), name: 'max_devices', value: Long.fromNumber(value), tenant_id: tenant });

  test('deviceauth, useradm and deployments answer alive', async () => {
    const a = api();
    const r = await Promise.all([a.deviceauth.alive(), a.useradm.alive(), a.deployments.alive()]);
    expect(r.map((x) => x.status)).toEqual([204, 204, 204]);
  });

  describe('deviceauth limits written into deviceauth.limits', () => {
    const legacy = version === 'v4.1.3';

    test('no document reads as unlimited', async () => {
      const r = await api().deviceauth.getLimit(tid());
      expect(r).toMatchObject({ status: 200, body: { limit: legacy ? 0 : -1 } });
    });

    test('-1', async () => {
      const t = tid();
      await putLimitDoc(t, -1);
      const r = await api().deviceauth.getLimit(t);
      // Not left behind: doctor (fidelity tests, same database) counts a -1 on a legacy server as unreadable.
      await limits().deleteOne({ tenant_id: t });
      if (legacy) {
        expect(r.status).toBe(500);
      } else {
        expect(r).toMatchObject({ status: 200, body: { limit: -1 } });
      }
    });

    test.each([0, 5])('%d reads back as stored', async (value) => {
      const t = tid();
      await putLimitDoc(t, value);
      expect(await api().deviceauth.getLimit(t)).toMatchObject({ status: 200, body: { limit: value } });
    });

    test('a read caches the value in Redis under the version key', async () => {
      const t = tid();
      await putLimitDoc(t, 7);
      const key = `${m().redisKeyPrefix}:tenant:${t}:limit:${legacy ? '' : 'v2:'}max_devices`;
      expect(await redisCli(version, 'EXISTS', key)).toBe('0');
      expect((await api().deviceauth.getLimit(t)).body).toEqual({ limit: 7 });
      expect(await redisCli(version, 'GET', key)).toBe('7');
      const ttl = Number(await redisCli(version, 'TTL', key));
      // SetLimit uses DefaultExpire (3 h), not DEVICEAUTH_REDIS_LIMITS_EXPIRE_SEC.
      expect(ttl).toBeGreaterThan(3 * 3600 - 60);
      // The cache now wins over the database until invalidated.
      await limits().updateOne({ tenant_id: t, name: 'max_devices' }, { $set: { value: Long.fromNumber(9) } });
      expect((await api().deviceauth.getLimit(t)).body).toEqual({ limit: 7 });
      await redisCli(version, 'DEL', key);
      expect((await api().deviceauth.getLimit(t)).body).toEqual({ limit: 9 });
    });

    test('PUT stores the value (upsert) and caches it; DELETE removes the document', async () => {
      const t = tid();
      const a = api().deviceauth;
      expect((await a.putLimit(t, 0)).status).toBe(204);
      const doc = await limits().findOne({ tenant_id: t });
      expect(doc).toMatchObject({ name: 'max_devices', tenant_id: t });
      expect(Number(doc!.value)).toBe(0);
      expect((await a.getLimit(t)).body).toEqual({ limit: 0 });
      expect((await a.putLimit(t, 3)).status).toBe(204);
      expect(await limits().countDocuments({ tenant_id: t })).toBe(1);
      expect((await a.getLimit(t)).body).toEqual({ limit: 3 });
      const neg = await a.putLimit(t, -1);
      expect(neg.status).toBe(legacy ? 400 : 204);
      expect((await a.deleteLimit(t)).status).toBe(204);
      expect(await limits().countDocuments({ tenant_id: t })).toBe(0);
      expect((await a.getLimit(t)).body).toEqual({ limit: legacy ? 0 : -1 });
      expect((await a.getLimit(t, 'no_such_limit')).status).toBe(400);
    });

    test('device count of a tenant', async () => {
      const t = tid();
      await c.db('deviceauth').collection('devices').insertMany([
        { _id: new ObjectId().toHexString() as never, tenant_id: t, status: 'accepted', id_data: '{"mac":"1"}', id_data_sha256: randomBytes(32), created_ts: new Date(), updated_ts: new Date() },
        { _id: new ObjectId().toHexString() as never, tenant_id: t, status: 'pending', id_data: '{"mac":"2"}', id_data_sha256: randomBytes(32), created_ts: new Date(), updated_ts: new Date() },
      ]);
      expect(await api().deviceauth.countDevices(t)).toMatchObject({ status: 200, body: { count: 1 } });
    });
  });

  describe('deviceauth device tokens', () => {
    test('a minted token verifies; DELETE /tokens?tenant_id= revokes it', async () => {
      const t = tid();
      const { token } = await mintDeviceToken(version, c, t);
      const a = api().deviceauth;
      expect((await a.verify(token)).status).toBe(200);
      expect((await a.deleteTokens(t)).status).toBe(204);
      expect(await c.db('deviceauth').collection('tokens').countDocuments({ 'mender.tenant': t })).toBe(0);
      expect((await a.verify(token)).status).toBe(401);
      expect((await a.deleteTokens('')).status).toBe(400);
    });

    test('deleting the token document directly revokes it once the Redis token cache is flushed', async () => {
      const t = tid();
      const { token, jti } = await mintDeviceToken(version, c, t);
      const a = api().deviceauth;
      expect((await a.verify(token)).status).toBe(200);
      await c.db('deviceauth').collection('tokens').deleteOne({ _id: jti });
      // Bumping the tenant version is what Mender's own revocation does (cache.SuspendTenant).
      await redisCli(version, 'INCR', `${m().redisKeyPrefix}:tenant:${t}:version`);
      expect((await a.verify(token)).status).toBe(401);
    });
  });

  describe('useradm internal users API', () => {
    test('create, duplicate, list, stored document, delete', async () => {
      const t = tid();
      const a = api().useradm;
      const email = `User.${randomBytes(4).toString('hex')}@Example.com`;
      const created = await a.createUser(t, { email, password: 'correct horse battery' });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBeNull();
      const dup = await a.createUser(tid(), { email, password: 'another password 1' });
      expect(dup.status).toBe(422);
      const list = await a.listUsers(t);
      expect(list.status).toBe(200);
      expect(list.body).toHaveLength(1);
      const user = list.body[0]!;
      const doc = await c.db('useradm').collection('users').findOne({ tenant_id: t });
      expect(doc).toMatchObject({ _id: user.id, tenant_id: t, email: email.toLowerCase() });
      expect(String(doc!.password)).toMatch(/^\$2[aby]\$10\$/);
      expect(doc!.created_ts).toBeInstanceOf(Date);
      expect((await a.deleteUser(t, user.id)).status).toBe(204);
      expect(await c.db('useradm').collection('users').countDocuments({ tenant_id: t })).toBe(0);
    });
  });

  describe('deployments tenant storage settings', () => {
    test('a settings document written into deployment_service-<tid> is what GET returns', async () => {
      const t = tid();
      await c.db(`deployment_service-${t}`).collection('settings').insertOne({
        _id: 'settings' as never,
        type: 0,
        region: 'eu-west-1',
        bucket: 'tenant-bucket',
        uri: m().s3,
        key: 'AKIAEXAMPLE',
        secret: 'secret',
        force_path_style: true,
        use_accelerate: false,
      });
      const r = await api().deployments.getStorage(t);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ region: 'eu-west-1', bucket: 'tenant-bucket', key: 'AKIAEXAMPLE', secret: 'secret', force_path_style: true });
    });

    test('PUT stores settings after checking the bucket', async () => {
      const t = tid();
      const body = { type: 's3', region: 'us-east-1', bucket: 'put-bucket', uri: m().s3, key: 'AKIAPUT', secret: 'putsecret', force_path_style: true };
      const r = await api().deployments.putStorage(t, body);
      expect(r.status).toBe(204);
      const coll = c.db(`deployment_service-${t}`).collection('settings');
      const doc = await coll.findOne({});
      // JSON "s3" is stored as the integer 0 (model.StorageTypeS3).
      expect(doc).toMatchObject({ _id: 'settings', type: 0, bucket: 'put-bucket', key: 'AKIAPUT', secret: 'putsecret', region: 'us-east-1' });
      // A second PUT replaces the whole document.
      expect((await api().deployments.putStorage(t, { ...body, bucket: 'other-bucket', key: 'AKIAOTHER' })).status).toBe(204);
      expect(await coll.findOne({})).toMatchObject({ bucket: 'other-bucket', key: 'AKIAOTHER' });
      // PUT {} deletes the document.
      expect((await api().deployments.putStorage(t, {})).status).toBe(204);
      expect(await coll.countDocuments({})).toBe(0);
      const none = await api().deployments.getStorage(t);
      expect(none.status).toBe(200);
    });
  });
});
