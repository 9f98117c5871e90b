/** usage report: a month of daily snapshots, per tenant and tier. */
import type { OptionsOf } from '../../options';
import type { usageReportOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { parseTenantId } from '../../domain/tenant';
import { elapsedDays, periodDays, usageReport, type DaySnapshot } from '../../domain/usage-report';
import { usageReportColumns } from '../../views/usage-report';

export type UsageReportOptions = OptionsOf<typeof usageReportOptions>;

export async function usageReportCommand(options: UsageReportOptions, deps: Deps): Promise<Result> {
  const days = periodDays(options.period);
  const tree = options.tree === undefined ? undefined : parseTenantId(options.tree, 'Service Provider id');
  const tenant = options.tenant === undefined ? undefined : parseTenantId(options.tenant);
  const store = await deps.store();
  const runs = await store.usageHistory.recordedDays(days[0]!, days[days.length - 1]!);
  const selection = tree !== undefined ? { ids: [tree], parents: [tree] } : tenant !== undefined ? { ids: [tenant] } : undefined;
  const snapshots: DaySnapshot[] = [];
  for await (const s of store.usageHistory.snapshotsOf([...runs.values()], selection)) snapshots.push(s);
  const rows = usageReport(snapshots, options.period.trim(), elapsedDays(days, deps.now()), new Set(runs.keys()), tree);
  return { type: 'list', rows, columns: usageReportColumns };
}
