/**
 * Global-setup side of the Mender services harness: for each Mender version, its own FerretDB
 * (the services' database names are fixed), seeded migration_info, RSA keys, and deviceauth,
 * useradm and deployments from the binaries scripts/mender-services.sh built. One S3 stand-in
 * (node:http, this process) answers deployments' bucket checks for both versions.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import type { MenderState, MenderVersion } from './state';

const ROOT = path.resolve(__dirname, '../..');

/** Archive version name, profile and migration_info per service (README table, checked in source). */
export const VERSIONS: Record<MenderVersion, { archive: string; profile: 'legacy' | 'v2'; redisDb: number; migrations: Record<string, [number, number, number]> }> = {
  'v4.1.3': {
    archive: 'v4.1.3',
    profile: 'legacy',
    redisDb: 1,
    migrations: { deviceauth: [2, 0, 0], useradm: [2, 0, 3], deployment_service: [1, 2, 17] },
  },
  main: {
    archive: 'main-f954ef50',
    profile: 'v2',
    redisDb: 2,
    migrations: { deviceauth: [2, 0, 2], useradm: [2, 0, 3], deployment_service: [1, 2, 17] },
  },
};

// On globalThis: teardown runs in this process but may load this module afresh.
const g = globalThis as { __mender?: { children: ChildProcess[]; s3?: http.Server; sink?: http.Server } };
g.__mender ??= { children: [] };
const children = g.__mender.children;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Start a FerretDB launcher on a free port; resolves with its URI (first stdout line). */
export async function startFerret(bin: string, sqliteDir: string): Promise<{ uri: string; child: ChildProcess }> {
  const child = spawn(bin, ['--sqlite-dir', sqliteDir, '--exit-on-stdin-eof'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const uri = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('FerretDB did not start within 30 s')), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.on('exit', (code) => reject(new Error(`FerretDB exited early with code ${code}`)));
  });
  child.stdout!.resume();
  return { uri: uri.replace(/\/?$/, '/?directConnection=true'), child };
}

/** The cache dirs printed by scripts/mender-services.sh, without building (fails if not built). */
function binDirs(): Record<string, string> {
  const cache = process.env.TENANTADM_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? '/', '.cache'), 'tenantadm');
  const out: Record<string, string> = {};
  const dirs = fs.existsSync(cache) ? fs.readdirSync(cache) : [];
  for (const v of Object.values(VERSIONS)) {
    // Same key as the script: sha256 of the archive; fall back to any built dir of that version.
    const src = process.env.TENANTADM_MENDER_SRC ?? path.join(ROOT, '../shared/mender-server');
    let dir: string | undefined;
    const archive = [path.join(src, `mender-server-${v.archive}.tar.gz`), path.join(cache, `mender-server-${v.archive}.tar.gz`)].find((f) => fs.existsSync(f));
    if (archive) {
      const key = execFileSync('sha256sum', [archive], { encoding: 'utf8' }).slice(0, 16);
      dir = path.join(cache, `mender-${v.archive}-${key}`);
    } else {
      const d = dirs.find((n) => n.startsWith(`mender-${v.archive}-`));
      dir = d && path.join(cache, d);
    }
    const ok = dir && ['deviceauth', 'useradm', 'deployments', 'workflows', 'nats-server'].every((s) => fs.existsSync(path.join(dir!, s)));
    if (!ok) throw new Error(`Mender services for ${v.archive} are not built (looked in ${dir ?? cache}): run scripts/mender-services.sh (scripts/setup.sh runs it)`);
    out[v.archive] = dir!;
  }
  return out;
}

