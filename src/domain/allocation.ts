/**
 * Service Provider capacity arithmetic, free of I/O. An SP hands device capacity out of
 * its own limit to its children: the children's limits may add up to at most the SP's
 * limit. Limits use Mender's convention: -1 is unlimited, 0 accepts no device, and a
 * child that is unlimited under a capped SP counts as exceeding it.
 */
import { RuleError, UsageError } from '../errors';
import { UNLIMITED, formatLimit, type LimitKind } from './tenant';

/** What a set of children takes from its SP: how many are unlimited, and the sum of the rest. */
export interface Allocation {
  unlimited: number;
  sum: number;
}

/** A limit as a ceiling: -1 (unlimited) becomes +Infinity so comparisons just work. */
export function ceiling(limit: number): number {
  return limit === UNLIMITED ? Number.POSITIVE_INFINITY : limit;
}

export function allocationOf(childLimits: Iterable<number>): Allocation {
  const out: Allocation = { unlimited: 0, sum: 0 };
  for (const limit of childLimits) {
    if (limit === UNLIMITED) out.unlimited += 1;
    else out.sum += limit;
  }
  return out;
}

/** The children's limits fit in the SP's limit (an unlimited SP has no cap). */
export function fits(spLimit: number, alloc: Allocation): boolean {
  if (spLimit === UNLIMITED) return true;
  return alloc.unlimited === 0 && alloc.sum <= spLimit;
}

/** What is left to hand out: -1 for an unlimited SP, 0 when it is already full or over. */
export function freeCapacity(spLimit: number, alloc: Allocation): number {
  if (spLimit === UNLIMITED) return UNLIMITED;
  if (alloc.unlimited > 0) return 0;
  return Math.max(0, spLimit - alloc.sum);
}

/** The allocation once one more child with `limit` is added. */
export function withChild(alloc: Allocation, limit: number): Allocation {
  return limit === UNLIMITED ? { unlimited: alloc.unlimited + 1, sum: alloc.sum } : { unlimited: alloc.unlimited, sum: alloc.sum + limit };
}

/** Allocation `a` takes no more than `b`: fewer unlimited children, or as many and a sum no larger. */
function noMoreThan(a: Allocation, b: Allocation): boolean {
  return a.unlimited < b.unlimited || (a.unlimited === b.unlimited && a.sum <= b.sum);
}

/**
 * Whether an SP may go from one state to another. A state that fits is always fine; an SP
 * that was already over-allocated (data written by other tools) may only move towards
 * fitting, so that its excess can be reduced one step at a time.
 */
export function acceptable(before: { limit: number; alloc: Allocation }, after: { limit: number; alloc: Allocation }): boolean {
  if (fits(after.limit, after.alloc)) return true;
  if (fits(before.limit, before.alloc)) return false;
  return noMoreThan(after.alloc, before.alloc) && ceiling(after.limit) >= ceiling(before.limit);
}

/** One tenant as the capacity rules see it. */
export interface AllocationTenant {
  id: string;
  name: string;
  parent?: string;
  serviceProvider: boolean;
  /** Accepted devices (they count against max_devices). */
  accepted: number;
  /** Every kind a plan may touch; a kind without a document is -1 (unlimited). */
  limits: Partial<Record<LimitKind, number>>;
}

/** Everything a plan's checks read: the tenants it touches, their SPs and the SPs' children. */
export interface AllocationWorld {
  tenants: Map<string, AllocationTenant>;
  /** Children of every SP involved. */
  children: Map<string, string[]>;
}

export interface LimitChange {
  tenantId: string;
  kind: LimitKind;
  /** -1 for unlimited. */
  limit: number;
}

export interface PlannedChange extends LimitChange {
  before: number;
}

/** The allocation once one child moves from `from` to `to`. */
function shifted(alloc: Allocation, from: number, to: number): Allocation {
  const out = { ...alloc };
  if (from === UNLIMITED) out.unlimited -= 1;
  else out.sum -= from;
  if (to === UNLIMITED) out.unlimited += 1;
  else out.sum += to;
  return out;
}

interface SpState {
  limit: number;
  alloc: Allocation;
}

