/**
 * A billing period from daily usage snapshots: per tenant and tier, device-days, peak, average
 * and end-of-period accepted devices, the limit at period end, the days recorded and the days
 * missing. A day without a snapshot is reported missing, never interpolated. Each day counts
 * under that day's parent: a child that moved from one Service Provider to another mid-month
 * is billed to each for its own days.
 */
import { UsageError } from '../errors';
import { LIMIT_KINDS, type LimitKind } from './tenant';

/** A count per device tier, named by the limit each tier counts against (standard: max_devices). */
export type Tiers = Record<LimitKind, number>;

/** What a report reads of one tenant's snapshot. */
export interface DaySnapshot {
  day: string;
  tenant_id: string;
  name: string;
  status: string;
  plan: string;
  parent_tenant_id: string | null;
  accepted: Tiers;
  /** Each limit: -1 unlimited. */
  limits: Tiers;
}

export interface TierFigures {
  /** Sum over the recorded days of the accepted devices. */
  device_days: number;
  peak: number;
  /** device_days / days recorded, two decimals. */
  average: number;
  /** Accepted devices on the last recorded day of the period. */
  end: number;
  /** The limit on that day; -1 unlimited. */
  limit_end: number;
}

export interface ReportRow {
  id: string;
  name: string;
  /** `tenant`; `total` for the sum of a Service Provider and its children (`--tree`). */
  row: 'tenant' | 'total';
  status: string;
  plan: string;
  parent_tenant_id: string | null;
  period: string;
  days_recorded: number;
  /** Days of the period (up to today) with no snapshot at all: reported, never filled in. */
  days_missing: number;
  /** The last recorded day the end figures come from. */
  end_day: string | null;
  tiers: Record<LimitKind, TierFigures>;
}

/** `2026-11` -> its first and last day and every day in between, as YYYY-MM-DD. */
export function periodDays(period: string): string[] {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(period.trim());
  if (!m) throw new UsageError(`invalid --period "${period}"`, 'a month as YYYY-MM, e.g. 2026-11');
  const year = Number(m[1]);
  const month = Number(m[2]);
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return Array.from({ length: last }, (_, i) => `${m[1]}-${m[2]}-${String(i + 1).padStart(2, '0')}`);
}

/** The days of the period that have passed (or are today) on `now`: the ones a snapshot could exist for. */
export function elapsedDays(days: readonly string[], now: Date): string[] {
  const today = now.toISOString().slice(0, 10);
  return days.filter((d) => d <= today);
}

const zero = (): Tiers => Object.fromEntries(LIMIT_KINDS.map((k) => [k, 0])) as Tiers;

function figures(series: { day: string; accepted: Tiers; limits: Tiers }[]): { tiers: Record<LimitKind, TierFigures>; end_day: string | null } {
  const sorted = [...series].sort((a, b) => a.day.localeCompare(b.day));
  const last = sorted[sorted.length - 1];
  const tiers = {} as Record<LimitKind, TierFigures>;
  for (const k of LIMIT_KINDS) {
    const values = sorted.map((s) => s.accepted[k]);
    const sum = values.reduce((a, b) => a + b, 0);
    tiers[k] = {
      device_days: sum,
      peak: values.length ? Math.max(...values) : 0,
      average: values.length ? Math.round((sum / values.length) * 100) / 100 : 0,
      end: last ? last.accepted[k] : 0,
      limit_end: last ? last.limits[k] : -1,
    };
  }
  return { tiers, end_day: last?.day ?? null };
}

/**
 * The report rows: one per tenant with snapshots in the period; with `tree` (a Service
 * Provider's id), the SP, then the tenants that were its children on some day (each counting
 * only its days under it), then their total, whose figures are those of the daily sums.
 */
export function usageReport(snapshots: readonly DaySnapshot[], period: string, elapsed: readonly string[], recorded: ReadonlySet<string>, tree?: string): ReportRow[] {
  const missing = elapsed.filter((d) => !recorded.has(d)).length;
  const byTenant = new Map<string, DaySnapshot[]>();
  for (const s of snapshots) {
    if (tree !== undefined && s.tenant_id !== tree && s.parent_tenant_id !== tree) continue;
    const list = byTenant.get(s.tenant_id) ?? [];
    list.push(s);
    byTenant.set(s.tenant_id, list);
  }
  const rowOf = (id: string, list: DaySnapshot[]): ReportRow => {
    const latest = [...list].sort((a, b) => a.day.localeCompare(b.day))[list.length - 1]!;
    const f = figures(list);
    return {
      id,
      name: latest.name,
      row: 'tenant',
      status: latest.status,
      plan: latest.plan,
      parent_tenant_id: latest.parent_tenant_id,
      period,
      days_recorded: new Set(list.map((s) => s.day)).size,
      days_missing: missing,
      end_day: f.end_day,
      tiers: f.tiers,
    };
  };
  const ids = [...byTenant.keys()].sort();
  if (tree === undefined) return ids.map((id) => rowOf(id, byTenant.get(id)!));
  const rows: ReportRow[] = [];
  if (byTenant.has(tree)) rows.push(rowOf(tree, byTenant.get(tree)!));
  for (const id of ids) if (id !== tree) rows.push(rowOf(id, byTenant.get(id)!));
  // The family's daily sums: devices of the SP and of whoever was its child that day; limits are the SP's.
  const daily = new Map<string, { day: string; accepted: Tiers; limits: Tiers }>();
  for (const list of byTenant.values()) {
    for (const s of list) {
      const d = daily.get(s.day) ?? { day: s.day, accepted: zero(), limits: Object.fromEntries(LIMIT_KINDS.map((k) => [k, -1])) as Tiers };
      for (const k of LIMIT_KINDS) d.accepted[k] += s.accepted[k];
      if (s.tenant_id === tree) d.limits = { ...s.limits };
      daily.set(s.day, d);
    }
  }
  const f = figures([...daily.values()]);
  const sp = byTenant.get(tree)?.[0];
  rows.push({
    id: tree,
    name: sp ? `${sp.name} (total)` : 'total',
    row: 'total',
    status: '',
    plan: '',
    parent_tenant_id: null,
    period,
    days_recorded: daily.size,
    days_missing: missing,
    end_day: f.end_day,
    tiers: f.tiers,
  });
  return rows;
}
