/** apply: make the database match a fleet file, in one journaled all-or-nothing operation. */
import { createHash } from 'node:crypto';
import type { OptionsOf } from '../../options';
import type { applyOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ConflictError } from '../../errors';
import { confirmYes, consentNeeded } from '../../confirm';
import { readDocumentText } from '../../secrets';
import { buildFleet, diffFleet, type FleetChange } from '../../domain/fleet';
import { readFleetWorld } from '../../operations/fleet';
import { tokenMaker } from '../../operations/token-format';
import { LimitRefresh } from '../../mender/limit-cache';
import { warnDirectRevocation } from '../../notices';
import { fleetChangeColumns, readFleetFile } from '../../views/fleet';
import { planApply, type ApplyPlan, type Fresh } from './plan';

export type ApplyOptions = OptionsOf<typeof applyOptions>;

export async function apply(options: ApplyOptions, deps: Deps): Promise<Result> {
  // The checksum is of the bytes given: stdin is read once, and parsed from the same text.
  const { text, source } = await readDocumentText(options.file, deps, 'fleet');
  const checksum = createHash('sha256').update(text, 'utf8').digest('hex');
  const wanted = await readFleetFile(options.file, deps, { text, source });
  const prune = options.prune === true;
  const store = await deps.store();
  // What a killed run left is settled before anything is read (it only reads when there is none).
  if (!options.dryRun) await store.settleInterrupted();

  // Read, compare, plan: nothing written, no lock taken; a file that matches ends here.
  const fresh: Fresh = { ids: new Map(), tokens: new Map(), hashes: new Map() };
  const decide = async (): Promise<ApplyPlan | null> => {
    const world = await readFleetWorld(store);
    const rows = diffFleet(buildFleet(world.state, 'keep'), wanted, { prune });
    if (rows.length === 0) return null;
    if (rows.some((r) => r.action === 'create' && !r.field?.startsWith('users[')) && !fresh.makeToken) fresh.makeToken = (await tokenMaker(store, deps)).make;
    return planApply(store, deps, world, wanted, rows, fresh, { prune, checksum, source });
  };
  const first = await decide();
  const say = (plan: ApplyPlan | null) => {
    for (const note of plan?.notes ?? []) deps.warn(note);
  };
  const output = (rows: FleetChange[]): Result => ({ type: 'list', rows, columns: fleetChangeColumns, noun: 'changes' });
  if (!first || first.rows.length === 0) {
    say(first);
    deps.warn('no changes: the database matches the file');
    return output([]);
  }
  if (options.dryRun) {
    say(first);
    deps.warn(`dry run: ${first.rows.length} change(s) would be made; nothing was written`);
    return output(first.rows);
  }
  if (consentNeeded(options.yes, `apply -f ${source} (${first.rows.length} change(s))`, deps)) {
    await confirmYes(`Apply ${first.rows.length} change(s) from ${source}?`, deps);
  }

  // Parsed before the write: a malformed Redis URL is exit 2 with nothing written.
  const refresh = new LimitRefresh(deps.config, deps.warn);
  let revoked: ReturnType<typeof store.revokeTokensManySteps> | undefined;
  const made = await store.exclusive<ApplyPlan | null>(first.locks, async () => {
    // Everything again under the locks: what is written is decided on what they guard.
    const plan = await decide();
    if (!plan || plan.rows.length === 0) return { changes: null, result: plan };
    const held = new Set(first.locks);
    if (plan.locks.some((k) => !held.has(k))) {
      throw new ConflictError('the tenants changed while apply read them', 'nothing was changed; run it again');
    }
    // Everything needed after the writes is known before them (the profile names deviceauth's cache keys).
    if (plan.limits.length > 0 && !refresh.throughApi) await store.profile();
    plan.changes.afterCommit(...store.cacheSteps(await refresh.limits(plan.limits, async () => (await store.profile()).name)));
    if (plan.suspended.length > 0) {
      // Suspension takes access away now, as update-tenant --status suspended does.
      revoked = store.revokeTokensManySteps(plan.suspended);
      plan.changes.afterCommit(...revoked.steps, ...store.cacheSteps(refresh.tenants(plan.suspended)));
    }
    return { changes: plan.changes, result: plan };
  });
  say(made);
  if (revoked && revoked.direct.length > 0) warnDirectRevocation(deps, revoked.direct);
  if (!made || made.rows.length === 0) {
    deps.warn('no changes: the database matches the file');
    return output([]);
  }
  return output(made.rows);
}
