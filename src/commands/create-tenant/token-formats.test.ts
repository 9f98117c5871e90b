/**
 * Tenant token formats (Mender Server Enterprise 4.0.0: opaque tokens, no signing key): the
 * format detected both ways, forced by flag and variable, mixed stored formats, a given token
 * imported (MEN-7901) and unique, rotation following the format, and tokens kept out of
 * stderr, the audit log and the lock table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { createHash } from 'node:crypto';
import { client, run, runJson, runPaused, waitedForLock } from '../../../test/support/harness';
import { verifyToken } from '../../../test/support/tenant-token';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

const OPAQUE = /^[A-Za-z0-9_-]{43}$/;
const NO_KEY = { TENANTADM_SERVER_PRIV_KEY_PATH: '' };
/** A 4.x token as Mender's UI fixtures hold them (TenantList.test.tsx). */
const GIVEN = 'mQDYRCr-tGbDuJhPp7fArbfTA5htVTWE9G204AzhDUM';

async function storedToken(id: string): Promise<string> {
  return String((await (await client()).db(ctx.dbs.tenantadm).collection('tenants').findOne({ _id: new ObjectId(id) }))?.tenant_token);
}

function tokenFile(token: string): string {
  const f = path.join(ctx.dir, `token-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(f, `${token}\n`, { mode: 0o600 });
  return f;
}

async function everythingWritten(): Promise<string> {
  const c = await client();
  const parts: unknown[] = [];
  for (const db of [ctx.dbs.audit, ctx.dbs.tenantadm]) {
    for (const coll of await c.db(db).listCollections().toArray()) {
      if (coll.name === 'tenants') continue;
      parts.push(await c.db(db).collection(coll.name).find({}).toArray());
    }
  }
  return JSON.stringify(parts);
}

describe('the format of new tokens', () => {
  it('is jwt on an empty database when a signing key is configured', async () => {
    const t = await ctx.create('signed');
    verifyToken(t.tenant_token, t.id);
  });

  it('is opaque on an empty database without a key, and stays opaque once opaque tokens are stored, key or not', async () => {
    const a = await ctx.create('first', [], NO_KEY);
    expect(a.tenant_token).toMatch(OPAQUE);
    const b = await ctx.create('second');
    expect(b.tenant_token).toMatch(OPAQUE);
    expect(b.tenant_token).not.toBe(a.tenant_token);
  });

  it('is opaque when the key variable names a file that is not there (the container image sets the variable; a 4.x deployment mounts no key)', async () => {
    const env = { TENANTADM_SERVER_PRIV_KEY_PATH: path.join(ctx.dir, 'not-mounted.pem') };
    expect((await ctx.create('in-a-container', [], env)).tenant_token).toMatch(OPAQUE);
    expect(JSON.parse((await run(ctx.dbs, ['doctor'], { env })).stdout).tokens).toMatchObject({ format: 'opaque', source: 'stored' });
  });

  it('is jwt when JWTs are stored: without the key that is exit 2, nothing written', async () => {
    await ctx.create('old');
    const err = await ctx.expectFailsCleanly(['create-tenant', '--name', 'new'], 2, { env: NO_KEY });
    expect(err).toMatch(/no private key/);
  });

  it('is forced by --token-format and by TENANTADM_TOKEN_FORMAT, over what is stored; a bad value is exit 2', async () => {
    await ctx.create('old');
    expect((await ctx.create('by-flag', ['--token-format', 'opaque'])).tenant_token).toMatch(OPAQUE);
    expect((await ctx.create('by-env', [], { TENANTADM_TOKEN_FORMAT: 'opaque' })).tenant_token).toMatch(OPAQUE);
    const jwt = await ctx.create('flag-wins', ['--token-format', 'jwt'], { TENANTADM_TOKEN_FORMAT: 'opaque' });
    verifyToken(jwt.tenant_token, jwt.id);
    await ctx.expectFailsCleanly(['create-tenant', '--name', 'x', '--token-format', 'paseto'], 2);
    await ctx.expectFailsCleanly(['create-tenant', '--name', 'x'], 2, { env: { TENANTADM_TOKEN_FORMAT: 'pasteo' } });
  });

  it("with mixed stored formats takes the newest tenant's, warning once (not with -q)", async () => {
    await ctx.create('jwt-1');
    await ctx.create('opaque-1', ['--token-format', 'opaque']);
    const r = await run(ctx.dbs, ['create-tenant', '--name', 'next']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).tenant_token).toMatch(OPAQUE);
    expect(r.stderr.match(/warning: the stored tenant tokens are mixed \(1 jwt, 1 opaque\): new tokens are opaque/g)).toHaveLength(1);
    const quiet = await run(ctx.dbs, ['create-tenant', '--name', 'quiet', '-q']);
    expect({ code: quiet.code, stderr: quiet.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('doctor prints the format, where it came from, and the stored tokens per format', async () => {
    const empty = JSON.parse((await run(ctx.dbs, ['doctor'])).stdout);
    expect(empty.tokens).toEqual({ format: 'jwt', source: 'signing key configured', stored: { jwt: 0, opaque: 0 } });
    expect(JSON.parse((await run(ctx.dbs, ['doctor'], { env: NO_KEY })).stdout).tokens).toMatchObject({ format: 'opaque', source: 'no signing key' });
    await ctx.create('a');
    await ctx.create('b');
    expect(JSON.parse((await run(ctx.dbs, ['doctor'])).stdout).tokens).toEqual({ format: 'jwt', source: 'stored', stored: { jwt: 2, opaque: 0 } });
    await ctx.create('c', ['--token-format', 'opaque']);
    expect(JSON.parse((await run(ctx.dbs, ['doctor', '-q'])).stdout).tokens).toEqual({ format: 'opaque', source: 'stored (mixed: newest tenant)', stored: { jwt: 2, opaque: 1 } });
    expect(JSON.parse((await run(ctx.dbs, ['doctor', '--token-format', 'jwt'])).stdout).tokens).toEqual({ format: 'jwt', source: 'flag', stored: { jwt: 2, opaque: 1 } });
    expect(JSON.parse((await run(ctx.dbs, ['doctor'], { env: { TENANTADM_TOKEN_FORMAT: 'jwt' } })).stdout).tokens).toMatchObject({ source: 'environment' });
    // JWTs asked for without a key: a problem (exit 5) naming both ways out.
    const keyless = await run(ctx.dbs, ['doctor', '--token-format', 'jwt'], { env: NO_KEY });
    expect(keyless.code).toBe(5);
    expect(JSON.parse(keyless.stdout).problems).toEqual([expect.stringMatching(/^new tenant tokens are jwt \(flag\) but no signing key is configured: set TENANTADM_SERVER_PRIV_KEY_PATH/)]);
  });
});

describe('a given token (create-org --tenant-token, MEN-7901)', () => {
  it('is stored as given from --tenant-token-file or stdin, never on stderr, in the audit log or the lock table', async () => {
    const r = await run(ctx.dbs, ['create-tenant', '--name', 'moved', '--tenant-token-file', tokenFile(GIVEN)]);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.tenant_token).toBe(GIVEN);
    expect(await storedToken(t.id)).toBe(GIVEN);
    expect(r.stderr).not.toContain(GIVEN);
    const jwtLike = `${'eyJhbGciOiJSUzI1NiJ9'}.${'eyJzdWIiOiJ4In0'}.c2lnbmF0dXJl`;
    const piped = await runJson(ctx.dbs, ['create-tenant', '--name', 'piped', '--tenant-token-file', '-'], { input: `${jwtLike}\n` });
    expect(await storedToken(piped.id)).toBe(jwtLike);
    const written = await everythingWritten();
    expect(written).not.toContain(GIVEN);
    expect(written).not.toContain(jwtLike);
    expect((await ctx.auditOf(t.id))[0].change).toMatch(/tenant token given$/);
  });

  it("create-org's --tenant-token on argv is accepted with a warning that does not show it", async () => {
    const r = await run(ctx.dbs, ['create-org', '--name', 'legacy', '--tenant-token', GIVEN]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: --tenant-token puts the token in the process list/);
    expect(r.stderr).not.toContain(GIVEN);
    expect(await storedToken(r.stdout.trim())).toBe(GIVEN);
  });

  it('held by another tenant is exit 4 naming that tenant, nothing written, the token not shown', async () => {
    const first = await ctx.create('holder', ['--tenant-token-file', tokenFile(GIVEN)]);
    const err = await ctx.expectFailsCleanly(['create-tenant', '--name', 'second', '--tenant-token-file', tokenFile(GIVEN)], 4);
    expect(err).toContain(`another tenant (id ${first.id}, "holder") holds the given tenant token`);
    expect(err).not.toContain(GIVEN);
    // A generated token is never another's either.
    const other = await ctx.create('generated');
    expect(other.tenant_token).not.toBe(GIVEN);
  });

  it("is decided under a lock named by the token's SHA-256, never the token: two creates racing for one token, one wins, the other exit 4", async () => {
    const holder = runPaused(ctx.dbs, ['create-tenant', '--name', 'first', '--tenant-token-file', tokenFile(GIVEN)], 1000);
    await holder.paused;
    const locks = await (await client()).db(ctx.dbs.tenantadm).collection('tenantadm_locks').find({}).toArray();
    expect(locks.map((l) => String(l._id))).toContain(`tenant-token:${createHash('sha256').update(GIVEN).digest('hex')}`);
    expect(JSON.stringify(locks)).not.toContain(GIVEN);
    const rival = await run(ctx.dbs, ['create-tenant', '--name', 'second', '--tenant-token-file', tokenFile(GIVEN)]);
    const first = await holder.done;
    expect(waitedForLock(rival)).toBe(true);
    expect([first.code, rival.code]).toEqual([0, 4]);
    expect(rival.stderr).not.toContain(GIVEN);
    expect(await (await client()).db(ctx.dbs.tenantadm).collection('tenants').countDocuments({ tenant_token: GIVEN })).toBe(1);
  });

  it('is validated: printable, of a sane length (exit 2, nothing written)', async () => {
    for (const bad of ['short', 'with a space in the middle of it', `${'x'.repeat(2049)}`, 'tab\there-and-some-more-text']) {
      const err = await ctx.expectFailsCleanly(['create-tenant', '--name', 'bad', '--tenant-token-file', tokenFile(bad)], 2);
      expect(err).not.toContain(bad);
    }
    await ctx.expectFailsCleanly(['create-tenant', '--name', 'bad', '--tenant-token-file', tokenFile(GIVEN), '--tenant-token', GIVEN], 2);
  });

  it('--if-not-exists with another token names the difference without showing either', async () => {
    await ctx.create('same', ['--tenant-token-file', tokenFile(GIVEN)]);
    expect((await ctx.create('same', ['--tenant-token-file', tokenFile(GIVEN), '--if-not-exists'])).tenant_token).toBe(GIVEN);
    const other = 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz';
    const err = await ctx.expectFailsCleanly(['create-tenant', '--name', 'same', '--tenant-token-file', tokenFile(other), '--if-not-exists'], 4);
    expect(err).toMatch(/tenant token: another one/);
    expect(err).not.toContain(GIVEN);
    expect(err).not.toContain(other);
  });
});

describe('--rotate-token follows the format', () => {
  it('opaque tokens rotate to opaque without a key; JWTs to JWTs', async () => {
    const o = await ctx.create('o', [], NO_KEY);
    const rotated = await runJson(ctx.dbs, ['update-tenant', '--tenant', o.id, '--rotate-token', '--yes'], { env: NO_KEY });
    expect(rotated.tenant_token).toMatch(OPAQUE);
    expect(rotated.tenant_token).not.toBe(o.tenant_token);
    expect((await ctx.auditOf(o.id)).pop().change).toBe('tenant token rotated');
    const j = await ctx.create('j', ['--token-format', 'jwt']);
    const again = await runJson(ctx.dbs, ['update-tenant', '--tenant', j.id, '--rotate-token', '--yes', '--token-format', 'jwt']);
    verifyToken(again.tenant_token, j.id);
  });
});

describe('the audit log takes any tenant name (issue #18, finding 9)', () => {
  it('a tenant named like a JWT is created, changed and audited (no pattern filter refuses it)', async () => {
    const name = 'eyJhbGciOiJSUzI1NiJ9.eyJtZW5kZXIudGVuYW50IjoiNjcifQ.c2ln';
    const t = await ctx.create(name);
    const u = await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--plan', 'os']);
    expect(u.plan).toBe('os');
    expect((await ctx.auditOf(t.id)).map((e) => e.object.tenant.name)).toEqual([name, name]);
  });
});
