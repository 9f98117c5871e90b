/**
 * check: a read-only audit of tenant isolation and consistency, as one report (exit 0 when
 * clean, 5 when anything is found). `--repair` fixes what is safe without a person and
 * lists the rest; `--dry-run` says what it would fix. The scans live in src/store/check.ts.
 */
import type { OptionsOf } from '../../options';
import type { checkOptions } from './spec';
import type { Deps } from '../../deps';
import type { Column, Result } from '../../output';
import { ExitCode, UsageError } from '../../errors';
import { confirmYes, consentNeeded } from '../../confirm';
import type { CheckScan, Finding, RepairAction } from '../../store';
import { parseDatabaseNames } from '../../domain/databases';

export type CheckOptions = OptionsOf<typeof checkOptions>;

export interface CheckReport extends CheckScan {
  clean: boolean;
}

export interface RepairReport {
  clean: boolean;
  dry_run: boolean;
  profile: string;
  scanned: CheckScan['scanned'];
  /** What was fixed (with --dry-run: what would be). */
  repaired: RepairAction[];
  /** What a person must look at. */
  remaining: Finding[];
}

/** One table row per finding or repair. */
interface Row {
  status: string;
  kind: string;
  where: string;
  count: number;
  sample_ids: string[];
  detail: string;
}

const columns: Column<Row>[] = [
  { header: 'STATUS', get: (r) => r.status },
  // The kind says what was found: never cut. Samples and details give way first on a narrow terminal.
  { header: 'KIND', get: (r) => r.kind, keep: true },
  { header: 'WHERE', get: (r) => r.where },
  { header: 'COUNT', get: (r) => r.count, keep: true },
  { header: 'SAMPLE IDS', get: (r) => r.sample_ids.join(' '), optional: true },
  { header: 'DETAIL', get: (r) => r.detail, optional: true },
];

function findingRow(f: Finding, status: string): Row {
  const where = f.database ? `${f.database}${f.collection ? `.${f.collection}` : ''}` : '';
  const kind = f.limit_kind ? `${f.kind} (${f.limit_kind})` : f.kind;
  return { status, kind, where, count: f.count, sample_ids: f.sample_ids, detail: f.detail };
}

export async function check(options: CheckOptions, deps: Deps): Promise<Result> {
  const databases = parseDatabaseNames(options.databases);
  const repairing = options.repair === true && options.dryRun !== true;
  const ask = repairing && consentNeeded(options.yes, 'check --repair', deps);

  const store = await deps.store();
  const audit = store.isolationCheck();
  const scan = await audit.scan(databases ? { databases } : {}, deps.progress);

  if (!options.repair) {
    const report: CheckReport = { clean: scan.findings.length === 0, ...scan };
    return {
      type: 'object',
      data: report,
      columns,
      rows: scan.findings.map((f) => findingRow(f, f.repair === 'safe' ? 'repairable' : 'needs a person')),
      exitCode: report.clean ? ExitCode.ok : ExitCode.rule,
    };
  }

  const safe = scan.findings.filter((f) => f.repair === 'safe');
  const remaining = scan.findings.filter((f) => f.repair !== 'safe');
  if (repairing && safe.length > 0) {
    const what = safe.map((f) => `${f.count} ${f.kind}`).join(', ');
    if (ask) await confirmYes(`Repair ${what}?`, deps);
  }
  const repaired = safe.length > 0 ? await audit.repair(!repairing) : [];
  const report: RepairReport = {
    clean: remaining.length === 0,
    dry_run: !repairing,
    profile: scan.profile,
    scanned: scan.scanned,
    repaired,
    remaining,
  };
  const rows: Row[] = [
    ...repaired.map((a) => ({ status: a.action, kind: a.kind, where: '', count: a.count, sample_ids: a.sample_ids, detail: '' })),
    ...remaining.map((f) => findingRow(f, 'needs a person')),
  ];
  // A dry run reports like check (5 while anything is found); a repair fails only on what is left.
  const found = repairing ? remaining.length > 0 : scan.findings.length > 0;
  return { type: 'object', data: report, columns, rows, exitCode: found ? ExitCode.rule : ExitCode.ok };
}
