/** Unit tests of tenant removal: which tenants go in which order, per-tenant database discovery, confirmation. */
import { batchRemovalOrder, removalOrder } from '../../src/domain/removal-rules';
import { perTenantDatabases, tenantCollections } from '../../src/store/discovery';
import { confirmByTyping, confirmYes, consentNeeded, type ConsentDeps } from '../../src/confirm';
import { parseTrialExpiration } from '../../src/domain/tenant';
import { batches } from '../../src/operations/remove-tenants';
import { RuleError, UnreachableError, UsageError } from '../../src/errors';
import type { Config } from '../../src/config';

const t = (id: string, status = 'suspended', extra: { parent_tenant_id?: string; service_provider?: boolean } = {}) => ({
  id,
  name: `n-${id}`,
  status,
  service_provider: extra.service_provider ?? false,
  ...(extra.parent_tenant_id ? { parent_tenant_id: extra.parent_tenant_id } : {}),
});

describe('removal rules', () => {
  it('removes a suspended tenant alone, and an SP with --cascade after its children', () => {
    expect(removalOrder(t('a'), [], {})).toEqual([[], ['a']]);
    expect(removalOrder(t('sp', 'suspended', { service_provider: true }), [t('k1'), t('k2')], { cascade: true })).toEqual([['k1', 'k2'], ['sp']]);
  });

  it.each([
    ['an active tenant', t('a', 'active'), [], {}, /is active: only a suspended tenant can be removed/],
    ['an SP with children without --cascade', t('sp'), [t('k')], {}, /Service Provider with 1 child tenant/],
    ['a cascade over an active child', t('sp'), [t('k', 'active')], { cascade: true }, /not suspended: tenant k \("n-k"\)/],
    ['a child asked through another SP', t('k', 'suspended', { parent_tenant_id: 'sp1' }), [], { through: 'sp2' }, /not a child of Service Provider sp2 \(its Service Provider is sp1\)/],
    ['a tenant without SP asked through one', t('k'), [], { through: 'sp2' }, /not a child of Service Provider sp2$/],
  ])('refuses %s (exit 5)', (_what, target, children, options, message) => {
    expect(() => removalOrder(target, children, options)).toThrow(RuleError);
    expect(() => removalOrder(target, children, options)).toThrow(message);
  });

  it('a batch takes an SP only with all its children, children first, and names what it skips', () => {
    const sp1 = t('sp1', 'suspended', { service_provider: true });
    const sp2 = t('sp2', 'suspended', { service_provider: true });
    const k1 = t('k1', 'suspended', { parent_tenant_id: 'sp1' });
    const k2 = t('k2', 'active', { parent_tenant_id: 'sp2' });
    const out = batchRemovalOrder([sp1, sp2, k1, t('x')], new Map([['sp1', [k1]], ['sp2', [k2]]]));
    expect(out.groups).toEqual([['k1', 'x'], ['sp1']]);
    expect(out.skipped).toEqual([{ id: 'sp2', name: 'n-sp2', reason: 'Service Provider with 1 child tenant(s) that stay: k2' }]);
  });
});

describe('discovery', () => {
  it('finds per-tenant databases <name>-<tenant id> of the given tenants only', () => {
    const id = '673a03e3c9eca7a440f2f444';
    expect(
      perTenantDatabases(['deployment_service', `deployment_service-${id}`, `inventory-${id}`, 'deployment_service-673a03e3c9eca7a440f2f445', `x-${id}-y`], new Set([id])),
    ).toEqual([
      { db: `deployment_service-${id}`, tenantId: id },
      { db: `inventory-${id}`, tenantId: id },
    ]);
  });

  // A stand-in for a server whose user lacks a privilege (the test database has no access control).
  const refusing = (what: 'listDatabases' | 'listCollections') =>
    ({
      db: () => ({
        command: async () => {
          if (what === 'listDatabases') throw Object.assign(new Error('not authorized on admin to execute command'), { code: 13, codeName: 'Unauthorized' });
          return { databases: [{ name: 'admin' }, { name: 'deviceauth' }] };
        },
        listCollections: () => ({
          toArray: async () => {
            throw Object.assign(new Error('not authorized on deviceauth'), { code: 13, codeName: 'Unauthorized' });
          },
        }),
      }),
    }) as never;

  it.each(['listDatabases', 'listCollections'] as const)('a server refusing %s is exit 6 naming the privilege', async (privilege) => {
    const err = await tenantCollections(refusing(privilege)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as UnreachableError).message).toContain(`lacks the ${privilege} privilege`);
    expect((err as UnreachableError).details).toMatchObject({ privilege });
  });
});

describe('confirmation', () => {
  const deps = (tty: boolean, noInput = false, answer = ''): ConsentDeps => ({
    stdin: { isTTY: tty } as never,
    config: { noInput } as Config,
    ask: async () => answer,
  });

  it('--yes never asks; a terminal asks; no terminal or --no-input is exit 2', () => {
    expect(consentNeeded(true, 'x', deps(false))).toBe(false);
    expect(consentNeeded(undefined, 'x', deps(true))).toBe(true);
    expect(() => consentNeeded(undefined, 'removing tenant t', deps(false))).toThrow(/removing tenant t needs confirmation, and there is no terminal to ask on/);
    expect(() => consentNeeded(false, 'x', deps(true, true))).toThrow(UsageError);
    expect(() => consentNeeded(false, 'x', deps(true, true))).toThrow(/--no-input forbids asking/);
  });

  it('goes ahead only on yes, or on the exact name typed', async () => {
    await expect(confirmYes('go?', deps(true, false, 'y'))).resolves.toBeUndefined();
    await expect(confirmYes('go?', deps(true, false, 'YES'))).resolves.toBeUndefined();
    await expect(confirmYes('go?', deps(true, false, ''))).rejects.toThrow(/cancelled/);
    await expect(confirmByTyping('name?', 'acme', deps(true, false, ' acme '))).resolves.toBeUndefined();
    await expect(confirmByTyping('name?', 'acme', deps(true, false, 'Acme'))).rejects.toThrow(/does not match/);
  });
});

describe('trial expiration', () => {
  it.each([
    ['2025-01-31', '2025-01-31T00:00:00.000Z'],
    ['2025-01-31T08:00:00+02:00', '2025-01-31T06:00:00.000Z'],
    ['2025-01-31T08:00', '2025-01-31T08:00:00.000Z'],
  ])('%s', (raw, iso) => expect(parseTrialExpiration(raw)?.toISOString()).toBe(iso));
  it('none clears it; a span is forward from now (as --since 7d is back); anything else is exit 2', () => {
    expect(parseTrialExpiration('none')).toBeNull();
    const now = new Date('2025-01-01T00:00:00Z');
    expect(parseTrialExpiration('7d', now)?.toISOString()).toBe('2025-01-08T00:00:00.000Z');
    expect(parseTrialExpiration('12h', now)?.toISOString()).toBe('2025-01-01T12:00:00.000Z');
    expect(() => parseTrialExpiration('7 days', now)).toThrow(UsageError);
    expect(() => parseTrialExpiration('-7d', now)).toThrow(UsageError);
  });
});

describe('batches of a large removal', () => {
  it('keeps children before their Service Providers and caps each operation', () => {
    expect(batches([['a', 'b', 'c'], ['sp']], 2)).toEqual([[['a', 'b']], [['c']], [['sp']]]);
    expect(batches([[], ['sp']], 2)).toEqual([[['sp']]]);
  });
});