/** S3 stand-in: every bucket exists and is empty. Enough for HeadBucket at start-up and on PUT settings. */
async function startS3(logFile: string): Promise<string> {
  const port = await freePort();
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  const s3 = http.createServer((req, res) => {
    log.write(`${req.method} ${req.url}\n`);
    req.resume();
    req.on('end', () => {
      const bucket = (req.url ?? '/').split('?')[0]?.split('/')[1] ?? '';
      res.setHeader('x-amz-request-id', 'standin');
      if (req.method === 'HEAD' || req.method === 'PUT' || req.method === 'DELETE') {
        res.statusCode = req.method === 'DELETE' ? 204 : 200;
        res.end();
      } else if (req.url?.includes('location')) {
        res.setHeader('content-type', 'application/xml');
        res.end('<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>');
      } else {
        res.setHeader('content-type', 'application/xml');
        res.end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`);
      }
    });
  });
  g.__mender!.s3 = s3;
  await new Promise<void>((resolve) => s3.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${port}`;
}

/**
 * Run `<bin> server` under a shell that kills it when our stdin pipe closes, so a killed
 * jest never leaves a service behind; output goes to logFile.
 */
function startService(bin: string, logFile: string, env: NodeJS.ProcessEnv, args: string[] = ['server']): ChildProcess {
  const child = spawn('sh', ['-c', '"$0" "$@" >>"$LOGFILE" 2>&1 & pid=$!; cat >/dev/null; kill $pid 2>/dev/null; wait $pid', bin, ...args], {
    stdio: ['pipe', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, LOGFILE: logFile },
  });
  children.push(child);
  return child;
}

/**
 * Where the test definition of `emit_auditlog` delivers (Enterprise's forwards to the auditlogs
 * service, which is closed source): every entry the worker posts, by Mender version and tenant.
 * Tests read them back with GET /entries?version=V&tenant=T.
 */
async function startAuditSink(logFile: string): Promise<string> {
  const port = await freePort();
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  const entries: { version: string; tenant_id: string; auditlog: unknown; at: string }[] = [];
  const sink = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://sink');
      const parts = url.pathname.split('/').filter(Boolean);
      if (req.method === 'POST' && parts[0] === 'sink' && parts.length === 3) {
        log.write(`${req.method} ${req.url} ${body.length}\n`);
        let auditlog: unknown = body;
        try {
          auditlog = JSON.parse(body);
        } catch {
          // kept as text: the test then sees what arrived
        }
        entries.push({ version: decodeURIComponent(parts[1]!), tenant_id: decodeURIComponent(parts[2]!), auditlog, at: new Date().toISOString() });
        res.statusCode = 201;
        res.end('{}');
        return;
      }
      if (req.method === 'GET' && url.pathname === '/entries') {
        const v = url.searchParams.get('version');
        const t = url.searchParams.get('tenant');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(entries.filter((e) => (!v || e.version === v) && (!t || e.tenant_id === t))));
        return;
      }
      res.statusCode = 404;
      res.end();
    });
  });
  g.__mender!.sink = sink;
  await new Promise<void>((resolve) => sink.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${port}`;
}

/** The test definition of Mender's `emit_auditlog` workflow: one http task posting the entry to the sink. */
function writeAuditWorkflow(dir: string, sink: string, version: MenderVersion): void {
  fs.mkdirSync(dir, { recursive: true });
  const workflow = {
    name: 'emit_auditlog',
    description: "Test stand-in for Enterprise's emit_auditlog: delivers the entry to a local sink.",
    version: 1,
    ephemeral: true,
    tasks: [
      {
        name: 'deliver_auditlog',
        type: 'http',
        retries: 3,
        http: {
          uri: `${sink}/sink/${encodeURIComponent(version)}/\${encoding=url;workflow.input.tenant_id}`,
          method: 'POST',
          contentType: 'application/json',
          json: '${workflow.input.auditlog}',
          headers: { 'X-MEN-RequestID': '${workflow.input.request_id}' },
          connectionTimeOut: 8000,
          readTimeOut: 8000,
        },
      },
    ],
    inputParameters: ['auditlog', 'tenant_id', 'request_id'],
  };
  fs.writeFileSync(path.join(dir, 'emit_auditlog.json'), JSON.stringify(workflow, null, 2));
}

/**
 * Mender's workflows service as Mender runs it: NATS with JetStream, the API server (which
 * creates the stream) and a worker, with the test definition of emit_auditlog.
 */
async function startWorkflows(version: MenderVersion, binDir: string, uri: string, vdir: string, sink: string): Promise<string> {
  const [natsPort, apiPort] = await Promise.all([freePort(), freePort()]);
  const wfDir = path.join(vdir, 'workflows');
  writeAuditWorkflow(wfDir, sink, version);
  const natsLog = path.join(vdir, 'nats.log');
  const nats = startService(path.join(binDir, 'nats-server'), natsLog, {}, ['-js', '-a', '127.0.0.1', '-p', String(natsPort), '-sd', path.join(vdir, 'jetstream')]);
  await waitPort(natsPort, 'nats-server', natsLog, nats);
  const env = {
    WORKFLOWS_MONGO_URL: uri,
    WORKFLOWS_NATS_URI: `nats://127.0.0.1:${natsPort}`,
    WORKFLOWS_LISTEN: `127.0.0.1:${apiPort}`,
    WORKFLOWS_WORKFLOWS_PATH: wfDir,
  };
  const serverLog = path.join(vdir, 'workflows-server.log');
  const server = startService(path.join(binDir, 'workflows'), serverLog, env, ['server', '--automigrate']);
  await waitAlive(`workflows ${version}`, `http://127.0.0.1:${apiPort}/status`, serverLog, server);
  // The worker binds to the stream the server created.
  const workerLog = path.join(vdir, 'workflows-worker.log');
  startService(path.join(binDir, 'workflows'), workerLog, env, ['worker', '--workflows', 'emit_auditlog']);
  return `http://127.0.0.1:${apiPort}`;
}