/**
 * The capacity figures a plan's checks read, each SP's children summed once and then kept up
 * to date change by change, so that checking a plan of N entries is linear in N and in the
 * number of children (never one pass over the children per entry).
 */
class Capacity {
  /** Which loaded SP a tenant is a child of (from the children lists). */
  private readonly parentOf = new Map<string, string>();
  private readonly initial = new Map<string, SpState>();

  constructor(private readonly world: AllocationWorld) {
    for (const [sp, kids] of world.children) for (const k of kids) this.parentOf.set(k, sp);
  }

  limit(tenantId: string, kind: LimitKind): number {
    return this.world.tenants.get(tenantId)?.limits[kind] ?? UNLIMITED;
  }

  /** The SP's state before the plan (summed once per SP and kind). */
  before(sp: string, kind: LimitKind): SpState {
    const key = `${sp}/${kind}`;
    let state = this.initial.get(key);
    if (!state) {
      state = { limit: this.limit(sp, kind), alloc: allocationOf((this.world.children.get(sp) ?? []).map((c) => this.limit(c, kind))) };
      this.initial.set(key, state);
    }
    return state;
  }

  /** Tracks SP states as changes are applied one after another, starting from the state before the plan. */
  tracker(): { apply(c: PlannedChange): void; state(sp: string, kind: LimitKind): SpState } {
    const current = new Map<string, SpState>();
    const state = (sp: string, kind: LimitKind): SpState => {
      const key = `${sp}/${kind}`;
      let st = current.get(key);
      if (!st) {
        const b = this.before(sp, kind);
        st = { limit: b.limit, alloc: { ...b.alloc } };
        current.set(key, st);
      }
      return st;
    };
    return {
      state,
      apply: (c) => {
        const parent = this.parentOf.get(c.tenantId);
        if (parent !== undefined) {
          const st = state(parent, c.kind);
          st.alloc = shifted(st.alloc, c.before, c.limit);
        }
        state(c.tenantId, c.kind).limit = c.limit;
      },
    };
  }
}

/** An SP whose cap a change of `tenantId` affects: its parent (allocation) and itself (cap). */
function capsTouched(world: AllocationWorld, tenantId: string): string[] {
  const t = world.tenants.get(tenantId);
  const out: string[] = [];
  if (t?.parent) out.push(t.parent);
  if (t && (t.serviceProvider || (world.children.get(tenantId)?.length ?? 0) > 0)) out.push(tenantId);
  return out;
}

function label(world: AllocationWorld, id: string): string {
  const t = world.tenants.get(id);
  return t?.name ? `${id} ("${t.name}")` : id;
}

/**
 * Check a reallocation plan against every rule and order it so that no intermediate state
 * over-allocates any SP: first what frees capacity (children going down, SPs going up),
 * then what takes it. Changes that change nothing are dropped. Throws UsageError for a
 * malformed plan and RuleError (naming the free capacity) for one that breaks a rule.
 * Linear in the plan and in the children of the SPs involved.
 */
