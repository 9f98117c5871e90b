/**
 * The watches a rollback leaves on its plan's updates (src/journal/late-writes.ts), beyond the
 * explorer's fixed schedules (test/explorer/late-write-killed-at-commit.test.ts): a forward-only
 * change (a batch suspension, written in its roll-forward) drops the watches on what it writes,
 * as a plan's updates do; and no watch ever holds a secret. Ordered by kills at fixed points.
 */
import { ObjectId, type Document } from 'mongodb';
import { client, run, runJson } from '../support/harness';
import { commandTest } from '../support/command-test';
import { killedAt } from '../support/crash';
import { expectNoSecrets, oidc, saml, ssoHelpers } from '../support/sso';
import { watchable } from '../../src/journal/late-writes';

const ctx = commandTest();
const { file } = ssoHelpers(ctx);

const watches = async (): Promise<Document[]> => (await client()).db(ctx.dbs.tenantadm).collection('tenantadm_late_writes').find({}).toArray();
const statusOf = async (id: string) => (await (await client()).db(ctx.dbs.tenantadm).collection('tenants').findOne({ _id: new ObjectId(id) }))?.status;

describe('late-write watches', () => {
  it('a batch suspension drops the watch on the status it writes, so repair never reverts it', async () => {
    const id = (await runJson(ctx.dbs, ['create-tenant', '--name', 'trial'])).id;
    await runJson(ctx.dbs, ['update-tenant', '--tenant', id, '--trial', 'true', '--trial-expiration', '2020-01-01']);
    // A suspension killed at its commit point is rolled back, and leaves a watch on its write (active -> suspended).
    const killed = await run(ctx.dbs, ['update-tenant', '--tenant', id, '--status', 'suspended', '--yes'], { env: killedAt('commit') });
    expect(killed.signal).toBe('SIGKILL');
    expect((await runJson(ctx.dbs, ['repair'])).rolled_back).toHaveLength(1);
    expect(await statusOf(id)).toBe('active');
    expect((await watches()).map((w) => ({ command: w.command, after: w.write.after.set.status, before: w.write.before.set.status }))).toEqual([
      { command: 'update-tenant', after: 'suspended', before: 'active' },
    ]);

    // The trial sweep suspends it, in its roll-forward: the very value the watch waits for, committed.
    const swept = await run(ctx.dbs, ['maintenance', 'suspend-tenants-expired-trial', '--yes']);
    expect(swept.code).toBe(0);
    expect(await statusOf(id)).toBe('suspended');
    expect(await watches()).toEqual([]);
    expect(await runJson(ctx.dbs, ['repair'])).toEqual({ rolled_back: [], finalized: [], late_writes_undone: [], in_progress: [] });
    expect(await statusOf(id)).toBe('suspended');
  });

  it('keeps no secret: SSO settings replaced by a command killed before its commit get no watch', async () => {
    const id = (await runJson(ctx.dbs, ['create-tenant', '--name', 'sso'])).id;
    await runJson(ctx.dbs, ['set-sso', '--tenant', id, '-f', file(oidc())]);
    const killed = await run(ctx.dbs, ['set-sso', '--tenant', id, '-f', file(saml())], { env: killedAt('commit') });
    expect(killed.signal).toBe('SIGKILL');
    expect((await runJson(ctx.dbs, ['repair'])).rolled_back).toHaveLength(1);
    const left = await watches();
    expectNoSecrets(JSON.stringify(left));
    expect(left).toEqual([]);
  });

  it('watches plain values only: no field that may hold a secret, no sub-document', () => {
    const st = (set: Document, unset: string[] = []) => ({ set, unset });
    expect(watchable(st({ value: 10 }), st({ value: 20 }))).toBe(true);
    expect(watchable(st({ status: 'active', updated_at: new Date() }), st({ status: 'suspended', updated_at: new Date() }))).toBe(true);
    expect(watchable(st({ addons: [{ name: 'configure', enabled: true }] }), st({ addons: [] }))).toBe(true);
    expect(watchable(st({ parent_tenant_id: new ObjectId() }), st({}, ['parent_tenant_id']))).toBe(true);
    expect(watchable(st({ tenant_token: 'a' }), st({ tenant_token: 'b' }))).toBe(false);
    expect(watchable(st({ password: 'x' }), st({ password: 'y' }))).toBe(false);
    expect(watchable(st({}, ['client_secret']), st({ client_secret: 's' }))).toBe(false);
    expect(watchable(st({ settings: { issuer: 'i' } }), st({ settings: { issuer: 'j' } }))).toBe(false);
  });
});
