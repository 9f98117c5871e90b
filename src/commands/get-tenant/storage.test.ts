/** End-to-end test of the artifact storage get-tenant shows for a tenant that set-storage never touched. */
import { runJson, type Dbs, withFreshDatabases } from '../../../test/support/harness';
import { createTenant } from '../../../test/support/cases';

let dbs: Dbs;
withFreshDatabases((d) => (dbs = d));

describe('set-storage', () => {
  it('shows the shared store under the tenant id prefix by default', async () => {
    const t = await createTenant(dbs, 'default');
    expect((await runJson(dbs, ['get-tenant', '--id', t.id])).storage).toEqual({ type: 'default', prefix: `${t.id}/` });
  });
});
