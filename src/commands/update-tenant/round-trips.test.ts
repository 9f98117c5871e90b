/**
 * How many database commands update-tenant sends, counted by the driver's command monitoring
 * (TENANTADM_COUNT_COMMANDS): counts, not timings.
 */
import { roundTripHelpers } from '../../../test/support/round-trips';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { counted, seed } = roundTripHelpers(ctx);

describe('writes read only what their rules need', () => {
  it('update-tenant reads the tenant once and builds its result from what it wrote', async () => {
    const { children } = await seed(1);
    const c = await counted(['update-tenant', '--tenant', children[0]!, '--trial', 'true']);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ id: children[0], trial: true, device_limit: 1, device_count: 0 });
    expect(c.byName.listIndexes).toBeUndefined();
    // Repair check, the watches on late writes (under the lock), the tenant, its limit; and its accepted devices (one aggregation).
    expect(c.byName.find).toBe(4);
    expect(c.byName.aggregate).toBe(1);
    // The server's time (hello), the first ownership record, locks (one insert), the operation with its plan, the
    // tenant, the commit record, the audit entry; the clean-up: operation, locks, ownership records.
    expect(c.byName).toEqual({ find: 4, aggregate: 1, hello: 1, insert: 5, update: 1, delete: 3, endSessions: 1 });
    expect(c.total).toBe(16);
  });
});