/** Wait until something accepts TCP connections on the port. */
async function waitPort(port: number, name: string, logFile: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (code ${child.exitCode}); log ${logFile}:\n${tail(logFile)}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${name} did not listen on ${port} within ${timeoutMs / 1000} s; log ${logFile}:\n${tail(logFile)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Poll GET url until 2xx; fail after timeoutMs with the tail of the service's log. */
async function waitAlive(name: string, url: string, logFile: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (code ${child.exitCode}) before answering ${url}; log ${logFile}:\n${tail(logFile)}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not answer ${url} within ${timeoutMs / 1000} s; log ${logFile}:\n${tail(logFile)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function writeKey(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // PKCS#1 ("RSA PRIVATE KEY"): both services accept it and PKCS#8 (jwt/jwt.go NewJWTHandler).
  fs.writeFileSync(file, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
}

async function startVersion(
  version: MenderVersion,
  binDir: string,
  ferretBin: string,
  dir: string,
  redis: { host: string; port: number; password: string } | undefined,
  s3Url: string,
  sink: string,
): Promise<MenderState> {
  const v = VERSIONS[version];
  const vdir = path.join(dir, `mender-${v.archive}`);
  fs.mkdirSync(vdir, { recursive: true });
  const { uri, child: ferret } = await startFerret(ferretBin, path.join(vdir, 'db'));
  children.push(ferret);

  const c = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    for (const [db, [major, minor, patch]] of Object.entries(v.migrations)) {
      // migrate.MigrationEntry: {version: {major, minor, patch} (uint), timestamp}; the
      // services compare the highest entry with their DbVersion when --automigrate is off.
      await c.db(db).collection('migration_info').insertOne({ version: { major, minor, patch }, timestamp: new Date() });
    }
    // The unique indexes of the skipped migrations that FerretDB can build: useradm relies on
    // email_1 for its duplicate-email error (useradm migration_2_0_0.go), deviceauth on
    // tenant_id_name for one limit per tenant and name (deviceauth migration_2_0_0.go).
    await c.db('useradm').collection('users').createIndex({ email: 1 }, { name: 'email_1', unique: true });
    await c.db('deviceauth').collection('limits').createIndex({ tenant_id: 1, name: 1 }, { name: 'tenant_id_name', unique: true });
    await c.db('deviceauth').collection('devices').createIndex({ tenant_id: 1, id_data_sha256: 1 }, { name: 'tenant_id_id_data_sha256', unique: true });
  } finally {
    await c.close();
  }

  // Each key in its own directory: useradm scans the key's directory for private.id.N.pem.
  const deviceauthKey = path.join(vdir, 'deviceauth-key', 'private.pem');
  const useradmKey = path.join(vdir, 'useradm-key', 'private.pem');
  writeKey(deviceauthKey);
  writeKey(useradmKey);
  const bucket = 'mender-artifact-storage';
  const redisKeyPrefix = 'deviceauth:v1';
  const redisUrl = redis ? `redis://:${redis.password}@${redis.host}:${redis.port}/${v.redisDb}` : undefined;
  const [pd, pu, pp] = await Promise.all([freePort(), freePort(), freePort()]);
  const plans = fs.existsSync(path.join(binDir, 'useradm-plans.yaml')) ? path.join(binDir, 'useradm-plans.yaml') : undefined;

  const services = {
    deviceauth: {
      port: pd,
      alive: 'devauth',
      env: {
        DEVICEAUTH_MONGO: uri,
        DEVICEAUTH_LISTEN: `127.0.0.1:${pd}`,
        DEVICEAUTH_SERVER_PRIV_KEY_PATH: deviceauthKey,
        ...(redisUrl ? { DEVICEAUTH_REDIS_CONNECTION_STRING: redisUrl, DEVICEAUTH_REDIS_KEY_PREFIX: redisKeyPrefix } : {}),
      },
    },
    useradm: {
      port: pu,
      alive: 'useradm',
      env: {
        USERADM_MONGO: uri,
        USERADM_LISTEN: `127.0.0.1:${pu}`,
        USERADM_SERVER_PRIV_KEY_PATH: useradmKey,
        ...(plans ? { USERADM_PLAN_DEFINITIONS_PATH: plans } : {}),
      },
    },
    deployments: {
      port: pp,
      alive: 'deployments',
      env: {
        DEPLOYMENTS_MONGO_URL: uri,
        DEPLOYMENTS_LISTEN: `127.0.0.1:${pp}`,
        DEPLOYMENTS_AWS_URI: s3Url,
        DEPLOYMENTS_AWS_AUTH_KEY: 'standin',
        DEPLOYMENTS_AWS_AUTH_SECRET: 'standinsecret',
        DEPLOYMENTS_STORAGE_BUCKET: bucket,
      },
    },
  } as const;
  const logs: Record<string, string> = {};
  const workflows = startWorkflows(version, binDir, uri, vdir, sink);
  await Promise.all(
    Object.entries(services).map(async ([name, s]) => {
      const logFile = path.join(vdir, `${name}.log`);
      logs[name] = logFile;
      const child = startService(path.join(binDir, name), logFile, s.env);
      await waitAlive(`${name} ${version}`, `http://127.0.0.1:${s.port}/api/internal/v1/${s.alive}/alive`, logFile, child);
    }),
  );
  return {
    uri,
    workflows: await workflows,
    auditSink: sink,
    deviceauth: `http://127.0.0.1:${pd}`,
    useradm: `http://127.0.0.1:${pu}`,
    deployments: `http://127.0.0.1:${pp}`,
    redisUrl,
    redisKeyPrefix,
    profile: v.profile,
    deviceauthKeyFile: deviceauthKey,
    useradmKeyFile: useradmKey,
    s3: s3Url,
    bucket,
    logs,
  };
}

/** Start both versions in parallel. */
export async function startMender(dir: string, ferretBin: string, redis: { host: string; port: number; password: string } | undefined): Promise<Record<MenderVersion, MenderState>> {
  const bins = binDirs();
  const s3Url = await startS3(path.join(dir, 's3-standin.log'));
  const sink = await startAuditSink(path.join(dir, 'audit-sink.log'));
  const versions = Object.keys(VERSIONS) as MenderVersion[];
  const started = await Promise.all(versions.map((v) => startVersion(v, bins[VERSIONS[v].archive]!, ferretBin, dir, redis, s3Url, sink)));
  return Object.fromEntries(versions.map((v, i) => [v, started[i]])) as Record<MenderVersion, MenderState>;
}

/** Stop services first (they hold connections), then their databases, then the S3 stand-in. */
export async function stopMender(): Promise<void> {
  const stop = async (child: ChildProcess): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin?.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.unref();
  };
  const services = children.filter((c) => c.spawnfile === 'sh');
  await Promise.all(services.map(stop));
  await Promise.all(children.filter((c) => c.spawnfile !== 'sh').map(stop));
  children.length = 0;
  for (const key of ['s3', 'sink'] as const) {
    const server = g.__mender?.[key];
    if (!server) continue;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    await closed;
    g.__mender![key] = undefined;
  }
}
