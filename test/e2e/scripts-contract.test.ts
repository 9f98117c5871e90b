/** Whole-tool: the contract for scripts that every command keeps (unreachable server, credentials in URLs, JSON errors, help and version across commands). */
import fs from 'node:fs';
import { run, type Dbs, withFreshDatabases } from '../support/harness';

let dbs: Dbs;
withFreshDatabases((d) => (dbs = d));

describe('the contract for scripts', () => {
  it('exits 6 with one line within the timeout when the server is unreachable', async () => {
    const started = Date.now();
    const r = await run(dbs, ['list-tenants', '--timeout', '700'], { env: { TENANTADM_MONGO: 'mongodb://127.0.0.1:1/' } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:1/);
  });

  it('never prints credentials from the MongoDB URL', async () => {
    const r = await run(dbs, ['list-tenants', '--timeout', '500'], { env: { TENANTADM_MONGO: 'mongodb://admin:hunter2@127.0.0.1:1/' } });
    expect(r.code).toBe(6);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('prints errors as JSON with --error-format json', async () => {
    const r = await run(dbs, ['get-tenant', '--tenant', '0123456789abcdef01234567', '--error-format', 'json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stderr)).toEqual({ error: expect.objectContaining({ code: 'not_found', message: expect.any(String) }) });
    const u = await run(dbs, ['nope'], { env: { TENANTADM_ERROR_FORMAT: 'json' } });
    expect(u.code).toBe(2);
    expect(JSON.parse(u.stderr).error.code).toBe('usage');
  });

  it('prints help with examples and the version on stdout, exit 0', async () => {
    const h = await run(dbs, ['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Exit codes/);
    for (const cmd of ['list-tenants', 'get-tenant', 'create-tenant', 'update-tenant', 'migrate', 'repair']) {
      const c = await run(dbs, [cmd, '--help']);
      expect(c.code).toBe(0);
      expect(c.stdout).toMatch(/Examples:\n {2}\$ tenantadm/);
    }
    const v = await run(dbs, ['--version']);
    expect(v.stdout.trim()).toBe(JSON.parse(fs.readFileSync(`${__dirname}/../../package.json`, 'utf8')).version);
  });
});

describe('help for the user, SSO and storage commands', () => {
  it('prints examples for each of them', async () => {
    for (const cmd of ['create-user', 'list-users', 'get-user', 'delete-user', 'set-sso', 'get-sso', 'set-storage']) {
      const c = await run(dbs, [cmd, '--help']);
      expect(c.code).toBe(0);
      expect(c.stdout).toMatch(/Examples:\n {2}\$ tenantadm/);
    }
  });
});
