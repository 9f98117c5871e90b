/**
 * The built binary as a process: input that must be refused (exit 2, nothing written, one
 * line on stderr), help and completion (exit 0, on stdout), Ctrl-C at a prompt (exit 130),
 * and what the build precompiled (no ajv, no parser for help).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, cliEnv, run, tmpDir, type Dbs, withFreshDatabases, expectFailsCleanly } from '../support/harness';
import { createTenant } from '../support/cases';

let dbs: Dbs;
withFreshDatabases((d) => (dbs = d));

describe('input that is refused with exit 2 and nothing written', () => {
  it.each([
    // An empty $ROLE in a script must not create a full admin.
    [['--email', 'ops@acme.example', '--role', '']],
    [['--email', 'ops@acme.example', '--role', ',']],
    [['--email', 'ops@acme.example', '--role', 'RBAC_ROLE_OBSERVER,']],
    [['--email', 'ops\u0001@acme.example']],
    [['--email', 'ops@acme.example\u007f']],
  ])('create-user %j', async (extra) => {
    const t = await createTenant(dbs, 'acme');
    await expectFailsCleanly(dbs, ['create-user', '--tenant', t.id, ...extra, '--password-stdin'], 2, { input: 'long-enough-password\n' });
  });

  it.each([
    [['create-tenant', '--name', 'del\u007fname']],
    [['create-tenant', '--name', 'esc\u001b[31mname']],
    [['create-tenant', '--name', '-----BEGIN RSA PRIVATE KEY-----']],
    [['create-tenant', '--name', '-----BEGIN CERTIFICATE-----']],
    [['create-org', '--name', 'org', '--username', 'a@org.example', '--admin-email', 'b@org.example', '--password', 'long-enough-pw']],
    [['create-tenant', '--name', 'big', '--device-limit', '99999999999999999999999']],
    [['create-tenant', '--name', 'twice', '--name', 'twice']],
  ])('%j', async (args) => {
    await createTenant(dbs, 'existing');
    await expectFailsCleanly(dbs, args, 2);
  });

  it.each([
    [['--max-child-tenants', '99999999999999999999999']],
    [['--max-child-tenants', '1e+23']],
    [['--service-provider', '--no-service-provider']],
    [['--no-service-provider', '--service-provider']],
    [['--parent', '673a03e3c9eca7a440f2f444', '--no-parent']],
    [['--sso-inherit', '--no-sso-inherit']],
    [['--name', 'pem -----BEGIN PRIVATE KEY-----']],
    [['--name', 'tab\tname']],
  ])('update-tenant %j', async (extra) => {
    const t = await createTenant(dbs, 'target');
    const err = await expectFailsCleanly(dbs, ['update-tenant', '--tenant', t.id, ...extra], 2);
    expect(err).toMatch(/^tenantadm: /);
  });
});

describe('help and completion', () => {
  it('`help COMMAND` prints that help on stdout and exits 0', async () => {
    const r = await run(dbs, ['help', 'list-tenants']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Usage: tenantadm list-tenants \[options\]\n/);
    expect(r.stdout).toMatch(/see `tenantadm options`\.\n+$/);
  });

  it('the help the build rendered is the help the parser gives', async () => {
    // `--ndjson --help` is not a form the prebuilt help answers, so the parser renders it.
    const prebuilt = await run(dbs, ['--help']);
    const live = await run(dbs, ['--ndjson', '--help']);
    expect(prebuilt.code).toBe(0);
    expect(prebuilt.stdout).toBe(live.stdout);
    for (const name of ['create-user', 'set-device-limit', 'create-org']) {
      const a = await run(dbs, [name, '--help']);
      const b = await run(dbs, [name, '--ndjson', '--help']);
      expect(a.stdout).toBe(b.stdout);
    }
  });

  it('`completion bash` prints a script bash accepts', async () => {
    const r = await run(dbs, ['completion', 'bash']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const file = path.join(tmpDir(), 'tenantadm.bash');
    fs.writeFileSync(file, r.stdout);
    expect(spawnSync('bash', ['-n', file]).status).toBe(0);
  });
});

describe('start-up', () => {
  const probe = (args: string[]) => {
    const code = `require(${JSON.stringify(path.join(ROOT, 'dist/main.js'))}).main(['node', 'tenantadm', ...${JSON.stringify(args)}]).then((c) => {
      const loaded = (m) => Object.keys(require.cache).some((k) => k.includes(m));
      process.stderr.write(JSON.stringify({ code: c, ajv: loaded('/node_modules/ajv/dist/ajv.js'), commander: loaded('/node_modules/commander/') }));
    })`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: cliEnv(dbs) });
    return JSON.parse(r.stderr.slice(r.stderr.lastIndexOf('{')));
  };

  it('a command validates with the validators the build compiled: ajv is never loaded', () => {
    expect(probe(['list-tenants', '--plan', 'gold'])).toEqual({ code: 2, ajv: false, commander: true });
    expect(probe(['get-tenant'])).toEqual({ code: 2, ajv: false, commander: true });
    // Documents too: a plan file is checked against its schema before anything is read.
    const plan = path.join(tmpDir(), 'plan.json');
    fs.writeFileSync(plan, JSON.stringify({ limits: [{ tenant_id: 'nope', limit: 1 }] }));
    expect(probe(['set-device-limit', '-f', plan])).toEqual({ code: 2, ajv: false, commander: true });
  });

  it('help is answered without loading the parser', () => {
    expect(probe(['--help'])).toEqual({ code: 0, ajv: false, commander: false });
    expect(probe(['help', 'usage'])).toEqual({ code: 0, ajv: false, commander: false });
  });
});

describe('Ctrl-C at the password prompt', () => {
  it('exits 130, says so on one line, and writes nothing', async () => {
    // A pty (python's pty module): Ctrl-C is typed once the prompt is on the terminal, not after a guessed delay.
    const driver = [
      'import os, pty, sys',
      'pid, fd = pty.fork()',
      'if pid == 0: os.execvpe(sys.argv[1], sys.argv[1:], os.environ)',
      'seen = b""',
      'while b"assword" not in seen:',
      '    chunk = os.read(fd, 1024)',
      '    if not chunk: break',
      '    seen += chunk',
      'os.write(fd, b"\\x03")',
      'while True:',
      '    try: chunk = os.read(fd, 1024)',
      '    except OSError: break',
      '    if not chunk: break',
      '    seen += chunk',
      '_, status = os.waitpid(pid, 0)',
      'sys.stdout.write(seen.decode("utf8", "replace"))',
      'sys.exit(os.waitstatus_to_exitcode(status))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', driver, process.execPath, BIN, 'create-tenant', '--name', 'tty', '--admin-email', 'a@tty.example'], {
      env: cliEnv(dbs),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stdout).toMatch(/tenantadm: interrupted; nothing was written/);
    expect(r.status).toBe(130);
    expect((await run(dbs, ['list-tenants'])).stdout).toBe('[]\n');
  });
});
