/** set-device-limit: one limit or a whole reallocation plan, checked whole and applied all-or-nothing. */
import type { OptionsOf } from '../../options';
import type { setDeviceLimitOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { UsageError } from '../../errors';
import { UNLIMITED, formatLimit, parseDeviceLimit, parseTenantId, type LimitKind } from '../../domain/tenant';
import { ceiling, planReallocation, type LimitChange, type PlannedChange } from '../../domain/allocation';
import { readPlan } from './plan';
import { ChangeSet, tenantObject, type LimitRecord, type TenantRecord } from '../../store';
import { LimitRefresh } from '../../mender/limit-cache';
import { loadWorld, withAllocationLocks, type TenantsRead } from '../../operations/allocation';
import { limitColumns, type LimitRow } from '../../views/limits';

export type SetDeviceLimitOptions = OptionsOf<typeof setDeviceLimitOptions>;

function parseSetPair(raw: string, kind: LimitKind): LimitChange {
  const m = /^([^=]+)=(.+)$/.exec(raw.trim());
  if (!m) throw new UsageError(`invalid --set "${raw}"`, 'write it as TENANT_ID=LIMIT, e.g. --set 673a03e3c9eca7a440f2f444=50');
  return { tenantId: parseTenantId(m[1]!), kind, limit: parseDeviceLimit(m[2]!) };
}

/**
 * The requested changes, from --tenant with its limit options, --set or --file: the command
 * table's constraints make sure exactly one of them is given, and --kind only without --file.
 */
async function requestedChanges(options: SetDeviceLimitOptions, deps: Deps): Promise<LimitChange[]> {
  const kind = options.kind ?? 'max_devices';
  if (options.file !== undefined) return readPlan(options.file, deps);
  if (options.set) return options.set.map((s) => parseSetPair(s, kind));
  const asked: [LimitKind, number | 'unlimited' | undefined][] = [
    [kind, options.deviceLimit],
    ['max_micro_devices', options.microDeviceLimit],
    ['max_system_devices', options.systemDeviceLimit],
  ];
  const given = asked.filter((a): a is [LimitKind, number | 'unlimited'] => a[1] !== undefined);
  if (options.tenant === undefined || given.length === 0) {
    throw new UsageError('--tenant needs a limit to set', 'e.g. set-device-limit --tenant 673a03e3c9eca7a440f2f444 --device-limit 100');
  }
  const tenantId = parseTenantId(options.tenant);
  return given.map(([k, limit]) => ({ tenantId, kind: k, limit: parseDeviceLimit(limit) }));
}

function auditChange(changes: ChangeSet, record: TenantRecord, c: PlannedChange): void {
  const t = record.tenant;
  changes.audit({
    action: 'update',
    tenantId: t.id,
    parentId: t.parent_tenant_id,
    object: tenantObject(t.id, t.name),
    change: `${c.kind}: ${formatLimit(c.before)} -> ${formatLimit(c.limit)}`,
    meta: { limit_kind: [c.kind] },
  });
}

/**
 * Set device limits, one or a whole reallocation plan, all-or-nothing: every rule is
 * checked on the plan before anything is written, under the locks of every SP involved,
 * and the writes run in an order that never over-allocates an SP (see domain/allocation).
 */
export async function setDeviceLimit(options: SetDeviceLimitOptions, deps: Deps): Promise<Result> {
  const changes = await requestedChanges(options, deps);
  const single = options.tenant !== undefined;
  // Parsed before the write: a malformed Redis URL is exit 2 with nothing written.
  const refresh = new LimitRefresh(deps.config, deps.warn);
  const ids = [...new Set(changes.map((c) => c.tenantId))];
  const kinds = [...new Set(changes.map((c) => c.kind))];
  const store = await deps.store();

  // Accepted devices are counted only where a max_devices limit goes down (without --force).
  const lowering = (limits: Map<string, LimitRecord>): string[] =>
    options.force
      ? []
      : changes.filter((c) => c.kind === 'max_devices' && c.limit !== UNLIMITED && ceiling(c.limit) < ceiling(limits.get(`${c.tenantId}/${c.kind}`)?.value ?? UNLIMITED)).map((c) => c.tenantId);

  // The steps are built in a dry run too, so a value this Mender version cannot store fails there as well.
  const decide = async (read?: TenantsRead) => {
    const loaded = await loadWorld(store, ids, kinds, { read, acceptedOf: lowering });
    const planned = planReallocation(loaded.world, changes, { force: options.force === true });
    const set = new ChangeSet('set-device-limit');
    // Entries planned (a step and an audit entry each); the writes themselves go in batches.
    const progress = single ? undefined : deps.progress('plan entries planned', planned.length);
    try {
      for (const c of planned) {
        set.add(await store.limitStep(loaded.limits.get(`${c.tenantId}/${c.kind}`)!, c.limit));
        auditChange(set, loaded.records.get(c.tenantId)!, c);
        progress?.tick();
      }
    } finally {
      progress?.done();
    }
    return { loaded, planned, set };
  };

  let outcome: Awaited<ReturnType<typeof decide>>;
  if (options.dryRun) {
    outcome = await decide();
  } else {
    await store.settleInterrupted();
    // Only limits change: children are guarded by their SP's lock, so a plan over one SP's children takes one lock.
    outcome = await withAllocationLocks(
      store,
      ids,
      [],
      async (_records, read) => {
        const decided = await decide(read);
        // Everything the command needs after its writes is known before them: the schema
        // profile names deviceauth's cache keys, and a server whose profile cannot be told
        // must refuse (exit 5) with nothing written.
        if (decided.planned.length > 0 && !refresh.throughApi) await store.profile();
        // deviceauth's cached copies are invalidated after the commit point, as a roll-forward step.
        decided.set.afterCommit(...store.cacheSteps(await refresh.limits(decided.planned, async () => (await store.profile()).name)));
        return { changes: decided.set, result: decided };
      },
      { ownLocks: false, world: true },
    );
  }

  const { loaded, planned } = outcome;
  const cacheState = options.dryRun || planned.length === 0 ? null : store.cache.state('limits');
  if (options.dryRun) deps.warn(`dry run: ${planned.length} limit(s) would change; nothing was written`);

  const changedKeys = new Set(planned.map((c) => `${c.tenantId}/${c.kind}`));
  const unchanged = changes.filter((c) => !changedKeys.has(`${c.tenantId}/${c.kind}`)).map((c) => ({ ...c, before: c.limit }));
  const rows: LimitRow[] = [...planned, ...unchanged].map((c) => ({
    id: c.tenantId,
    name: loaded.records.get(c.tenantId)?.tenant.name ?? '',
    kind: c.kind,
    before: c.before,
    after: c.limit,
    changed: changedKeys.has(`${c.tenantId}/${c.kind}`),
    cache: changedKeys.has(`${c.tenantId}/${c.kind}`) ? cacheState : null,
  }));
  // One shape for one change or many: scripts read .[0] either way.
  return { type: 'list', rows, columns: limitColumns, noun: 'limit changes' };
}
