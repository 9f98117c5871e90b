/**
 * diff against a fleet one of whose tenants an operation is still writing (issue #18): the
 * changes it would list are computed against a half-made state, which a script would act on;
 * it exits 4 naming the operation instead (docs/fleet.md). The owner is simulated by its
 * records (test/support/pending-owner.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { run } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';
import { fakeRemoteOwner } from '../../../test/support/pending-owner';

const ctx = commandTest();

describe('diff meeting an operation under way', () => {
  it('exits 4 naming the operation, since when and when it can be settled; exit 0 when nothing is pending', async () => {
    const t = await ctx.create('midway');
    const exported = await run(ctx.dbs, ['export']);
    expect(exported.code).toBe(0);
    const file = path.join(ctx.dir, 'fleet-pending.yaml');
    fs.writeFileSync(file, exported.stdout);
    const clean = await run(ctx.dbs, ['diff', '-f', file]);
    expect(clean.code).toBe(0);
    expect(clean.stderr).toBe('');

    const { op, since, leaseUntil } = await fakeRemoteOwner(ctx.dbs, t.id, { op: 'remote-diff-op', command: 'update-tenant' });
    const r = await run(ctx.dbs, ['diff', '-f', file]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`tenant "midway" (id ${t.id}) is being changed by operation ${op} (update-tenant, pid 4242 on elsewhere) since ${since.toISOString()}`);
    expect(r.stderr).toContain(`settled from ${leaseUntil.toISOString()}`);

    const json = await run(ctx.dbs, ['diff', '-f', file, '--error-format', 'json']);
    expect(json.code).toBe(4);
    const error = JSON.parse(json.stderr.trim().split('\n').pop()!);
    expect(error.error.details.operations[0]).toMatchObject({ id: op, command: 'update-tenant', tenants: [t.id], settle_after: leaseUntil.toISOString(), owner_gone: false });
  });
});
