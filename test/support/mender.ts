/**
 * Tests' side of the Mender services harness: the state of each running version, the CLI
 * environment pointed at that version's database, a thin client for the services' internal
 * APIs (status + body, so 4xx/5xx can be asserted), Redis reads, and token minting.
 */
import { createPrivateKey, createSign, randomBytes, randomUUID } from 'node:crypto';
import { MongoClient, ObjectId } from 'mongodb';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { freshDbs, run, state, tmpDir, type Dbs } from './harness';
import type { MenderState, MenderVersion } from './state';

export const MENDER_VERSIONS: MenderVersion[] = ['v4.1.3', 'main'];

export function mender(version: MenderVersion): MenderState {
  const m = state().mender?.[version];
  if (!m) throw new Error(`Mender ${version} is not running (global setup skipped it: TENANTADM_NO_MENDER=1?)`);
  return m;
}

/** Fresh letters-only names for the tool's own databases; Mender's are fixed. */
export function menderDbs(): Dbs {
  const d = freshDbs();
  return { ...d, deviceauth: 'deviceauth', useradm: 'useradm' };
}

/**
 * Environment for bin/tenantadm against `version`'s database. Pass the result of
 * menderDbs() (and to run(), which fills the rest from it) — or use this env directly.
 */
export function menderEnv(version: MenderVersion, dbs: Dbs = menderDbs(), opts: { services?: boolean; redis?: boolean } = {}): NodeJS.ProcessEnv {
  const m = mender(version);
  return {
    TENANTADM_MONGO: m.uri,
    TENANTADM_DB: dbs.tenantadm,
    TENANTADM_DEVICEAUTH_DB: 'deviceauth',
    TENANTADM_USERADM_DB: 'useradm',
    TENANTADM_AUDIT_DB: dbs.audit,
    ...(opts.services
      ? { TENANTADM_DEVICEAUTH_ADDR: m.deviceauth, TENANTADM_USERADM_ADDR: m.useradm, TENANTADM_DEPLOYMENTS_ADDR: m.deployments }
      : {}),
    ...(opts.redis && m.redisUrl ? { DEVICEAUTH_REDIS_CONNECTION_STRING: m.redisUrl, DEVICEAUTH_REDIS_KEY_PREFIX: m.redisKeyPrefix } : {}),
  };
}

export interface ApiResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

async function call<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult<T>> {
  const r = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: r.status, body: parsed as T, headers: r.headers };
}

export function menderApi(version: MenderVersion) {
  const m = mender(version);
  const da = `${m.deviceauth}/api/internal/v1/devauth`;
  const ua = `${m.useradm}/api/internal/v1/useradm`;
  const dp = `${m.deployments}/api/internal/v1/deployments`;
  return {
    deviceauth: {
      alive: () => call('GET', `${da}/alive`),
      getLimit: (tid: string, name = 'max_devices') => call<{ limit: number }>('GET', `${da}/tenant/${tid}/limits/${name}`),
      putLimit: (tid: string, limit: number, name = 'max_devices') => call('PUT', `${da}/tenant/${tid}/limits/${name}`, { limit }),
      deleteLimit: (tid: string, name = 'max_devices') => call('DELETE', `${da}/tenant/${tid}/limits/${name}`),
      listDevices: (tid: string) => call<unknown[]>('GET', `${da}/tenants/${tid}/devices`),
      countDevices: (tid: string, status = 'accepted') => call<{ count: number }>('GET', `${da}/tenants/${tid}/devices/count?status=${status}`),
      deleteTokens: (tid: string, deviceId?: string) => call('DELETE', `${da}/tokens?tenant_id=${tid}${deviceId ? `&device_id=${deviceId}` : ''}`),
      verify: (token: string) => call('POST', `${da}/tokens/verify`, undefined, { authorization: `Bearer ${token}` }),
    },
    useradm: {
      alive: () => call('GET', `${ua}/alive`),
      createUser: (tid: string, user: { email: string; password?: string; password_hash?: string; propagate?: boolean }) => call('POST', `${ua}/tenants/${tid}/users`, user),
      listUsers: (tid: string) => call<Array<{ id: string; email: string }>>('GET', `${ua}/tenants/${tid}/users`),
      deleteUser: (tid: string, userId: string) => call('DELETE', `${ua}/tenants/${tid}/users/${userId}`),
      deleteTokens: (tid: string, userId?: string) => call('DELETE', `${ua}/tokens?tenant_id=${tid}${userId ? `&user_id=${userId}` : ''}`),
      verify: (token: string) => call('POST', `${ua}/auth/verify`, undefined, { authorization: `Bearer ${token}` }),
      login: (email: string, password: string) =>
        call('POST', `${m.useradm}/api/management/v1/useradm/auth/login`, undefined, { authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` }),
    },
    deployments: {
      alive: () => call('GET', `${dp}/alive`),
      getStorage: (tid: string) => call('GET', `${dp}/tenants/${tid}/storage/settings`),
      putStorage: (tid: string, settings: unknown) => call('PUT', `${dp}/tenants/${tid}/storage/settings`, settings),
      listDeployments: (tid: string) => call<unknown[]>('GET', `${dp}/tenants/${tid}/deployments`),
    },
  };
}

/** A Redis command through redis-cli against `version`'s Redis database; stdout trimmed. */
export function redisCli(version: MenderVersion, ...args: string[]): Promise<string> {
  const url = mender(version).redisUrl;
  if (!url) throw new Error('redis-server is not running (install it: scripts/setup.sh)');
  // redis-cli -u rejects the ':password@' form deviceauth accepts (NOAUTH), so split the URL.
  const u = new URL(url);
  const conn = ['-h', u.hostname, '-p', u.port, '-n', u.pathname.slice(1) || '0', '-a', decodeURIComponent(u.password), '--no-auth-warning'];
  return new Promise((resolve, reject) => {
    execFile('redis-cli', [...conn, ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
      err ? reject(new Error(`redis-cli ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout.trim()),
    );
  });
}