export function planReallocation(world: AllocationWorld, changes: LimitChange[], options: { force?: boolean } = {}): PlannedChange[] {
  const seen = new Set<string>();
  for (const c of changes) {
    const key = `${c.tenantId}/${c.kind}`;
    if (seen.has(key)) throw new UsageError(`the plan sets ${c.kind} of tenant ${c.tenantId} twice`, 'give each tenant and kind once');
    seen.add(key);
    if (!world.tenants.has(c.tenantId)) throw new UsageError(`tenant ${c.tenantId} is not part of the loaded state`);
  }

  const planned: PlannedChange[] = [];
  for (const c of changes) {
    const before = world.tenants.get(c.tenantId)!.limits[c.kind] ?? UNLIMITED;
    if (before === c.limit) continue;
    planned.push({ ...c, before });
  }

  // Mender Enterprise 4.x (MEN-7954): a Service Provider always has a device limit.
  for (const c of planned) {
    const t = world.tenants.get(c.tenantId)!;
    if (t.serviceProvider && c.kind === 'max_devices' && c.limit === UNLIMITED) {
      throw new RuleError(
        `tenant ${label(world, c.tenantId)} is a Service Provider; a Service Provider cannot be unlimited (Mender Enterprise 4.x, MEN-7954)`,
        `give it a number: tenantadm set-device-limit --tenant ${c.tenantId} --device-limit N`,
        { tenant_id: c.tenantId, kind: c.kind },
      );
    }
  }

  // Lowering a limit below what is already accepted strands devices: only on purpose.
  if (!options.force) {
    for (const c of planned) {
      const t = world.tenants.get(c.tenantId)!;
      const lowering = ceiling(c.limit) < ceiling(c.before);
      if (c.kind === 'max_devices' && lowering && c.limit < t.accepted && c.limit !== UNLIMITED) {
        throw new RuleError(
          `tenant ${label(world, c.tenantId)} has ${t.accepted} accepted devices; a max_devices limit of ${c.limit} is below that`,
          'decommission devices first, or give --force to lower it anyway (no device is removed; new ones are refused)',
          { tenant_id: c.tenantId, accepted: t.accepted, requested: c.limit },
        );
      }
    }
  }

  const capacity = new Capacity(world);
  const involved = new Map<string, Set<LimitKind>>();
  const final = capacity.tracker();
  for (const c of planned) {
    final.apply(c);
    for (const sp of capsTouched(world, c.tenantId)) {
      const kinds = involved.get(sp) ?? new Set<LimitKind>();
      kinds.add(c.kind);
      involved.set(sp, kinds);
    }
  }

  for (const [sp, kinds] of [...involved].sort(([a], [b]) => a.localeCompare(b))) {
    for (const kind of kinds) {
      const after = final.state(sp, kind);
      if (acceptable(capacity.before(sp, kind), after)) continue;
      throw capacityError(world, capacity, sp, kind, planned, after);
    }
  }

  const ordered = orderChanges(world, planned);
  // The order is proven safe for two levels; checking every prefix also covers odd data.
  const prefix = capacity.tracker();
  for (const c of ordered) {
    prefix.apply(c);
    for (const sp of capsTouched(world, c.tenantId)) {
      if (!acceptable(capacity.before(sp, c.kind), prefix.state(sp, c.kind))) {
        throw new RuleError(
          `the plan cannot be applied in any safe order: Service Provider ${label(world, sp)} would be over-allocated in between`,
          'split the plan into several runs',
        );
      }
    }
  }
  return ordered;
}

function capacityError(world: AllocationWorld, capacity: Capacity, sp: string, kind: LimitKind, planned: PlannedChange[], after: SpState): RuleError {
  const spChange = planned.find((c) => c.tenantId === sp && c.kind === kind);
  const kids = world.children.get(sp) ?? [];
  const kidSet = new Set(kids);
  const childChanges = planned.filter((c) => c.kind === kind && kidSet.has(c.tenantId));
  const allocated = after.alloc.unlimited > 0 ? `${after.alloc.unlimited} unlimited child(ren) and ${after.alloc.sum}` : String(after.alloc.sum);
  if (childChanges.length === 0 && spChange) {
    return new RuleError(
      `Service Provider ${label(world, sp)} has allocated ${allocated} ${kind} to its children; its limit cannot go to ${formatLimit(spChange.limit)}`,
      'lower the children first (or in the same plan), or keep a higher limit',
      { sp_id: sp, kind, allocated: after.alloc.sum, unlimited_children: after.alloc.unlimited, requested: spChange.limit },
    );
  }
  // Free capacity as the operator thinks of it: the SP's limit minus the children left alone.
  const changedIds = new Set(childChanges.map((c) => c.tenantId));
  const others = allocationOf(kids.filter((k) => !changedIds.has(k)).map((k) => capacity.limit(k, kind)));
  const free = freeCapacity(after.limit, others);
  const requested = childChanges.map((c) => c.limit);
  const asked = requested.includes(UNLIMITED) ? 'unlimited' : String(requested.reduce((a, b) => a + b, 0));
  const who = childChanges.length === 1 ? `tenant ${label(world, childChanges[0]!.tenantId)}` : `${childChanges.length} children`;
  return new RuleError(
    `device limit for children exhausted: ${who} asked for ${asked} ${kind}, but Service Provider ${label(world, sp)} has ${formatLimit(free)} free ` +
      `(limit ${formatLimit(after.limit)}, ${others.unlimited > 0 ? `${others.unlimited} unlimited child(ren) and ` : ''}${others.sum} allocated to other children)`,
    requested.includes(UNLIMITED) && after.limit !== UNLIMITED
      ? 'a child of a capped Service Provider cannot be unlimited; give it a number'
      : "ask for at most the free capacity, lower another child, or raise the Service Provider's limit",
    { sp_id: sp, kind, free, sp_limit: after.limit, requested: asked === 'unlimited' ? UNLIMITED : Number(asked) },
  );
}

