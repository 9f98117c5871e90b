/**
 * The tool's audit entries reach Mender's own audit log through Mender's workflows service
 * (server, worker and NATS built from the same source, at v4.1.3 and main): the workflow
 * `emit_auditlog`, whose test definition delivers to a local sink (Enterprise's forwards to the
 * auditlogs service). Each entry must arrive once, in Mender's shape, in the log of the tenant
 * whose admins would have made the change in Mender's UI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MENDER_VERSIONS, closeMenderClients, freshToolDatabases, mender, menderClient, menderEnv, unique } from '../../../test/support/mender';
import { run, passwordFile, tmpDir, closeClient, type Dbs } from '../../../test/support/harness';
import { killedAt } from '../../../test/support/crash';
import type { MenderVersion } from '../../../test/support/state';
import { freePort } from '../../../test/support/mender-setup';

interface Delivered {
  version: string;
  tenant_id: string;
  auditlog: {
    action: string;
    actor: { id: string; type: string; email?: string };
    object: { id: string; type: string; tenant?: { id: string; name: string }; user?: { email: string } };
    change: string;
    meta: Record<string, string[]>;
    time: string;
  };
}


afterAll(async () => {
  await closeMenderClients();
  await closeClient();
});

describe.each(MENDER_VERSIONS)("Mender %s's audit log, through its workflows service", (version: MenderVersion) => {
  let dbs: Dbs;
  const ACTOR = 'Ops.Lead@Example.com';
  /** `orchestrator`: the workflows service's address; null for none. */
  const env = (orchestrator: string | null) => ({
    ...menderEnv(version, dbs),
    TENANTADM_ACTOR: ACTOR,
    ...(orchestrator !== null ? { TENANTADM_ORCHESTRATOR_ADDR: orchestrator } : {}),
  });
  const tool = (args: string[], extra: NodeJS.ProcessEnv = {}, orchestrator: string | null = mender(version).workflows) =>
    run(dbs, args, { env: { ...env(orchestrator), ...extra } });
  const toolJson = async (args: string[], orchestrator: string | null = mender(version).workflows) => {
    const r = await tool(args, {}, orchestrator);
    if (r.code !== 0) throw new Error(`tenantadm ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  /** The tool's own committed entries, oldest first. */
  const ownEntries = async (): Promise<{ id: string; tenant_id: string; object: { type: string; tenant?: { parent?: string } } }[]> =>
    (await toolJson(['audit'], null)).reverse();
  /** What the sink received for these entry ids, polled until all of them arrived (the worker runs the jobs asynchronously). */
  const delivered = async (ids: string[], timeoutMs = 20_000): Promise<Delivered[]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const all = (await (await fetch(`${mender(version).auditSink}/entries?version=${encodeURIComponent(version)}`)).json()) as Delivered[];
      const ours = all.filter((e) => ids.includes(e.auditlog.meta?.tenantadm_entry_id?.[0] ?? ''));
      if (ids.every((id) => ours.some((e) => e.auditlog.meta.tenantadm_entry_id![0] === id)) || Date.now() > deadline) return ours;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  freshToolDatabases(version, (d) => {

    dbs = d;

  });

  test("every change lands once, in Mender's shape, in the log of the tenant whose admins would have made it", async () => {
    const pw = passwordFile(tmpDir());
    const sp = await toolJson(['create-tenant', '--name', unique('Globex'), '--device-limit', '100', '--admin-email', `${unique('ops')}@globex.example`, '--password-file', pw]);
    await toolJson(['update-tenant', '--tenant', sp.id, '--service-provider']);
    // A child needs a user (Mender Enterprise 4.x): its admin's creation is the child's own log's.
    const childAdmin = `${unique('admin')}@paris.example`;
    const child = await toolJson(['create-tenant', '--name', unique('Globex Paris'), '--parent', sp.id, '--device-limit', '30', '--admin-email', childAdmin, '--password-file', pw]);
    await toolJson(['set-device-limit', '--tenant', child.id, '--device-limit', '40']);
    const email = `${unique('tech')}@paris.example`;
    await toolJson(['create-user', '--tenant', child.id, '--email', email, '--password-file', pw]);
    // SSO settings of the child, a user removed from it, the SP's plan reaching the child, its suspension and removal.
    const sso = path.join(tmpDir(), 'sso.json');
    fs.writeFileSync(sso, JSON.stringify({ type: 'oidc', issuer: 'https://id.example', client_id: 'mender', client_secret: 's3cret' }));
    await toolJson(['set-sso', '--tenant', child.id, '-f', sso]);
    await toolJson(['delete-user', '--tenant', child.id, '--email', email, '--yes']);
    await toolJson(['update-tenant', '--tenant', sp.id, '--plan', 'professional']);
    const leaving = await toolJson(['create-tenant', '--name', unique('Globex Oslo'), '--parent', sp.id, '--device-limit', '5', '--admin-email', `${unique('oslo')}@oslo.example`, '--password-file', pw]);
    await toolJson(['update-tenant', '--tenant', leaving.id, '--status', 'suspended', '--yes']);
    await toolJson(['delete-tenant', '--tenant', leaving.id, '--yes']);
    const standalone = await toolJson(['create-tenant', '--name', unique('Initech')]);
    await toolJson(['update-tenant', '--tenant', standalone.id, '--plan', 'professional']);
    // A standalone tenant's removal belongs to no tenant's log in Mender: it stays in the tool's log (skipped).
    const gone = await toolJson(['create-tenant', '--name', unique('Hooli')]);
    await toolJson(['update-tenant', '--tenant', gone.id, '--status', 'suspended', '--yes']);
    await toolJson(['delete-tenant', '--tenant', gone.id, '--yes']);

    const all = await ownEntries();
    const skipped = all.filter((e) => e.tenant_id === '');
    expect(skipped.map((e) => e.object.type)).toEqual(['tenant']);
    const own = all.filter((e) => e.tenant_id !== '');
    // A removed tenant's own log goes with it (its create and suspension entries were delivered before).
    expect(own.length).toBeGreaterThanOrEqual(12);
    const arrived = await delivered(own.map((e) => e.id));
    // Once each: the worker ran one job per entry.
    expect(arrived.map((e) => e.auditlog.meta.tenantadm_entry_id![0]).sort()).toEqual(own.map((e) => e.id).sort());

    const byId = new Map(arrived.map((e) => [e.auditlog.meta.tenantadm_entry_id![0], e]));
    for (const e of own) {
      const d = byId.get(e.id)!;
      // A Service Provider's changes to a child tenant go to the SP's log; a change to a child's users to the child's.
      const expected = e.object.type === 'tenant' && [child.id, leaving.id].includes(e.tenant_id) ? sp.id : e.tenant_id;
      expect({ entry: e.id, log: d.tenant_id }).toEqual({ entry: e.id, log: expected });
      expect(d.auditlog).toEqual({
        action: expect.stringMatching(/^(create|update|delete|password_change|auth_method_change)$/),
        actor: { id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/), type: 'user', email: ACTOR.toLowerCase() },
        object: expect.objectContaining({ id: expect.any(String), type: e.object.type }),
        change: expect.any(String),
        meta: expect.objectContaining({ tenantadm_entry_id: [e.id] }),
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    }
    // The same operator has the same id in every entry.
    expect(new Set(arrived.map((e) => e.auditlog.actor.id)).size).toBe(1);
    // Mender's UI titles a tenant entry by object.tenant.name and a user entry by object.user.email.
    const userEntry = arrived.find((e) => e.auditlog.object.user?.email === email)!;
    expect(userEntry).toMatchObject({ tenant_id: child.id, auditlog: { action: 'create', object: { user: { email } } } });
    const childLimit = arrived.find((e) => e.auditlog.object.id === child.id && e.auditlog.change.startsWith('max_devices'))!;
    expect(childLimit).toMatchObject({ tenant_id: sp.id, auditlog: { object: { type: 'tenant', tenant: { name: child.name } } } });
    expect(arrived.filter((e) => e.tenant_id === standalone.id)).toHaveLength(2);
    // The child's SSO change and its following the SP's plan are the SP's; the removed user, the child's.
    expect(arrived.find((e) => e.auditlog.object.id === child.id && /SSO/.test(e.auditlog.change))).toMatchObject({ tenant_id: sp.id });
    expect(arrived.find((e) => e.auditlog.object.id === child.id && /follows its Service Provider/.test(e.auditlog.change))).toMatchObject({ tenant_id: sp.id });
    expect(arrived.find((e) => e.auditlog.action === 'delete' && e.auditlog.object.user?.email === email)).toMatchObject({ tenant_id: child.id });
    expect(arrived.find((e) => e.auditlog.action === 'delete' && e.auditlog.object.id === leaving.id)).toMatchObject({ tenant_id: sp.id });
    // Nothing of the standalone removal reached Mender, and forward has nothing left to send.
    expect(await toolJson(['audit', 'forward', '--dry-run'])).toEqual({ sent: 0, skipped: 0, waiting: 0 });
  });

  test('a run killed between its commit and the delivery delivers when it is settled', async () => {
    const r = await tool(['create-tenant', '--name', unique('killed')], killedAt('finalize:0'));
    expect(r.signal).toBe('SIGKILL');
    expect(await ownEntries()).toEqual([]);
    const repair = await tool(['repair']);
    expect(repair.code).toBe(0);
    const own = await ownEntries();
    expect(own).toHaveLength(1);
    const arrived = await delivered(own.map((e) => e.id));
    expect(arrived.map((e) => e.tenant_id)).toEqual([own[0]!.tenant_id]);
    // Settled once, delivered once: a second repair finds nothing left to send.
    expect((await tool(['repair'])).code).toBe(0);
    expect(await toolJson(['audit', 'forward', '--dry-run'])).toEqual({ sent: 0, skipped: 0, waiting: 0 });
  });

  test('after an outage the change stands with exit 8, and audit forward sends exactly what is missing, once', async () => {
    const before = (await ownEntries()).length;
    // No address: the tool's log only, said once on stderr.
    const local = await tool(['create-tenant', '--name', unique('quiet')], {}, null);
    expect(local.code).toBe(0);
    expect(local.stderr).toBe(
      "tenantadm: warning: TENANTADM_ORCHESTRATOR_ADDR is not set: audit entries go to the tool's own log only, not to Mender's (set it, then `tenantadm audit forward` sends what is missing)\n",
    );
    const quiet = JSON.parse(local.stdout);
    // The workflows service down: the change is committed, its data printed, exit 8.
    const down = `http://127.0.0.1:${await freePort()}`;
    const outage = await tool(['update-tenant', '--tenant', quiet.id, '--plan', 'professional'], {}, down);
    expect(outage.code).toBe(8);
    expect(JSON.parse(outage.stdout)).toMatchObject({ id: quiet.id, plan: 'professional' });
    expect(outage.stderr).toMatch(/^tenantadm: the change is committed, but 1 audit entry did not reach Mender's audit log: cannot reach the workflows service at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED \(they are kept in the tool's log; run `tenantadm audit forward` once the workflows service answers\)\n$/);
    expect((await toolJson(['get-tenant', '--tenant', quiet.id], null)).plan).toBe('professional');

    const own = await ownEntries();
    expect(own).toHaveLength(before + 2);
    expect(await toolJson(['audit', 'forward', '--dry-run'], null)).toEqual({ sent: 0, skipped: 0, waiting: 2 });
    expect(await toolJson(['audit', 'forward'])).toEqual({ sent: 2, skipped: 0, waiting: 0 });
    const arrived = await delivered(own.slice(-2).map((e) => e.id));
    // The worker may run queued jobs in any order; what forward controls is the order it queues them.
    expect(arrived.map((e) => [e.tenant_id, e.auditlog.action]).sort()).toEqual([
      [quiet.id, 'create'],
      [quiet.id, 'update'],
    ]);
    const c = await menderClient(version);
    const records = await c.db(dbs.audit).collection('tenantadm_audit_delivery').find({}).toArray();
    const jobOf = new Map(records.map((r) => [String(r._id), String(r.job)]));
    const jobs = own.slice(-2).map((e) => jobOf.get(e.id)!);
    // Job ids are ObjectIds the workflows service makes as it queues: oldest entry first.
    expect(jobs).toEqual([...jobs].sort());
    // Idempotent: nothing is sent twice.
    expect(await toolJson(['audit', 'forward'])).toEqual({ sent: 0, skipped: 0, waiting: 0 });
    const again = await delivered(own.slice(-2).map((e) => e.id));
    expect(again).toHaveLength(2);

    // Without the address there is nowhere to send to: exit 2, nothing sent.
    const noAddress = await tool(['audit', 'forward'], {}, null);
    expect({ code: noAddress.code, stdout: noAddress.stdout }).toEqual({ code: 2, stdout: '' });
  });
});
