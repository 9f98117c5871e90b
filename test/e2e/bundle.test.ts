/**
 * The single-file build (scripts/bundle.js -> tenantadm.cjs), copied alone into an empty
 * directory and run with plain `node` against the test database: the driver, ioredis and bcrypt
 * must all be inside it, and the MongoDB driver's optional add-ons may be missing. Also the
 * container recipe and the Kubernetes Job of docs/running-next-to-mender.md: the Job's own arguments run here, and
 * the image is built when docker answers.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { commands } from '../../src/cli/command-table';
import bcrypt from 'bcryptjs';
import { LOCAL_AUDIT_NOTICE, ROOT, client, cliEnv, passwordFile, state, tmpDir, withFreshDatabases, type Dbs } from '../support/harness';

let dbs: Dbs;
withFreshDatabases((d) => (dbs = d));

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
/** Left out of the bundle on purpose (scripts/bundle.js); the driver requires them only inside try/catch. */
const OPTIONAL_DRIVER_DEPS = ['kerberos', 'snappy', '@mongodb-js/zstd', 'mongodb-client-encryption', '@aws-sdk/credential-providers', 'gcp-metadata', 'aws4', 'socks'];

let work: string;
let bundle: string;
let requireLog: string;
let hook: string;

beforeAll(() => {
  work = tmpDir();
  const out = path.join(work, 'build', 'tenantadm.cjs');
  const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts/bundle.js'), '--outfile', out], { encoding: 'utf8', cwd: work });
  // It prints the path it wrote (relative to the working directory when inside it).
  expect({ code: built.status, written: path.resolve(work, built.stdout.trim()) }).toEqual({ code: 0, written: out });

  // Nothing next to it: no package.json, no node_modules.
  const empty = path.join(work, 'empty');
  fs.mkdirSync(empty);
  bundle = path.join(empty, 'tenantadm.cjs');
  fs.copyFileSync(out, bundle);

  // Records every require the bundle makes of something that is not part of Node.
  requireLog = path.join(work, 'requires.log');
  hook = path.join(work, 'require-hook.js');
  fs.writeFileSync(
    hook,
    `const Module = require('node:module');
const fs = require('node:fs');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (parent && parent.filename === ${JSON.stringify(bundle)} && !Module.isBuiltin(request)) fs.appendFileSync(${JSON.stringify(requireLog)}, request + '\\n');
  return resolve.call(this, request, parent, ...rest);
};
`,
  );
}, 120_000);

function runBundle(args: string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH }): SpawnSyncReturns<string> {
  const r = spawnSync(process.execPath, ['-r', hook, bundle, ...args], { encoding: 'utf8', cwd: path.dirname(bundle), env });
  if (r.error) throw r.error;
  return r;
}

/** Requires of packages outside the bundle, other than the driver's optional add-ons. */
function outsideRequires(): string[] {
  const seen = new Set(fs.existsSync(requireLog) ? fs.readFileSync(requireLog, 'utf8').split('\n').filter(Boolean) : []);
  // The driver probes `aws4` when it loads (and carries on without it): proof the hook sees the bundle's requires.
  expect(seen).toContain('aws4');
  return [...seen].filter((r) => !OPTIONAL_DRIVER_DEPS.includes(r));
}

