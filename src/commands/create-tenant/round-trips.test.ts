/**
 * How many database commands create-tenant sends, counted by the driver's command monitoring
 * (TENANTADM_COUNT_COMMANDS): counts, not timings.
 */
import { passwordFile } from '../../../test/support/harness';
import { roundTripHelpers } from '../../../test/support/round-trips';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();
const { counted } = roundTripHelpers(ctx);

describe('writes read only what their rules need', () => {
  it('create-tenant with its admin: name and email checked, one index check, no profile for a positive limit, nothing read back', async () => {
    const c = await counted(['create-tenant', '--name', 'acme', '--device-limit', '10', '--admin-email', 'admin@acme.example', '--password-file', passwordFile(ctx.dir)]);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ name: 'acme', device_limit: 10, device_count: 0 });
    expect(c.byName.listIndexes).toBe(1);
    expect(c.byName.aggregate).toBeUndefined();
    // The journal's repair check, the name (under its lock), the email, the newest stored token (for
    // the token format; none here, so no look for the other format), the new token's uniqueness (under
    // its lock), the watches on late writes (under the locks); deviceauth's version is not needed for 10.
    expect(c.byName.find).toBe(6);
    // Writes: the server's time (hello), the first ownership record, the three locks (name, tenant, token) in one
    // insert, the operation with its plan, tenant, limit and user (an ownership record before the last two), the
    // commit record, the audit entries (already committed), then the clean-up: operation, locks, ownership records.
    expect(c.byName).toEqual({ find: 6, listIndexes: 1, hello: 1, insert: 10, delete: 3, endSessions: 1 });
    expect(c.total).toBe(22);
  });
});
