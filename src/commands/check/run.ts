/**
 * check: a read-only audit of tenant isolation and consistency, as one report (exit 0 when
 * clean, 5 when anything is found). `--repair` fixes what is safe without a person and
 * lists the rest; `--dry-run` says what it would fix. The scans live in src/store/check.ts.
 */
import type { OptionsOf } from '../../options';
import type { checkOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ExitCode, UsageError } from '../../errors';
import { confirmYes, consentNeeded } from '../../confirm';
import type { CheckScan, Finding, RepairAction } from '../../store';
import { parseDatabaseNames } from '../../domain/databases';
import { findingColumns, findingRow, nextStep, repairRow, type FindingRow } from '../../views/findings';
import { chooseTokenFormat } from '../../operations/token-format';
import { conformChildren } from '../../operations/conform-children';
import { PendingTenants } from '../../operations/pending';

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

export async function check(options: CheckOptions, deps: Deps): Promise<Result> {
  const databases = parseDatabaseNames(options.databases);
  const repairing = options.repair === true && options.dryRun !== true;
  const ask = repairing && consentNeeded(options.yes, 'check --repair', deps);

  const store = await deps.store();
  const audit = store.isolationCheck();
  // Stored tokens are compared with the format new ones get.
  const tokenFormat = await chooseTokenFormat(store, deps);
  // Operations still under way: their tenants' half-made state is said on stderr, not found
  // (an operation whose owner is gone is the unsettled_journal finding). One read of the journal.
  const pending = await PendingTenants.read(store, deps);
  const live = pending.operations.filter((op) => !op.gone);
  for (const op of live) pending.noteOperation(op);
  const inProgress = new Set(live.flatMap((op) => op.tenants));
  const scan = await audit.scan(databases ? { databases } : {}, deps.progress, { tokenFormat, inProgress });

  if (!options.repair) {
    // Each finding a person must settle says what to do next (views/findings.ts).
    const findings = scan.findings.map((f) => (f.repair === 'safe' ? f : { ...f, next_step: nextStep(f) }));
    const report: CheckReport = { clean: scan.findings.length === 0, ...scan, findings };
    return {
      type: 'object',
      data: report,
      columns: findingColumns,
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
  // Children's plan and add-ons: written through the journal like every other change.
  if (safe.some((f) => f.kind === 'child_unlike_sp')) {
    const { children } = await conformChildren(store, deps.now, audit.childrenUnlikeSp(), !repairing);
    if (children.length > 0) {
      repaired.push({ kind: 'child_unlike_sp', action: repairing ? "given its Service Provider's plan and add-ons" : "would give its Service Provider's plan and add-ons", count: children.length, sample_ids: children.slice(0, 10) });
    }
  }
  const report: RepairReport = {
    clean: remaining.length === 0,
    dry_run: !repairing,
    profile: scan.profile,
    scanned: scan.scanned,
    repaired,
    remaining: remaining.map((f) => ({ ...f, next_step: nextStep(f) })),
  };
  const rows: FindingRow[] = [
    ...repaired.map(repairRow),
    ...remaining.map((f) => findingRow(f, 'needs a person')),
  ];
  // A dry run reports like check (5 while anything is found); a repair fails only on what is left.
  const found = repairing ? remaining.length > 0 : scan.findings.length > 0;
  return { type: 'object', data: report, columns: findingColumns, rows, exitCode: found ? ExitCode.rule : ExitCode.ok };
}