/**
 * Order changes so that capacity is freed before it is taken: children going down and SPs
 * going up first, then SPs going down and children going up. Within a group, by tenant id
 * and kind, so a re-run applies the same sequence.
 */
export function orderChanges(world: AllocationWorld, planned: PlannedChange[]): PlannedChange[] {
  const rank = (c: PlannedChange): number => {
    const t = world.tenants.get(c.tenantId);
    const down = ceiling(c.limit) < ceiling(c.before);
    const isChild = t?.parent !== undefined;
    const isCap = capsTouched(world, c.tenantId).includes(c.tenantId);
    if (isChild && isCap) return 1; // odd data: both an SP and a child; between the two groups
    if (isChild) return down ? 0 : 2;
    return down ? 2 : 0;
  };
  return [...planned].sort((a, b) => rank(a) - rank(b) || a.tenantId.localeCompare(b.tenantId) || a.kind.localeCompare(b.kind));
}

/**
 * Whether a child with `limit` may join (or be created under) an SP whose other children
 * take `others`: throws RuleError naming the free capacity when it does not fit.
 */
export function requireRoomFor(
  sp: { id: string; name: string; limit: number },
  others: Allocation,
  child: { label: string; limit: number },
  kind: LimitKind,
): void {
  const before = { limit: sp.limit, alloc: others };
  const after = { limit: sp.limit, alloc: withChild(others, child.limit) };
  if (acceptable(before, after)) return;
  const free = freeCapacity(sp.limit, others);
  throw new RuleError(
    `device limit for children exhausted: ${child.label} needs ${formatLimit(child.limit)} ${kind}, but Service Provider ${sp.id} ("${sp.name}") has ${formatLimit(free)} free ` +
      `(limit ${formatLimit(sp.limit)}, ${others.sum} allocated)`,
    child.limit === UNLIMITED
      ? 'a child of a capped Service Provider cannot be unlimited; give it a number with set-device-limit first'
      : "lower the child's limit, lower another child, or raise the Service Provider's limit",
    { sp_id: sp.id, kind, free, sp_limit: sp.limit, requested: child.limit },
  );
}

/** The parent of a new or attached child must be a Service Provider that is active. */
export function requireActiveSp(sp: { id: string; name: string; service_provider: boolean; status: string; parent_tenant_id?: string | null }, what: string): void {
  if (!sp.service_provider) {
    // A child cannot be promoted (Service Providers are not nested): point at its own SP instead.
    const hint = sp.parent_tenant_id
      ? `it is a child of Service Provider ${sp.parent_tenant_id}, and Service Providers cannot be nested: use --parent ${sp.parent_tenant_id}`
      : `promote it first: tenantadm update-tenant --tenant ${sp.id} --service-provider`;
    throw new RuleError(`tenant ${sp.id} ("${sp.name}") is not a Service Provider; cannot ${what}`, hint, { sp_id: sp.id });
  }
  if (sp.status !== 'active') {
    throw new RuleError(`Service Provider ${sp.id} ("${sp.name}") is ${sp.status}; cannot ${what}`, `activate it first: tenantadm update-tenant --tenant ${sp.id} --status active`, {
      sp_id: sp.id,
    });
  }
}

/** An SP with `max_child_tenants` set has room for one more child only below that number. */
export function requireChildSlot(sp: { id: string; name: string; max_child_tenants?: number }, children: number): void {
  const max = sp.max_child_tenants;
  if (typeof max === 'number' && children >= max) {
    throw new RuleError(
      `Service Provider ${sp.id} ("${sp.name}") already has ${children} of its ${max} child tenants`,
      `raise it with tenantadm update-tenant --tenant ${sp.id} --max-child-tenants N, or remove a child`,
      { sp_id: sp.id, children, max_child_tenants: max },
    );
  }
}