describe('the single-file build', () => {
  it('prints its help with every command, and its version, with node alone', () => {
    const help = runBundle(['--help']);
    expect(help.status).toBe(0);
    for (const c of commands) expect(help.stdout).toContain(c.name.split(' ')[0]!); // a group shows its own name
    const version = runBundle(['--version']);
    expect({ code: version.status, out: version.stdout.trim() }).toEqual({ code: 0, out: pkg.version });
  });

  it('creates a tenant with its admin (bcrypt inside) and lists both back from the test database', async () => {
    const env = cliEnv(dbs);
    const created = runBundle(['create-tenant', '--name', 'Bundled Ltd', '--device-limit', '10', '--admin-email', 'admin@bundled.example', '--password-file', passwordFile(work, 'bundled-secret')], env);
    expect({ code: created.status, stderr: created.status === 0 ? '' : created.stderr }).toEqual({ code: 0, stderr: '' });
    const tenant = JSON.parse(created.stdout) as { id: string };

    const listed = runBundle(['list-tenants', '--name', 'Bundled Ltd'], env);
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: tenant.id, name: 'Bundled Ltd', device_limit: 10 })]);

    const users = runBundle(['list-users', '--tenant', tenant.id], env);
    expect(users.status).toBe(0);
    expect(JSON.parse(users.stdout)).toEqual([expect.objectContaining({ email: 'admin@bundled.example' })]);
    const stored = await (await client()).db(dbs.useradm).collection('users').findOne({ tenant_id: tenant.id });
    expect(await bcrypt.compare('bundled-secret', stored!.password)).toBe(true);
    expect(outsideRequires()).toEqual([]);
  });

  it("runs the Kubernetes Job's reallocation plan and clears device-auth's Redis cache (ioredis inside)", () => {
    const redis = state().redis;
    if (!redis) throw new Error('redis-server is not running (scripts/setup.sh installs it)');
    const env = cliEnv(dbs);
    const ids = ['Plan A', 'Plan B'].map((name) => {
      const r = runBundle(['create-tenant', '--name', name, '--device-limit', '5', '--id-only'], env);
      expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: LOCAL_AUDIT_NOTICE });
      return r.stdout.trim();
    });
    const plan = path.join(work, 'plan.json');
    fs.writeFileSync(plan, JSON.stringify({ limits: [{ id: ids[0], limit: 30 }, { tenant_id: ids[1], limit: 0 }] }));

    const job = fs.readFileSync(path.join(ROOT, 'deploy/kubernetes/reallocation-job.yaml'), 'utf8');
    const jobArgs = JSON.parse(/^\s*args: (\[.*\])$/m.exec(job)![1]!) as string[];
    expect(jobArgs).toEqual(['set-device-limit', '-f', '/plans/plan.json']);
    const r = runBundle(jobArgs.map((a) => (a === '/plans/plan.json' ? plan : a)), { ...env, DEVICEAUTH_REDIS_CONNECTION_STRING: redis.url });
    expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: LOCAL_AUDIT_NOTICE });
    expect(JSON.parse(r.stdout)).toEqual([
      expect.objectContaining({ id: ids[0], before: 5, after: 30, changed: true, cache: 'invalidated' }),
      expect.objectContaining({ id: ids[1], before: 5, after: 0, changed: true, cache: 'invalidated' }),
    ]);
    expect(outsideRequires()).toEqual([]);
  });

  it('fails as the tool does, not with a stack trace, when the database is unreachable', () => {
    const r = runBundle(['list-tenants', '--mongo', 'mongodb://127.0.0.1:1', '--timeout', '300']);
    expect({ code: r.status, stdout: r.stdout }).toEqual({ code: 6, stdout: '' });
    expect(r.stderr).toMatch(/^tenantadm: /);
  });
});

describe('running next to Mender: docs/running-next-to-mender.md shows the recipes as they are in the repository', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'docs/running-next-to-mender.md'), 'utf8');
  it.each([
    ['Dockerfile', 'dockerfile'],
    ['deploy/kubernetes/reallocation-job.yaml', 'yaml'],
  ])('%s', (file, lang) => {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    expect(readme).toContain(`\`\`\`${lang}\n${text}\`\`\``);
  });
});

const docker = spawnSync('docker', ['info'], { encoding: 'utf8' });
const dockerReason = docker.error ? `docker is not installed (${docker.error.message})` : docker.status !== 0 ? `docker does not answer: ${docker.stderr.trim().split('\n').pop()}` : '';
if (dockerReason) process.stderr.write(`bundle.test: container image build skipped: ${dockerReason}\n`);

(dockerReason ? describe.skip : describe)('the container image', () => {
  it('builds from the Dockerfile and runs as a non-root user', () => {
    const tag = `tenantadm-test:${process.pid}`;
    const build = spawnSync('docker', ['build', '-q', '-t', tag, ROOT], { encoding: 'utf8' });
    expect({ code: build.status, stderr: build.status === 0 ? '' : build.stderr }).toEqual({ code: 0, stderr: '' });
    try {
      const version = spawnSync('docker', ['run', '--rm', tag, '--version'], { encoding: 'utf8' });
      expect({ code: version.status, out: version.stdout.trim() }).toEqual({ code: 0, out: pkg.version });
      const user = spawnSync('docker', ['run', '--rm', '--entrypoint', 'id', tag, '-u'], { encoding: 'utf8' });
      expect(user.stdout.trim()).not.toBe('0');
    } finally {
      spawnSync('docker', ['rmi', '-f', tag]);
    }
  }, 600_000);
});
