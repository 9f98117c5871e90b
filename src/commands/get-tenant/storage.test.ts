/** End-to-end test of the artifact storage get-tenant shows for a tenant that set-storage never touched. */
import { runJson } from '../../../test/support/harness';
import { createTenant } from '../../../test/support/cases';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

describe('set-storage', () => {
  it('shows the shared store under the tenant id prefix by default', async () => {
    const t = await createTenant(ctx.dbs, 'default');
    expect((await runJson(ctx.dbs, ['get-tenant', '--tenant', t.id])).storage).toEqual({ type: 'default', prefix: `${t.id}/` });
  });
});
