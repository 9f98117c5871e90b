/**
 * The schedule explorer of issue #18: random schedules of 2-4 simulated processes, each
 * running a few tenantadm commands against one Service Provider and its children, with
 * injected kills (TENANTADM_CRASH_AT), pauses with the locks held (TENANTADM_TEST_PAUSE_MS),
 * writes held back on the wire by a TCP proxy (tcp-proxy.ts) and writes lost with their
 * connection, then the invariants. Not covered: clock skew between hosts.
 *
 * The processes are ordered by what they say, not by sleeps: process i+1 starts once
 * process i's first command holds its locks (its pause line), has a write held by the proxy,
 * or has ended; a held write is released once every other process has ended. What happens
 * between the processes after that is the real scheduler's: the same seed replays the same
 * schedule (commands, faults, start order), and mostly the same interleaving.
 *
 * Invariants, checked after the schedule and a final `repair --all`:
 *  - no SP over-allocated in any tier (sum of its children's limits <= its limit; a child
 *    without a limit, or unlimited, under a capped SP counts as over);
 *  - no tenant removed that was active when removed (from the commands' own time intervals:
 *    only where the order is certain), no tenant lost without a removal, no change reported
 *    on a tenant already removed;
 *  - nothing left behind: no journal, plan, lease or lock record, no pending audit entry,
 *    and `tenantadm check` reports nothing;
 *  - every committed limit change has exactly one audit entry and nothing else has one: each
 *    remaining tenant's `max_devices: a -> b` entries chain from its seeded limit to its limit;
 *  - every command ended with 0, 3 (not found), 4 (conflict, lock wait) or 5 (a rule), or
 *    was killed by its hook (or 6 when its connection was dropped: a lost write).
 *
 * A command that exits 6 may have passed its commit point before its connection dropped (a
 * sweep's removal, whose roll-forward then runs in the final repair): whether it did is read
 * from the audit log after the schedule, by the actor each command runs as (`explore-p<proc>-c<i>`),
 * and it counts as done or not done accordingly. A refused command (3, 4, 5) has no entry.
 */
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import fc from 'fast-check';
import { ObjectId, type Document } from 'mongodb';
import { client, run, type Dbs, type RunResult } from '../support/harness';
import { TcpProxy, commandOn } from '../support/tcp-proxy';

/** `held`: a write held on the wire, then sent on; `lost`: held, then its connection dropped (the write never arrives). */
export type Fault = { kind: 'none' } | { kind: 'kill'; at: string } | { kind: 'pause'; ms: number } | { kind: 'held' } | { kind: 'lost' };

export type Cmd =
  | { kind: 'alloc'; child: number; value: number; fault: Fault }
  | { kind: 'plan'; child: number; value: number; child2: number; value2: number; fault: Fault }
  | { kind: 'spLimit'; value: number; fault: Fault }
  | { kind: 'suspend' | 'activate' | 'remove'; child: number; fault: Fault }
  | { kind: 'sweep' | 'repair'; fault: Fault };

export interface Schedule {
  /** Seeded limits of the children (their number is its length); the SP's limit is SP_LIMIT. */
  seeded: number[];
  procs: Cmd[][];
  /**
   * Per process but the last: the next one starts together with it (true), or once its first
   * command holds its locks (pause), has a write held, or has ended (false).
   */
  together: boolean[];
}

export const SP_LIMIT = 100;
/** Lease, lock wait: short, so a held or paused rival costs a second or two, not 30 s. */
const LEASE_MS = '2000';
const LOCK_WAIT_MS = '1500';

const LIMITS = [0, 10, 20, 30, 45, 60, 90, -1];

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Fault>({ kind: 'none' }) },
  { weight: 2, arbitrary: fc.constantFrom('step:0', 'step:1', 'commit', 'finalize').map((at): Fault => ({ kind: 'kill', at })) },
  { weight: 2, arbitrary: fc.constantFrom(200, 400, 700).map((ms): Fault => ({ kind: 'pause', ms })) },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'held' }) },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'lost' }) },
);

