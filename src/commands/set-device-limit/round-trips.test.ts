/**
 * How many database commands set-device-limit sends, counted by the driver's command monitoring
 * (TENANTADM_COUNT_COMMANDS): counts, not timings.
 */
import { client } from '../../../test/support/harness';
import { reads, roundTripHelpers } from '../../../test/support/round-trips';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { counted, seed, planFile } = roundTripHelpers(ctx);

describe('a reallocation plan reads in a constant number of queries', () => {
  it('4 entries and 60 entries over one SP read the same number of times, dry run and applied', async () => {
    const { children } = await seed(60);
    const small = await counted(['set-device-limit', '-f', planFile(children.slice(0, 4), 2), '--dry-run']);
    const large = await counted(['set-device-limit', '-f', planFile(children, 2), '--dry-run']);
    expect([small.code, large.code]).toEqual([0, 0]);
    expect(JSON.parse(large.stdout)).toHaveLength(60);
    expect(reads(large)).toBe(reads(small));

    const applySmall = await counted(['set-device-limit', '-f', planFile(children.slice(0, 4), 3)]);
    const applyLarge = await counted(['set-device-limit', '-f', planFile(children, 4)]);
    expect([applySmall.code, applyLarge.code]).toEqual([0, 0]);
    expect(reads(applyLarge)).toBe(reads(applySmall));
    // One lock for the SP, not one per child.
    expect(applyLarge.byName.insert! - applySmall.byName.insert!).toBeLessThan(56 * 2);
    // The audit entries are written committed after the commit, with no settle: only the limits' own batches grow
    // (50 updates a command); the ownership checks before each batch after the first are inserts (journal/ownership.ts).
    expect(applyLarge.byName.update! - applySmall.byName.update!).toBe(1);
  });

  it('lowering counts accepted devices in one aggregation, whatever the number of entries', async () => {
    const { children } = await seed(30);
    await counted(['set-device-limit', '-f', planFile(children, 5)]);
    const small = await counted(['set-device-limit', '-f', planFile(children.slice(0, 3), 4)]);
    const large = await counted(['set-device-limit', '-f', planFile(children.slice(3), 4)]);
    expect([small.code, large.code]).toEqual([0, 0]);
    expect(small.byName.aggregate).toBe(1);
    expect(large.byName.aggregate).toBe(1);
    expect(reads(large)).toBe(reads(small));
  });
});

describe('writes read only what their rules need', () => {
  it('set-device-limit on a child: the child, then its SP and siblings in one query, their limits in one', async () => {
    const { children } = await seed(20);
    const c = await counted(['set-device-limit', '--tenant', children[0]!, '--device-limit', '7']);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject([{ id: children[0], before: 1, after: 7, changed: true }]);
    expect(c.byName.listIndexes).toBeUndefined();
    expect(c.byName.aggregate).toBeUndefined();
    // Repair check, the child (before the locks), the watches on late writes (under the locks), SP and children, limits,
    // deviceauth's version (for the cache keys in the warning).
    expect(c.byName.find).toBe(6);
    // The server's time (hello), the operation's first ownership record, the SP's lock, the operation with its plan,
    // the limit, the commit record, the audit entry; the clean-up: operation, lock, ownership records.
    expect(c.byName).toEqual({ find: 6, hello: 1, insert: 5, update: 1, delete: 3, endSessions: 1 });
    expect(c.total).toBe(17);
  });

  it("set-device-limit resolves deviceauth's schema profile before writing: when it cannot be told, exit 5 and nothing written", async () => {
    const { children } = await seed(2);
    const c = await client();
    await c.db(ctx.dbs.deviceauth).collection('migration_info').deleteMany({});
    const r = await counted(['set-device-limit', '--tenant', children[0]!, '--device-limit', '12']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.byName.update).toBeUndefined();
    expect(await c.db(ctx.dbs.deviceauth).collection('limits').findOne({ tenant_id: children[0] }, { projection: { _id: 0, value: 1 } })).toEqual({ value: 1 });
    expect(await c.db(ctx.dbs.audit).collection('tenantadm_audit').countDocuments()).toBe(0);
    expect(await c.db(ctx.dbs.tenantadm).collection('tenantadm_journal').countDocuments()).toBe(0);
    expect(await c.db(ctx.dbs.tenantadm).collection('tenantadm_locks').countDocuments()).toBe(0);
  });
});
