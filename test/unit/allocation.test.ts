/** Unit tests of Service Provider capacity arithmetic (-1 = unlimited) and the allocation rules (no database). */
import {
  acceptable,
  allocationOf,
  fits,
  freeCapacity,
  orderChanges,
  planReallocation,
  requireRoomFor,
  withChild,
  type AllocationTenant,
  type AllocationWorld,
  type LimitChange,
} from '../../src/domain/allocation';
import { RuleError, UsageError } from '../../src/errors';

const SP = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const SP2 = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const C1 = 'c00000000000000000000001';
const C2 = 'c00000000000000000000002';
const C3 = 'c00000000000000000000003';
const D1 = 'd00000000000000000000001';
const LONE = 'e00000000000000000000001';

function tenant(id: string, max: number, extra: Partial<AllocationTenant> = {}): AllocationTenant {
  return { id, name: id.slice(0, 2), serviceProvider: false, accepted: 0, limits: { max_devices: max }, ...extra };
}

/** SP (limit 100) with C1=30, C2=20, C3=0; SP2 (unlimited) with D1=-1; LONE unlimited, no parent. */
function world(over: Partial<Record<string, Partial<AllocationTenant>>> = {}): AllocationWorld {
  const list = [
    tenant(SP, 100, { serviceProvider: true }),
    tenant(C1, 30, { parent: SP }),
    tenant(C2, 20, { parent: SP }),
    tenant(C3, 0, { parent: SP }),
    tenant(SP2, -1, { serviceProvider: true }),
    tenant(D1, -1, { parent: SP2 }),
    tenant(LONE, -1),
  ].map((t) => ({ ...t, ...(over[t.id] ?? {}) }));
  return {
    tenants: new Map(list.map((t) => [t.id, t])),
    children: new Map([
      [SP, [C1, C2, C3]],
      [SP2, [D1]],
    ]),
  };
}

const set = (tenantId: string, limit: number, kind: LimitChange['kind'] = 'max_devices'): LimitChange => ({ tenantId, kind, limit });

function ruleError(fn: () => unknown): RuleError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RuleError);
    return err as RuleError;
  }
  throw new Error('expected a RuleError');
}

describe('capacity arithmetic with -1 = unlimited', () => {
  it.each([
    [[], { unlimited: 0, sum: 0 }],
    [[10, 0, 5], { unlimited: 0, sum: 15 }],
    [[10, -1, 5, -1], { unlimited: 2, sum: 15 }],
  ])('allocationOf(%j)', (limits, expected) => {
    expect(allocationOf(limits)).toEqual(expected);
  });

  it.each([
    // sp limit, children, fits, free
    [100, [30, 20], true, 50],
    [100, [60, 40], true, 0],
    [100, [60, 41], false, 0],
    [0, [], true, 0],
    [0, [0, 0], true, 0],
    [0, [1], false, 0],
    [100, [-1], false, 0], // an unlimited child exceeds any cap
    [-1, [-1, 500], true, -1], // an unlimited SP has no cap
    [-1, [], true, -1],
  ])('SP %d with %j: fits=%s free=%d', (sp, kids, ok, free) => {
    expect(fits(sp, allocationOf(kids))).toBe(ok);
    expect(freeCapacity(sp, allocationOf(kids))).toBe(free);
  });

  it('never treats 0 as unlimited', () => {
    expect(fits(0, allocationOf([1]))).toBe(false);
    expect(freeCapacity(0, allocationOf([]))).toBe(0);
  });

  it('withChild adds one child', () => {
    expect(withChild({ unlimited: 0, sum: 10 }, 5)).toEqual({ unlimited: 0, sum: 15 });
    expect(withChild({ unlimited: 0, sum: 10 }, -1)).toEqual({ unlimited: 1, sum: 10 });
  });

  it('lets an already over-allocated SP move only towards fitting', () => {
    const over = { limit: 10, alloc: allocationOf([8, 8]) };
    expect(acceptable(over, { limit: 10, alloc: allocationOf([8, 5]) })).toBe(true); // less, still over
    expect(acceptable(over, { limit: 10, alloc: allocationOf([8, 9]) })).toBe(false); // more
    expect(acceptable(over, { limit: 9, alloc: allocationOf([8, 5]) })).toBe(false); // cap lowered while over
    expect(acceptable(over, { limit: 20, alloc: allocationOf([8, 8]) })).toBe(true); // fits now
    const unl = { limit: 10, alloc: allocationOf([-1, 2]) };
    expect(acceptable(unl, { limit: 10, alloc: allocationOf([-1, 3]) })).toBe(false);
    expect(acceptable(unl, { limit: 10, alloc: allocationOf([50, 2]) })).toBe(true); // one unlimited fewer
    // A state that fits may never become one that does not.
    expect(acceptable({ limit: 10, alloc: allocationOf([5]) }, { limit: 10, alloc: allocationOf([11]) })).toBe(false);
  });
});