function cmdArb(children: number): fc.Arbitrary<Cmd> {
  const child = fc.nat({ max: children - 1 });
  const value = fc.constantFrom(...LIMITS);
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('alloc' as const), child, value, fault: faultArb }) },
    {
      weight: 2,
      arbitrary: fc
        .record({ kind: fc.constant('plan' as const), child, value, child2: child, value2: value, fault: faultArb })
        .filter((c) => c.child !== c.child2),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('spLimit' as const), value: fc.constantFrom(60, 100, 150), fault: faultArb }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('suspend' as const), child, fault: faultArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('activate' as const), child, fault: faultArb }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), child, fault: faultArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const), fault: faultArb }) },
    // repair is never killed or held here: it is what settles the others.
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('repair' as const), fault: fc.constant<Fault>({ kind: 'none' }) }) },
  );
}

/** At most one held write per schedule (it is released when every other process has ended). */
function oneHeld(procs: Cmd[][]): Cmd[][] {
  let held = false;
  return procs.map((cmds) =>
    cmds.map((c) => {
      if (c.fault.kind !== 'held' && c.fault.kind !== 'lost') return c;
      if (held) return { ...c, fault: { kind: 'none' } };
      held = true;
      return c;
    }),
  );
}

export const scheduleArb: fc.Arbitrary<Schedule> = fc.integer({ min: 2, max: 4 }).chain((children) =>
  fc
    .record({
      // A seeded world within its SP's limit (what the schedule starts from must be sound).
      seeded: fc
        .array(fc.constantFrom(0, 10, 20, 30), { minLength: children, maxLength: children })
        .filter((xs) => xs.reduce((a, b) => a + b, 0) <= SP_LIMIT),
      procs: fc.array(fc.array(cmdArb(children), { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 4 }),
      together: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    })
    .map((s) => ({ ...s, procs: oneHeld(s.procs) })),
);

/** The SP and its children as seeded, each child with a user (Mender Enterprise 4.x wants one). */
export interface World {
  sp: string;
  children: string[];
}

const HASH = bcrypt.hashSync('Sup3r-Secret-Pw!', 4);

export async function seedWorld(dbs: Dbs, seeded: number[]): Promise<World> {
  const c = await client();
  const sp = new ObjectId();
  const kids = seeded.map(() => new ObjectId());
  await c.db(dbs.tenantadm).collection('tenants').insertMany([
    { _id: sp, name: 'sp', status: 'active', plan: 'enterprise', addons: [], service_provider: true },
    ...kids.map((k, i) => ({ _id: k, name: `child-${i}`, status: 'active', plan: 'enterprise', addons: [], parent_tenant_id: sp.toHexString() })),
  ]);
  await c.db(dbs.deviceauth).collection('limits').insertMany([
    { name: 'max_devices', value: SP_LIMIT, tenant_id: sp.toHexString() },
    ...kids.map((k, i) => ({ name: 'max_devices', value: seeded[i], tenant_id: k.toHexString() })),
  ]);
  const now = new Date();
  await c
    .db(dbs.useradm)
    .collection('users')
    .insertMany(kids.map((k, i) => ({ _id: randomUUID() as never, email: `child-${i}@child.example`, password: HASH, tenant_id: k.toHexString(), roles: ['RBAC_ROLE_PERMIT_ALL'], created_ts: now, updated_ts: now })));
  return { sp: sp.toHexString(), children: kids.map((k) => k.toHexString()) };
}

function limitArg(v: number): string {
  return v < 0 ? 'unlimited' : String(v);
}

export function argsOf(cmd: Cmd, w: World): string[] {
  switch (cmd.kind) {
    case 'alloc':
      return ['set-device-limit', '--tenant', w.children[cmd.child]!, '--device-limit', limitArg(cmd.value)];
    case 'plan':
      return ['set-device-limit', '--set', `${w.children[cmd.child]}=${limitArg(cmd.value)}`, '--set', `${w.children[cmd.child2]}=${limitArg(cmd.value2)}`];
    case 'spLimit':
      return ['set-device-limit', '--tenant', w.sp, '--device-limit', limitArg(cmd.value)];
    case 'suspend':
      return ['update-tenant', '--tenant', w.children[cmd.child]!, '--status', 'suspended', '--yes'];
    case 'activate':
      return ['update-tenant', '--tenant', w.children[cmd.child]!, '--status', 'active', '--yes'];
    case 'remove':
      return ['delete-tenant', '--tenant', w.children[cmd.child]!, '--yes'];
    case 'sweep':
      return ['maintenance', 'delete-suspended-tenants', '--threshold-days', '0', '--yes'];
    case 'repair':
      return ['repair', '--all', '--yes'];
  }
}

/** Which message of the command the proxy holds back: its first write of what it changes. */
function heldMessage(cmd: Cmd): (msg: Buffer) => boolean {
  switch (cmd.kind) {
    case 'alloc':
    case 'plan':
    case 'spLimit':
      return commandOn('update', 'limits');
    case 'suspend':
    case 'activate':
      return commandOn('update', 'tenants');
    default:
      return commandOn('delete', 'tenants');
  }
}

export interface Ran {
  proc: number;
  cmd: Cmd;
  /** The actor it ran as (TENANTADM_ACTOR): its audit entries name it. */
  actor?: string;
  args: string[];
  start: number;
  end: number;
  result: RunResult;
}

export function describeRan(r: Ran): string {
  const f = r.cmd.fault.kind === 'none' ? '' : ` [${JSON.stringify(r.cmd.fault)}]`;
  return `p${r.proc} ${r.args.join(' ')}${f} -> ${r.result.signal ?? r.result.code} (${r.start}..${r.end}) ${r.result.code > 0 ? r.result.stderr.trim().split('\n').slice(-1)[0] : ''}`;
}

/** Run a schedule; the log of every command in the order they ended. */
export async function runSchedule(dbs: Dbs, w: World, s: Schedule, proxy: TcpProxy): Promise<Ran[]> {
  const log: Ran[] = [];
  const t0 = Date.now();
  const done: Promise<void>[] = [];
  let heldRelease: (() => void) | undefined;
  const othersDone: Promise<void>[] = [];
  for (let p = 0; p < s.procs.length; p++) {
    // Starts with the one before it, or once that one let it (see Schedule.together).
    let gate!: () => void;
    const gated = new Promise<void>((resolve) => (gate = resolve));
    const proc = (async () => {
      for (const [i, cmd] of s.procs[p]!.entries()) {
        const args = argsOf(cmd, w);
        const actor = `explore-p${p}-c${i}`;
        const env: NodeJS.ProcessEnv = { TENANTADM_TEST_LEASE_MS: LEASE_MS, TENANTADM_TEST_LOCK_WAIT_MS: LOCK_WAIT_MS, TENANTADM_ACTOR: actor };
        let said = '';
        const onStderr = (chunk: string) => {
          said += chunk;
          if (i === 0 && said.includes('test pause')) gate();
        };
        let hold: ReturnType<TcpProxy['holdNext']> | undefined;
        if (cmd.fault.kind === 'kill') Object.assign(env, { TENANTADM_CRASH_AT: cmd.fault.at, TENANTADM_TEST_LEASE_MS: '1' });
        if (cmd.fault.kind === 'pause') env.TENANTADM_TEST_PAUSE_MS = String(cmd.fault.ms);
        if (cmd.fault.kind === 'held' || cmd.fault.kind === 'lost') {
          const lost = cmd.fault.kind === 'lost';
          env.TENANTADM_MONGO = proxy.uri;
          // After its connections are dropped the command waits on server selection before it
          // gives up or recovers: measured about 5 s at the default 5000 ms, well under 2 s at
          // this (exit 6 is allowed either way).
          if (lost) env.TENANTADM_TIMEOUT_MS = '1000';
          hold = proxy.holdNext(heldMessage(cmd));
          const h = hold;
          void h.seen.then(async () => {
            if (i === 0) gate();
            // Released when every other process has ended (they are bounded by the lock wait).
            await new Promise<void>((resolve) => (heldRelease = resolve));
            // A lost write: its connection is dropped with the write still held, so it never arrives.
            if (lost) proxy.dropAll();
            h.release();
          });
        }
        const start = Date.now() - t0;
        const result = await run(dbs, args, { env, onStderr });
        hold?.cancel();
        log.push({ proc: p, cmd, actor, args, start, end: Date.now() - t0, result });
        if (i === 0) gate();
      }
    })();
    const ended = proc.then(() => undefined);
    done.push(ended);
    othersDone.push(ended);
    if (!s.together[p]) await Promise.race([gated, ended]);
  }
  // Release a held write once every process but its own has ended.
  const heldProc = s.procs.findIndex((cmds) => cmds.some((c) => c.fault.kind === 'held' || c.fault.kind === 'lost'));
  if (heldProc >= 0) {
    await Promise.all(othersDone.filter((_, i) => i !== heldProc));
    heldRelease?.();
    // Its hold may be seen only later (a command after others ended): release at once then.
    const poll = setInterval(() => heldRelease?.(), 20);
    await done[heldProc];
    clearInterval(poll);
  }
  await Promise.all(done);
  return log;
}

/** `repair --all` until nothing is in progress (a live owner's lease runs out within LEASE_MS). */
export async function settle(dbs: Dbs): Promise<RunResult> {
  let last!: RunResult;
  for (let i = 0; i < 20; i++) {
    last = await run(dbs, ['repair', '--all', '--yes'], { env: { TENANTADM_TEST_LEASE_MS: LEASE_MS } });
    if (last.code === 0 && JSON.parse(last.stdout).in_progress.length === 0) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

const formatLimit = (v: number | undefined) => (v === undefined || v < 0 ? 'unlimited' : String(v));

/** What broke, one line each; empty when every invariant holds. */
export async function violations(dbs: Dbs, w: World, s: Schedule, log: Ran[]): Promise<string[]> {
  const out: string[] = [];
  const c = await client();
  const tenants = await c.db(dbs.tenantadm).collection('tenants').find({}).toArray();
  const limits = await c.db(dbs.deviceauth).collection('limits').find({}).toArray();
  const audit = await c.db(dbs.audit).collection('tenantadm_audit').find({}).sort({ time: 1, _id: 1 }).toArray();
  const present = new Set(tenants.map((t) => String(t._id)));
  const limitOf = (id: string, kind: string) => limits.find((l) => l.tenant_id === id && l.name === kind)?.value as number | undefined;

  // What a command did, as the audit log says: its entries name its actor.
  const entriesOf = (r: Ran) => (r.actor ? audit.filter((a: Document) => a.actor?.id === r.actor && a.state === 'committed') : []);
  /** Whether the command's change stands: exit 0 yes; exit 6 (its connection dropped, maybe after its commit point) as its entries say; otherwise no. */
  const done = (r: Ran): boolean => (r.result.code === 6 && !r.result.signal ? entriesOf(r).length > 0 : r.result.code === 0 && !r.result.signal);

  // Exit codes.
  for (const r of log) {
    const killed = r.cmd.fault.kind === 'kill' && r.result.signal === 'SIGKILL';
    // A command whose connection was dropped may say the database failed (6).
    const ok = r.cmd.fault.kind === 'lost' ? [0, 3, 4, 5, 6] : [0, 3, 4, 5];
    if (!killed && !ok.includes(r.result.code)) out.push(`unexpected exit: ${describeRan(r)}`);
    if (!r.result.signal && [3, 4, 5].includes(r.result.code) && entriesOf(r).length > 0) {
      out.push(`audit entries of a refused command: ${describeRan(r)}: ${entriesOf(r).map((a) => a.change).join('; ')}`);
    }
  }

  // Over-allocation, every tier the SP has a limit in.
  const kids = tenants.filter((t) => t.parent_tenant_id === w.sp).map((t) => String(t._id));
  for (const kind of ['max_devices', 'max_micro_devices', 'max_system_devices']) {
    const cap = limitOf(w.sp, kind);
    if (cap === undefined || cap < 0) continue;
    const given = kids.map((k) => limitOf(k, kind));
    if (given.some((v) => v === undefined || v < 0)) out.push(`over-allocated ${kind}: a child is unlimited under a capped SP (${cap}): ${JSON.stringify(given)}`);
    else if (given.reduce((a: number, b) => a + b!, 0) > cap) out.push(`over-allocated ${kind}: children ${JSON.stringify(given)} under ${cap}`);
  }

  // Removals: only of suspended tenants, none lost, no change reported after one.
  const removedBy = (r: Ran, id: string): boolean | 'maybe' => {
    if (r.cmd.kind !== 'remove' && r.cmd.kind !== 'sweep') return false;
    if (r.result.signal) return 'maybe';
    if (r.result.code === 6) return entriesOf(r).some((a: Document) => a.action === 'delete' && a.object?.id === id);
    if (r.result.code !== 0) return false;
    if (r.cmd.kind === 'remove') return w.children[r.cmd.child] === id;
    try {
      return (JSON.parse(r.result.stdout).removed.tenants as { id: string }[]).some((t) => t.id === id);
    } catch {
      return 'maybe';
    }
  };
  for (const [i, id] of w.children.entries()) {
    const removals = log.filter((r) => removedBy(r, id) !== false);
    const definite = log.filter((r) => removedBy(r, id) === true);
    if (!present.has(id) && removals.length === 0) out.push(`child-${i} is gone, yet no removal ran`);
    if (present.has(id) && definite.length > 0) out.push(`child-${i} is still there after a removal that said it removed it: ${describeRan(definite[0]!)}`);
    const statusCmds = log.filter((r) => (r.cmd.kind === 'suspend' || r.cmd.kind === 'activate') && r.cmd.child === i);
    for (const R of definite) {
      if (statusCmds.some((e) => e.result.signal && e.start < R.end)) continue; // a killed change: its effect's time is unknown
      const ok = statusCmds.filter(done);
      const overlapping = ok.filter((e) => !(e.end < R.start) && !(e.start > R.end));
      const before = ok.filter((e) => e.end < R.start).sort((a, b) => a.end - b.end);
      const after = ok.filter((e) => e.start > R.end);
      for (const e of after) out.push(`a change ${e.result.code === 0 ? 'reported' : 'made'} on child-${i} after its removal: ${describeRan(e)} after ${describeRan(R)}`);
      if (overlapping.length > 0) continue;
      const last = before[before.length - 1];
      if (last && before.some((e) => e !== last && e.end >= last.start && e.cmd.kind !== last.cmd.kind)) continue; // ambiguous order
      const status = last ? (last.cmd.kind === 'suspend' ? 'suspended' : 'active') : 'active';
      if (status === 'active') out.push(`child-${i} removed while active: ${describeRan(R)}${last ? ` (last status change: ${describeRan(last)})` : ' (never suspended)'}`);
    }
  }

  // Nothing left behind.
  for (const coll of ['tenantadm_journal', 'tenantadm_journal_plans', 'tenantadm_leases', 'tenantadm_locks']) {
    const left = await c.db(dbs.tenantadm).collection(coll).find({}).toArray();
    if (left.length > 0) out.push(`record(s) left in ${coll}: ${JSON.stringify(left.slice(0, 3))}`);
  }
  const pending = audit.filter((a) => a.state !== 'committed');
  if (pending.length > 0) out.push(`${pending.length} audit entries not committed: ${pending.map((a) => a.change).join('; ')}`);
  const check = await run(dbs, ['check']);
  if (check.code !== 0) out.push(`check exit ${check.code}: ${check.stdout.slice(0, 1500)} ${check.stderr.slice(0, 300)}`);

  // One audit entry per committed limit change, none for what was not done.
  const seededOf = (id: string) => (id === w.sp ? SP_LIMIT : s.seeded[w.children.indexOf(id)]);
  for (const id of [w.sp, ...w.children].filter((x) => present.has(x))) {
    const chain = audit
      .filter((a: Document) => a.object?.id === id && a.state === 'committed' && typeof a.change === 'string' && a.change.startsWith('max_devices: '))
      .map((a) => /^max_devices: (\S+) -> (\S+)$/.exec(a.change as string)!.slice(1));
    let at = formatLimit(seededOf(id));
    for (const [from, to] of chain) {
      if (from !== at) out.push(`audit chain of ${id === w.sp ? 'sp' : `child-${w.children.indexOf(id)}`} broken: at ${at}, next entry ${from} -> ${to}`);
      at = to!;
    }
    const now = formatLimit(limitOf(id, 'max_devices'));
    if (at !== now) out.push(`audit of ${id === w.sp ? 'sp' : `child-${w.children.indexOf(id)}`} ends at ${at}, its limit is ${now} (entries: ${chain.map(([a, b]) => `${a} -> ${b}`).join(', ') || 'none'})`);
  }
  return out;
}

/** The whole of one schedule: seed, run, settle, check. Throws with the log when an invariant breaks. */
export async function explore(dbs: Dbs, s: Schedule, proxy: TcpProxy): Promise<void> {
  const w = await seedWorld(dbs, s.seeded);
  const log = await runSchedule(dbs, w, s, proxy);
  const repaired = await settle(dbs);
  const broken = await violations(dbs, w, s, log);
  if (process.env.EXPLORE_VERBOSE) process.stderr.write(`schedule (seeded ${JSON.stringify(s.seeded)}):\n  ${log.map(describeRan).join('\n  ')}\n  => ${broken.length ? broken.join('; ') : 'ok'}\n`);
  if (repaired.code !== 0 || JSON.parse(repaired.stdout || '{}').in_progress?.length) broken.unshift(`final repair: exit ${repaired.code} ${repaired.stdout} ${repaired.stderr}`);
  if (broken.length > 0) {
    throw new Error(`invariants broken:\n  ${broken.join('\n  ')}\nschedule (in the order the commands ended):\n  ${log.map(describeRan).join('\n  ')}`);
  }
}
