/** Hints that work: each next step the tool gives is run here as given, and does what it says. */
import { ObjectId } from 'mongodb';
import { LOCAL_AUDIT_NOTICE, client, passwordFile, run, runJson } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';

// check scans the whole server: a server of its own, so other files' databases are not found.
const ctx = commandTest({ ownServer: true });

/** The tenantadm command a hint names (from `tenantadm` to the end of the line, or to a comma). */
function commandIn(hint: string): string[] {
  const m = /tenantadm ([^,;)]+)/.exec(hint);
  if (!m) throw new Error(`no command in hint: ${hint}`);
  return m[1]!.trim().split(/\s+/);
}

describe('hints that work', () => {
  it('a child under a child is pointed to its Service Provider, not told to promote its parent', async () => {
    const sp = await ctx.sp('Provider', '100');
    const child = await ctx.child('Child', sp.id, ['--device-limit', '5']);
    const r = await run(ctx.dbs, ['create-tenant', '--name', 'Grandchild', '--parent', child.id, '--device-limit', '1', ...ctx.childUser('Grandchild')]);
    expect(r.code).toBe(5);
    expect(r.stderr).not.toContain('--service-provider');
    expect(r.stderr).toContain(`use --parent ${sp.id}`);
    const again = await ctx.child('Grandchild', sp.id, ['--device-limit', '1']);
    expect(again.parent_tenant_id).toBe(sp.id);
  });

  it("doctor's empty migration_info names the next step, and taking it works", async () => {
    await (await client()).db(ctx.dbs.deviceauth).collection('migration_info').deleteMany({});
    const r = await run(ctx.dbs, ['doctor']);
    expect(r.code).toBe(5);
    const problem = (JSON.parse(r.stdout).problems as string[]).find((p) => p.includes('migration_info is empty'))!;
    expect(problem).toContain('give --mender-schema legacy|v2');
    const fixed = await run(ctx.dbs, ['doctor', '--mender-schema', 'v2']);
    expect(fixed.code).toBe(0);
  });

  it("check's findings that need a person say what to run, and running it clears them", async () => {
    const plain = await ctx.create('Plain');
    const tenants = (await client()).db(ctx.dbs.tenantadm).collection('tenants');
    const underPlain = (await tenants.insertOne({ name: 'UnderPlain', status: 'active', addons: [], parent_tenant_id: plain.id })).insertedId.toHexString();
    const r = await run(ctx.dbs, ['check']);
    expect(r.code).toBe(5);
    const finding = JSON.parse(r.stdout).findings.find((f: { kind: string }) => f.kind === 'child_parent_not_sp');
    expect(finding.next_step).toBe(`detach the child: tenantadm update-tenant --tenant ${underPlain} --no-parent`);
    const table = await run(ctx.dbs, ['check', '-o', 'table']);
    expect(table.stdout).toContain('NEXT STEP');
    expect((await run(ctx.dbs, commandIn(finding.next_step))).code).toBe(0);
    expect((await run(ctx.dbs, ['check'])).code).toBe(0);

    await tenants.insertOne({ _id: new ObjectId(), name: 'Orphan', status: 'active', addons: [], parent_tenant_id: '0123456789abcdef01234567' });
    const missing = JSON.parse((await run(ctx.dbs, ['check'])).stdout).findings.find((f: { kind: string }) => f.kind === 'child_parent_missing');
    const step = await run(ctx.dbs, commandIn(missing.next_step));
    expect({ code: step.code, stderr: step.stderr }).toEqual({ code: 0, stderr: LOCAL_AUDIT_NOTICE });
    expect((await run(ctx.dbs, ['check'])).code).toBe(0);
  });

  it('warnings are said once a run, silenced by -q, and listed by doctor', async () => {
    const t = await ctx.create('Warned');
    const pw = ['--password-file', passwordFile(ctx.dir)];
    const loud = await run(ctx.dbs, ['create-user', '--tenant', t.id, '--email', 'a@warned.example', ...pw]);
    expect(loud.code).toBe(0);
    expect(loud.stderr.match(/TENANTADM_USERADM_ADDR is not set/g)).toHaveLength(1);
    const quiet = await run(ctx.dbs, ['create-user', '--tenant', t.id, '--email', 'b@warned.example', '-q', ...pw]);
    expect({ code: quiet.code, stderr: quiet.stderr }).toEqual({ code: 0, stderr: '' });
    const doctor = JSON.parse((await run(ctx.dbs, ['doctor'])).stdout);
    expect(doctor.warnings).toContainEqual(expect.stringMatching(/^TENANTADM_USERADM_ADDR is not set/));
  });

  it('what a removal leaves in object storage is said on stderr, not only in the JSON', async () => {
    const t = await ctx.create('Leaving');
    await runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--status', 'suspended', '--yes']);
    const r = await run(ctx.dbs, ['delete-tenant', '--tenant', t.id, '--yes']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).left_for_operator).toEqual([{ id: t.id, shared_store_prefix: `${t.id}/` }]);
    expect(r.stderr).toContain(`artifacts stay in object storage, which tenantadm holds no credentials for: delete prefix ${t.id}/ there`);
  });
});
