/**
 * How many reads apply sends, counted by the driver's command monitoring
 * (TENANTADM_COUNT_COMMANDS): the same for 10 children as for 50, for a file that changes
 * nothing and for one that changes every child's SSO settings (one query, not one per tenant).
 */
import fs from 'node:fs';
import path from 'node:path';
import { client } from '../../../test/support/harness';
import { reads, roundTripHelpers } from '../../../test/support/round-trips';
import { commandTest } from '../../../test/support/command-test';
import { exportedJson, passwordRef } from '../../../test/support/apply';

const ctx = commandTest();
const { counted, seed } = roundTripHelpers(ctx);

async function applyCounted(n: number, edit: (doc: any) => void): Promise<number> {
  // The previous fleet of the test goes: tenants, limits and SSO settings, written as seed writes them.
  const c = await client();
  for (const [db, coll] of [[ctx.dbs.tenantadm, 'tenants'], [ctx.dbs.tenantadm, 'sso_settings'], [ctx.dbs.deviceauth, 'limits']] as const) await c.db(db).collection(coll).deleteMany({});
  await seed(n);
  const doc = await exportedJson(ctx);
  edit(doc);
  const file = path.join(ctx.dir, `fleet-${n}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(doc));
  const r = await counted(['apply', '-f', file, '--yes']);
  expect({ code: r.code, n }).toEqual({ code: 0, n });
  return reads(r);
}

describe('apply reads a constant number of times', () => {
  it('a no-op apply reads as often for 10 children as for 50', async () => {
    const none = () => undefined;
    expect(await applyCounted(50, none)).toBe(await applyCounted(10, none));
  });

  it("an apply setting every child's SSO reads as often for 10 children as for 50", async () => {
    const secret = passwordRef(ctx, 'oidc-client-secret-value');
    const everyChild = (doc: any) => {
      for (const c of doc.tenants.find((t: any) => t.name === 'sp').children) c.sso = { type: 'oidc', issuer: 'https://idp.example.com', client_id: c.name, client_secret: secret };
    };
    expect(await applyCounted(50, everyChild)).toBe(await applyCounted(10, everyChild));
  });
});
