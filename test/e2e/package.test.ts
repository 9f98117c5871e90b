/**
 * The npm package as an operator gets it: `npm pack` of a copy of the checkout with no dist/
 * (prepare builds it), `npm install -g --prefix` of the tarball, then the installed
 * `tenantadm` (bundle and module layout), its man page and a real command against the test database.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { LOCAL_AUDIT_NOTICE, ROOT, cliEnv, tmpDir, withFreshDatabases, type Dbs } from '../support/harness';

let dbs: Dbs;
withFreshDatabases((d) => (dbs = d));

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };

function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, env: opts.env ?? process.env, maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  return r;
}

/** A checkout without dist/, as a fresh clone has it; node_modules linked so no install is needed to build. */
function cleanCopy(dir: string): string {
  const copy = path.join(dir, 'checkout');
  fs.mkdirSync(copy);
  for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'docs', 'bin', 'man', 'scripts', 'src']) {
    fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  return copy;
}

describe('npm pack and npm install -g', () => {
  let tarball: string;
  let prefix: string;
  let installed: string;

  beforeAll(() => {
    const dir = tmpDir();
    const copy = cleanCopy(dir);
    const pack = sh('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: copy });
    expect({ code: pack.status, stderr: pack.status === 0 ? '' : pack.stderr }).toEqual({ code: 0, stderr: '' });
    tarball = path.join(dir, pack.stdout.trim().split('\n').pop()!);
    expect(fs.existsSync(path.join(copy, 'npm-shrinkwrap.json'))).toBe(false); // postpack removed its copy

    prefix = path.join(dir, 'prefix');
    // The dependencies come from npm's cache (filled by `npm ci`); the registry only when missing.
    const install = sh('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball]);
    expect({ code: install.status, stderr: install.status === 0 ? '' : install.stderr }).toEqual({ code: 0, stderr: '' });
    installed = path.join(prefix, 'lib', 'node_modules', 'tenantadm');
  }, 240_000);

  it('ships the compiled modules, the single-file build, the man page and the lock file, and no sources, tests or source maps', () => {
    const files = sh('tar', ['tzf', tarball]).stdout.split('\n');
    expect(files).toEqual(expect.arrayContaining(['package/bin/tenantadm', 'package/dist/main.js', 'package/dist/tenantadm.cjs', 'package/man/tenantadm.1', 'package/docs/commands.md', 'package/npm-shrinkwrap.json']));
    expect(files.filter((f) => /^package\/(src|test|scripts)\//.test(f) || f.endsWith('.ts') || f.endsWith('.map'))).toEqual([]);
  });

  it('installs the dependency versions of package-lock.json', () => {
    for (const dep of ['mongodb', 'ioredis', 'commander', 'bson']) {
      const got = JSON.parse(fs.readFileSync(path.join(installed, 'node_modules', dep, 'package.json'), 'utf8')) as { version: string };
      expect({ dep, version: got.version }).toEqual({ dep, version: lock.packages[`node_modules/${dep}`]!.version });
    }
  });

  it('puts tenantadm on PATH with its version, and its man page where man finds it', () => {
    const bin = path.join(prefix, 'bin', 'tenantadm');
    const version = sh(bin, ['--version']);
    expect({ code: version.status, out: version.stdout.trim() }).toEqual({ code: 0, out: pkg.version });

    const man = sh('man', ['-w', 'tenantadm'], { env: { ...process.env, MANPATH: path.join(prefix, 'share', 'man') } });
    expect({ code: man.status, stderr: man.stderr }).toEqual({ code: 0, stderr: '' });
    expect(fs.realpathSync(man.stdout.trim())).toBe(fs.realpathSync(path.join(installed, 'man', 'tenantadm.1')));
  });

  it("keeps V8's compiled code of the bundle per user, and recompiles when that cache is bad", () => {
    const bin = path.join(prefix, 'bin', 'tenantadm');
    const cacheDir = path.join(tmpDir(), 'v8');
    const env = { ...process.env, TENANTADM_CACHE_DIR: cacheDir };
    const versionWith = (e: NodeJS.ProcessEnv) => {
      const r = sh(bin, ['--version'], { env: e });
      expect({ code: r.status, out: r.stdout.trim(), err: r.stderr }).toEqual({ code: 0, out: pkg.version, err: '' });
    };
    versionWith(env);
    const caches = fs.readdirSync(cacheDir);
    expect(caches).toEqual([expect.stringMatching(new RegExp(`^tenantadm-[0-9a-f]+-\\d+-\\d+-${process.version}-${process.arch}-help\\.cache$`))]);
    const file = path.join(cacheDir, caches[0]!);
    const good = fs.readFileSync(file);
    expect(good.length).toBeGreaterThan(1000);

    versionWith(env); // used, not rewritten
    expect(fs.readFileSync(file).equals(good)).toBe(true);

    fs.writeFileSync(file, 'not a V8 code cache');
    versionWith(env); // rejected by V8, compiled from source, written again
    expect(fs.readFileSync(file).length).toBeGreaterThan(1000);

    fs.rmSync(cacheDir, { recursive: true });
    versionWith({ ...env, TENANTADM_CACHE_DIR: 'off' });
    expect(fs.existsSync(cacheDir)).toBe(false);
  });

  it.each([
    ['the single-file build', {}],
    ['the compiled modules with their installed dependencies', { TENANTADM_NO_BUNDLE: '1' }],
  ])('creates and lists a tenant in the test database, through %s', (_how, extra) => {
    const bin = path.join(prefix, 'bin', 'tenantadm');
    const env = cliEnv(dbs, extra);
    const created = sh(bin, ['create-tenant', '--name', 'Packaged Inc', '--device-limit', '7'], { env });
    expect({ code: created.status, stderr: created.stderr }).toEqual({ code: 0, stderr: LOCAL_AUDIT_NOTICE });
    const tenant = JSON.parse(created.stdout) as { id: string; name: string };
    expect(tenant.name).toBe('Packaged Inc');

    const listed = sh(bin, ['list-tenants', '--name', 'Packaged Inc'], { env });
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: tenant.id, name: 'Packaged Inc', device_limit: 7 })]);
  });
});
