/** Discovery's pure parts: which databases are per-tenant, and how a refusal is reported. */
import { parsePerTenantDatabase, perTenantDatabases, refusal } from '../../src/store/discovery';
import { UnreachableError, exitCodeOf } from '../../src/errors';

const A = '673a03e3c9eca7a440f2f444';
const B = '673a03e3c9eca7a440f2f445';

describe('per-tenant databases', () => {
  it.each([
    [`deployment_service-${A}`, { base: 'deployment_service', tenantId: A }],
    [`a-b-${A}`, { base: 'a-b', tenantId: A }],
    ['deployment_service', null],
    [`deployment_service-${A.toUpperCase()}`, null],
    [`deployment_service-${A}x`, null],
    [`-${A}`, null],
    [A, null],
  ])('%s', (name, expected) => {
    expect(parsePerTenantDatabase(name)).toEqual(expected);
  });

  it('keeps the databases of the given tenants only', () => {
    const names = [`deployment_service-${A}`, `deployment_service-${B}`, 'deviceauth', `inventory-${A}`];
    expect(perTenantDatabases(names, new Set([A]))).toEqual([
      { db: `deployment_service-${A}`, tenantId: A },
      { db: `inventory-${A}`, tenantId: A },
    ]);
    expect(perTenantDatabases(names, new Set())).toEqual([]);
  });
});

describe('a refusal by the server', () => {
  it('is exit 6 naming the privilege and the resource', () => {
    const err = refusal({ code: 13, codeName: 'Unauthorized', message: 'not authorized on admin to execute command' }, 'listDatabases', 'the databases of the server');
    expect(err).toBeInstanceOf(UnreachableError);
    expect(exitCodeOf(err)).toBe(6);
    expect((err as UnreachableError).message).toBe('MongoDB refused to list the databases of the server: the user lacks the listDatabases privilege');
    expect((err as UnreachableError).details).toEqual({ privilege: 'listDatabases', resource: 'the databases of the server' });
  });
  it('leaves every other error as it is', () => {
    const other = { code: 26, message: 'ns not found' };
    expect(refusal(other, 'find', 'x.y')).toBe(other);
  });
});