function b64url(x: string | Buffer): string {
  return Buffer.from(x).toString('base64url');
}

/** RS256 JWT signed with `keyFile` (a service's own key, so the service verifies it). */
export function signJwt(keyFile: string, claims: Record<string, unknown>): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(createPrivateKey(fs.readFileSync(keyFile)));
  return `${head}.${body}.${b64url(sig)}`;
}

/**
 * A device token deviceauth accepts (POST /tokens/verify → 200): an accepted device, an
 * auth set whose _id is the token's jti, and the token document (tenant under
 * `mender.tenant`, as deviceauth's $set of its claims stores it), signed with its key.
 */
export async function mintDeviceToken(version: MenderVersion, c: MongoClient, tenantId: string): Promise<{ token: string; jti: ObjectId; deviceId: string }> {
  const m = mender(version);
  const db = c.db('deviceauth');
  const deviceId = new ObjectId().toHexString();
  const jti = new ObjectId();
  const idData = JSON.stringify({ mac: deviceId });
  const sha = randomBytes(32);
  const now = Math.floor(Date.now() / 1000);
  await db.collection('devices').insertOne({ _id: deviceId as never, tenant_id: tenantId, status: 'accepted', id_data: idData, id_data_sha256: sha, decommissioning: false, created_ts: new Date(), updated_ts: new Date() });
  await db.collection('auth_sets').insertOne({ _id: jti.toHexString() as never, tenant_id: tenantId, device_id: deviceId, status: 'accepted', id_data: idData, id_data_sha256: sha, pubkey: `key-${deviceId}`, ts: new Date() });
  await db.collection('tokens').insertOne({ _id: jti, sub: new ObjectId(deviceId), iss: 'Mender', exp: { time: new Date((now + 3600) * 1000) }, mender: { tenant: tenantId, device: true } });
  const token = signJwt(m.deviceauthKeyFile, { jti: jti.toHexString(), sub: deviceId, iat: now, exp: now + 3600, iss: 'Mender', 'mender.device': true, 'mender.tenant': tenantId });
  return { token, jti, deviceId };
}

export { randomUUID };

const menderClients = new Map<MenderVersion, MongoClient>();

/** A raw client on that version's own database server (one per version, per test file). */
export async function menderClient(version: MenderVersion): Promise<MongoClient> {
  if (!menderClients.has(version)) menderClients.set(version, await MongoClient.connect(mender(version).uri, { serverSelectionTimeoutMS: 5000 }));
  return menderClients.get(version)!;
}

/** Close what menderClient opened (a test file's afterAll). */
export async function closeMenderClients(): Promise<void> {
  for (const c of menderClients.values()) await c.close();
  menderClients.clear();
}

let seq = 0;
/** A name no other test, process or run uses. */
export const unique = (what: string): string => `${what}-${process.pid}-${Date.now().toString(36)}-${seq++}`;

/**
 * Per test: new, migrated databases of the tool's own (its state, its audit log) beside
 * Mender's, handed to `use` with a new directory; dropped after the test (deviceauth's and
 * useradm's databases are the running services' own: they stay).
 */
export function freshToolDatabases(version: MenderVersion, use: (dbs: Dbs, dir: string) => void): void {
  let dbs: Dbs | undefined;
  beforeEach(async () => {
    dbs = menderDbs();
    use(dbs, tmpDir());
    const m = await run(dbs, ['migrate'], { env: menderEnv(version, dbs) });
    if (m.code !== 0) throw new Error(`migrate: ${m.stderr}`);
  });
  afterEach(async () => {
    if (!dbs) return;
    const c = await menderClient(version);
    for (const name of [dbs.tenantadm, dbs.audit]) await c.db(name).dropDatabase().catch(() => undefined);
  });
}
