/**
 * delete-tenant --cascade against a change of the Service Provider's children while its
 * confirmation is on screen (issue 18, finding 3): under the locks, after the prompt, the
 * children must be exactly those confirmed, each still under this Service Provider; otherwise
 * it refuses (exit 4) with nothing removed. The rival runs at the prompt, never after a sleep.
 */
import { ObjectId } from 'mongodb';
import { client, run, runJson } from '../../../test/support/harness';
import { removalHelpers, yes } from '../../../test/support/removal';
import { commandTest } from '../../../test/support/command-test';

// Every removal scans the whole server: on a server of the file's own.
const ctx = commandTest({ ownServer: true });
const { leftAnywhere } = removalHelpers(ctx);
jest.setTimeout(180_000);

/** A suspended Service Provider with two suspended children. */
async function family(): Promise<{ sp: string; kids: string[] }> {
  const sp = (await runJson(ctx.dbs, ['create-tenant', '--name', 'sp', '--device-limit', '10'])).id;
  await runJson(ctx.dbs, ['update-tenant', '--tenant', sp, '--service-provider']);
  const kids: string[] = [];
  for (const name of ['k1', 'k2']) kids.push((await ctx.child(name, sp, ['--device-limit', '2'])).id);
  for (const id of [...kids, sp]) await runJson(ctx.dbs, yes(['update-tenant', '--tenant', id, '--status', 'suspended']));
  return { sp, kids };
}

async function exists(id: string): Promise<boolean> {
  return (await (await client()).db(ctx.dbs.tenantadm).collection('tenants').countDocuments({ _id: new ObjectId(id) })) === 1;
}

describe('delete-tenant --cascade re-checks the children under its locks, after the prompt', () => {
  it('refuses (exit 4, nothing removed) when a confirmed child was detached at the prompt', async () => {
    const { sp, kids } = await family();
    const r = await run(ctx.dbs, ['delete-tenant', '--tenant', sp, '--cascade'], {
      atPrompt: async () => {
        await runJson(ctx.dbs, ['update-tenant', '--tenant', kids[0]!, '--no-parent']);
        return 'sp';
      },
    });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`tenant ${kids[0]} moved from Service Provider ${sp} to none while this command ran`);
    for (const id of [sp, ...kids]) expect(await exists(id)).toBe(true);
    expect(Object.keys(await leftAnywhere(kids[0]!))).toContain(`${ctx.dbs.tenantadm}.tenants`);
  });

  it('refuses (exit 4, nothing removed) when a child was attached at the prompt, rather than remove a tenant nobody confirmed', async () => {
    const { sp, kids } = await family();
    const newcomer = new ObjectId();
    const r = await run(ctx.dbs, ['delete-tenant', '--tenant', sp, '--cascade'], {
      atPrompt: async () => {
        // Attached outside the tool (its rules refuse a suspended SP a new child).
        await (await client()).db(ctx.dbs.tenantadm).collection('tenants').insertOne({ _id: newcomer, name: 'newcomer', status: 'suspended', parent_tenant_id: sp });
        return 'sp';
      },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`Service Provider ${sp} got child tenant ${newcomer.toHexString()} while this command ran`);
    for (const id of [sp, ...kids, newcomer.toHexString()]) expect(await exists(id)).toBe(true);
  });

  it('removes exactly the confirmed family when nothing changed at the prompt', async () => {
    const { sp, kids } = await family();
    const r = await run(ctx.dbs, ['delete-tenant', '--tenant', sp, '--cascade'], { atPrompt: async () => 'sp' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).removed.tenants.map((t: any) => t.id)).toEqual([...kids, sp]);
    for (const id of [sp, ...kids]) expect(await leftAnywhere(id)).toEqual({});
  });
});
