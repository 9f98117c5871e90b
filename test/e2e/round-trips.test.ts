// Kept whole-tool: each test counts two commands side by side, equally (list-tenants with usage; a set-device-limit plan with check).
/**
 * How many database commands a command sends, counted by the driver's command monitoring
 * (TENANTADM_COUNT_COMMANDS): listings read per page, never per tenant, and the final figures
 * of the progress counters. Counts, not timings.
 */
import { run } from '../support/harness';
import { reads, roundTripHelpers } from '../support/round-trips';
import { commandTest } from '../support/command-test';

const ctx = commandTest();
const { counted, seed, planFile } = roundTripHelpers(ctx);

describe('listings read per page, never per tenant', () => {
  it('list-tenants and usage of every tenant read the same with 6 and with 302 tenants', async () => {
    await seed(2, 3);
    const few = [await counted(['list-tenants']), await counted(['usage'])];
    await seed(150, 145);
    const many = [await counted(['list-tenants']), await counted(['usage'])];
    expect(JSON.parse(many[0]!.stdout).length).toBe(302);
    expect(JSON.parse(many[1]!.stdout).length).toBe(302);
    // Cursor batches (getMore) aside, the same queries.
    expect(many.map(reads)).toEqual(few.map(reads));
  });

  it('usage and list-tenants of one SP with 3 and with 120 children read the same', async () => {
    const a = await seed(3);
    const b = await seed(120);
    const ofA = [await counted(['usage', '--parent', a.sp]), await counted(['list-tenants', '--parent', a.sp])];
    const ofB = [await counted(['usage', '--parent', b.sp]), await counted(['list-tenants', '--parent', b.sp])];
    expect(JSON.parse(ofB[0]!.stdout)).toHaveLength(120);
    expect(ofB.map(reads)).toEqual(ofA.map(reads));
  });
});

describe('progress counters of plans and checks (their final figures with TENANTADM_DEBUG)', () => {
  it('a plan counts its entries planned, check the collections it scanned', async () => {
    const { children } = await seed(12);
    const plan = await run(ctx.dbs, ['set-device-limit', '-f', planFile(children, 3)], { env: { TENANTADM_DEBUG: '1' } });
    expect(plan.code).toBe(0);
    expect(plan.stderr).toMatch(/^tenantadm: debug: plan entries planned: 12$/m);

    const check = await run(ctx.dbs, ['check', '-o', 'json'], { env: { TENANTADM_DEBUG: '1' } });
    const scanned = (JSON.parse(check.stdout) as { scanned: { collections: number } }).scanned.collections;
    expect(scanned).toBeGreaterThan(3);
    expect(check.stderr).toMatch(new RegExp(`^tenantadm: debug: collections scanned: ${scanned}$`, 'm'));
  });
});
