/**
 * Mender Enterprise 4.x's rules for creating a child of a Service Provider: it has at least one
 * user (MEN-8261), several users come with one password each, and its tier limits come out of
 * its SP's (MEN-8905/8906) as max_devices does.
 */
import { client, passwordFile, run, runJson } from '../../../test/support/harness';
import { storedLimit } from '../../../test/support/limits';
import { commandTest, PASSWORD } from '../../../test/support/command-test';

const ctx = commandTest();

describe('a child and its users (MEN-8261)', () => {
  it('a child without a user is exit 5, nothing written, naming --admin-email and --user', async () => {
    const p = await ctx.sp('sp', '10');
    const err = await ctx.expectFailsCleanly(['create-tenant', '--name', 'lonely', '--parent', p.id, '--device-limit', '1'], 5);
    expect(err).toMatch(/a child tenant needs at least one user/);
    expect(err).toMatch(/--admin-email EMAIL with --password-file FILE, or --user EMAIL\[:ROLE\]/);
    // The next step works.
    const kid = await runJson(ctx.dbs, ['create-tenant', '--name', 'lonely', '--parent', p.id, '--device-limit', '1', '--user', 'ops@lonely.example:observer', '--password-file', passwordFile(ctx.dir)]);
    const user = await ctx.storedUser('ops@lonely.example');
    expect(user).toMatchObject({ tenant_id: kid.id, roles: ['RBAC_ROLE_OBSERVER'] });
  });

  it('--if-not-exists finds an existing child without naming a user again', async () => {
    const p = await ctx.sp('sp', '10');
    const kid = await ctx.child('kid', p.id);
    const again = await run(ctx.dbs, ['create-tenant', '--name', 'kid', '--parent', p.id, '--if-not-exists', '--id-only']);
    expect({ code: again.code, out: again.stdout.trim() }).toEqual({ code: 0, out: kid.id });
    await ctx.expectFailsCleanly(['create-tenant', '--name', 'other', '--parent', p.id, '--if-not-exists'], 5);
  });

  it('creates several users, each with its own password; one without a source and no terminal is exit 2 naming it', async () => {
    const pw2 = 'Second-user-pw-2';
    const t = await runJson(ctx.dbs, [
      'create-tenant', '--name', 'team',
      '--admin-email', 'admin@team.example', '--password-file', passwordFile(ctx.dir),
      '--user', 'ops@team.example:observer', '--user-password-file', `ops@team.example=${passwordFile(ctx.dir, pw2)}`,
      '--user', 'ci@team.example:ci', '--user-password-file', `ci@team.example=${passwordFile(ctx.dir, PASSWORD)}`,
    ]);
    const users = await (await client()).db(ctx.dbs.useradm).collection('users').find({ tenant_id: t.id }).sort({ email: 1 }).toArray();
    expect(users.map((u) => [u.email, u.roles])).toEqual([
      ['admin@team.example', ['RBAC_ROLE_PERMIT_ALL']],
      ['ci@team.example', ['RBAC_ROLE_CI']],
      ['ops@team.example', ['RBAC_ROLE_OBSERVER']],
    ]);
    expect((await ctx.auditOf(t.id)).map((e) => e.change)).toEqual(
      expect.arrayContaining(['user ops@team.example created with role RBAC_ROLE_OBSERVER', 'initial admin admin@team.example created with role RBAC_ROLE_PERMIT_ALL']),
    );
    const err = await ctx.expectFailsCleanly(
      ['create-tenant', '--name', 'half', '--admin-email', 'a@half.example', '--password-file', passwordFile(ctx.dir), '--user', 'b@half.example'],
      2,
    );
    expect(err).toMatch(/no password for the user b@half.example.*--user-password-file b@half.example=FILE/);
    // Several --user without --admin-email: --password-file is nobody's in particular.
    await ctx.expectFailsCleanly(['create-tenant', '--name', 'half', '--user', 'a@half.example', '--user', 'b@half.example', '--password-file', passwordFile(ctx.dir)], 2);
    await ctx.expectFailsCleanly(['create-tenant', '--name', 'half', '--user', 'a@half.example', '--user', 'A@half.example'], 2);
    await ctx.expectFailsCleanly(['create-tenant', '--name', 'half', '--user', 'a@half.example', '--user-password-file', `x@half.example=${passwordFile(ctx.dir)}`], 2);
  });

  it("an email of another tenant's user cannot join the child: exit 4 naming that tenant", async () => {
    const p = await ctx.sp('sp', '10');
    const other = await ctx.create('other', ['--admin-email', 'taken@corp.example', '--password-file', passwordFile(ctx.dir)]);
    const err = await ctx.expectFailsCleanly(['create-tenant', '--name', 'kid', '--parent', p.id, '--user', 'Taken@corp.example', '--password-file', passwordFile(ctx.dir)], 4);
    expect(err).toContain(`already used by a user of tenant ${other.id}`);
  });
});

describe('tier limits at creation (MEN-8905/8906)', () => {
  it('are stored for a tenant without a parent', async () => {
    const t = await ctx.create('tiers', ['--device-limit', '10', '--micro-device-limit', '5', '--system-device-limit', 'unlimited']);
    expect(await storedLimit(ctx.dbs, t.id, 'max_micro_devices')).toBe(5);
    expect(await storedLimit(ctx.dbs, t.id, 'max_system_devices')).toBe(-1);
    expect((await ctx.auditOf(t.id))[0].change).toMatch(/device limit 10, max_micro_devices 5, max_system_devices unlimited/);
  });

  it("come out of a child's SP like max_devices: beyond the free capacity is exit 5, nothing written", async () => {
    const p = await ctx.sp('sp', '10');
    await runJson(ctx.dbs, ['set-device-limit', '--tenant', p.id, '--kind', 'max_micro_devices', '--device-limit', '8']);
    await ctx.child('a', p.id, ['--device-limit', '2', '--micro-device-limit', '5']);
    const err = await ctx.expectFailsCleanly(['create-tenant', '--name', 'b', '--parent', p.id, '--micro-device-limit', '4', ...ctx.childUser('b')], 5);
    expect(err).toMatch(/needs 4 max_micro_devices, but Service Provider .* has 3 free/);
    await ctx.expectFailsCleanly(['create-tenant', '--name', 'b', '--parent', p.id, '--micro-device-limit', 'unlimited', ...ctx.childUser('b')], 5);
    const b = await ctx.child('b', p.id, ['--micro-device-limit', '3', '--system-device-limit', '7']);
    expect(await storedLimit(ctx.dbs, b.id, 'max_micro_devices')).toBe(3);
    // The SP does not cap system devices: the child has what it asked.
    expect(await storedLimit(ctx.dbs, b.id, 'max_system_devices')).toBe(7);
    const [usage] = await runJson(ctx.dbs, ['usage', '--tenant', p.id]);
    expect(usage.free.max_micro_devices).toBe(0);
  });

  it('are checked as numbers (exit 2)', async () => {
    await ctx.expectFailsCleanly(['create-tenant', '--name', 'x', '--micro-device-limit', '-2'], 2);
    await ctx.expectFailsCleanly(['create-tenant', '--name', 'x', '--system-device-limit', 'lots'], 2);
    const r = await run(ctx.dbs, ['create-tenant', '--name', 'x', '--system-device-limit', '0']);
    expect(r.code).toBe(0);
  });
});