describe('requireRoomFor (create or attach a child)', () => {
  const sp = { id: SP, name: 'sp', limit: 100 };
  it('accepts what fits and names the free capacity otherwise', () => {
    expect(() => requireRoomFor(sp, allocationOf([30, 20]), { label: 'x', limit: 50 }, 'max_devices')).not.toThrow();
    const err = ruleError(() => requireRoomFor(sp, allocationOf([30, 20]), { label: 'x', limit: 51 }, 'max_devices'));
    expect(err.message).toMatch(/has 50 free/);
    expect(err.details).toMatchObject({ free: 50, requested: 51, sp_limit: 100 });
  });
  it('refuses an unlimited child under a capped SP, allows it under an unlimited one', () => {
    expect(ruleError(() => requireRoomFor(sp, allocationOf([]), { label: 'x', limit: -1 }, 'max_devices')).hint).toMatch(/cannot be unlimited/);
    expect(() => requireRoomFor({ ...sp, limit: -1 }, allocationOf([-1]), { label: 'x', limit: -1 }, 'max_devices')).not.toThrow();
  });
});

describe('planReallocation', () => {
  it('accepts a change within the free capacity and records the value before', () => {
    expect(planReallocation(world(), [set(C3, 50)])).toEqual([{ tenantId: C3, kind: 'max_devices', limit: 50, before: 0 }]);
  });

  it('refuses a change beyond the free capacity, naming it (current allocation added back)', () => {
    const err = ruleError(() => planReallocation(world(), [set(C1, 81)]));
    expect(err.message).toMatch(/device limit for children exhausted/);
    expect(err.message).toMatch(/has 80 free/);
    expect(err.details).toMatchObject({ sp_id: SP, free: 80, requested: 81 });
    expect(planReallocation(world(), [set(C1, 80)])).toHaveLength(1);
  });

  it('refuses an unlimited child under a capped SP; allows it under an unlimited SP', () => {
    expect(ruleError(() => planReallocation(world(), [set(C3, -1)])).hint).toMatch(/cannot be unlimited/);
    expect(planReallocation(world(), [set(D1, 5), set(SP2, 1000)])).toHaveLength(2);
  });

  it('refuses lowering an SP below what it allocated, allows down to exactly that', () => {
    const err = ruleError(() => planReallocation(world(), [set(SP, 49)]));
    expect(err.message).toMatch(/allocated 50/);
    expect(planReallocation(world(), [set(SP, 50)])).toHaveLength(1);
    // Capping an unlimited SP whose child is unlimited is over-allocation too.
    expect(ruleError(() => planReallocation(world(), [set(SP2, 10)])).message).toMatch(/unlimited child/);
  });

  it('moves capacity between children in one plan that would fail step by step', () => {
    // C2 20 -> 71 alone is over (30 + 71 > 100); with C1 going to 0 in the same plan it fits.
    expect(() => planReallocation(world(), [set(C2, 71)])).toThrow(RuleError);
    const plan = planReallocation(world(), [set(C2, 71), set(C1, 0)]);
    expect(plan.map((c) => [c.tenantId, c.before, c.limit])).toEqual([
      [C1, 30, 0],
      [C2, 20, 71],
    ]);
  });

  it('orders decreases of children and increases of SPs before the rest', () => {
    const plan = planReallocation(world(), [set(C3, 60), set(SP, 200), set(C1, 10), set(C2, 120), set(SP2, 5), set(D1, 5)]);
    const order = plan.map((c) => c.tenantId);
    expect(order.indexOf(C1)).toBeLessThan(order.indexOf(C2));
    expect(order.indexOf(SP)).toBeLessThan(order.indexOf(C2));
    expect(order.indexOf(SP)).toBeLessThan(order.indexOf(C3));
    expect(order.indexOf(D1)).toBeLessThan(order.indexOf(SP2)); // child down before its SP goes down
  });

  it('never over-allocates in between, checked for every prefix', () => {
    const w = world();
    const plan = planReallocation(w, [set(C1, 0), set(C2, 0), set(C3, 100), set(SP, 100)]);
    const state = new Map<string, number>();
    for (const c of plan) {
      state.set(c.tenantId, c.limit);
      const sum = [C1, C2, C3].reduce((s, id) => s + (state.get(id) ?? w.tenants.get(id)!.limits.max_devices!), 0);
      expect(sum).toBeLessThanOrEqual(state.get(SP) ?? 100);
    }
  });

  it('orderChanges is deterministic', () => {
    const w = world();
    const planned = [
      { tenantId: C2, kind: 'max_devices' as const, limit: 25, before: 20 },
      { tenantId: C1, kind: 'max_devices' as const, limit: 25, before: 30 },
      { tenantId: SP, kind: 'max_devices' as const, limit: 90, before: 100 },
    ];
    // Freeing first (C1 down); then taking (SP down, C2 up) by id.
    expect(orderChanges(w, planned).map((c) => c.tenantId)).toEqual([C1, SP, C2]);
    expect(orderChanges(w, [...planned].reverse()).map((c) => c.tenantId)).toEqual([C1, SP, C2]);
  });

  it('drops changes that change nothing and ignores SPs for tenants without one', () => {
    expect(planReallocation(world(), [set(C1, 30)])).toEqual([]);
    expect(planReallocation(world(), [set(LONE, 0), set(LONE, 7, 'max_micro_devices')])).toHaveLength(2);
  });

  it('refuses lowering max_devices below the accepted devices unless forced', () => {
    const w = world({ [C1]: { accepted: 25 } });
    const err = ruleError(() => planReallocation(w, [set(C1, 24)]));
    expect(err.message).toMatch(/25 accepted devices/);
    expect(err.hint).toMatch(/--force/);
    expect(planReallocation(w, [set(C1, 24)], { force: true })).toHaveLength(1);
    expect(planReallocation(w, [set(C1, 25)])).toHaveLength(1);
    // Other kinds have no accepted count of their own here.
    expect(planReallocation(world({ [LONE]: { accepted: 9 } }), [set(LONE, 1, 'max_micro_devices')])).toHaveLength(1);
  });

  it('checks each limit kind on its own', () => {
    const w = world({
      [SP]: { limits: { max_devices: 100, max_micro_devices: 10 } },
      [C1]: { limits: { max_devices: 30, max_micro_devices: 4 } },
      [C2]: { limits: { max_devices: 20, max_micro_devices: 4 } },
      [C3]: { limits: { max_devices: 0, max_micro_devices: 0 } },
    });
    expect(planReallocation(w, [set(C3, 2, 'max_micro_devices')])).toHaveLength(1);
    expect(ruleError(() => planReallocation(w, [set(C3, 3, 'max_micro_devices')])).message).toMatch(/has 2 free/);
  });

  it('rejects the same tenant and kind twice as a usage error', () => {
    expect(() => planReallocation(world(), [set(C1, 1), set(C1, 2)])).toThrow(UsageError);
  });

  it('lets an over-allocated SP (data from elsewhere) be brought down child by child', () => {
    const w = world({ [C1]: { limits: { max_devices: 90 } } }); // 90+20+0 = 110 > 100
    expect(planReallocation(w, [set(C1, 85)])).toHaveLength(1);
    expect(() => planReallocation(w, [set(C3, 1)])).toThrow(RuleError);
  });
});
