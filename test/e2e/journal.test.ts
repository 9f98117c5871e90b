/**
 * The journal-and-locks core under slow and dead processes, in-process against the real
 * database: each "process" is a Journal with its own owner token, the clock is injected and
 * moved by the test, lease renewal ticks only when the test says, and fault hooks pause or
 * kill an owner at a chosen point. Nothing here waits on time to decide a race. The last
 * part is the reproduction with the built binary: a holder paused past its lease.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { MongoClient, ObjectId, type Document } from 'mongodb';
import { Journal, LostOwnership, ProcessKilled, type FaultHooks, type FaultPoint, type Operation, type RenewalTimer, type Step } from '../../src/journal/journal';
import { spLock, tenantLock, type LockKey } from '../../src/journal/locks';
import { Chains, newOwner, processStart, type LeaseRecord, type Owner } from '../../src/journal/ownership';
import { BIN, cliEnv, client, closeClient, dropAll, freshDbs, run, seedDeviceauthVersion, state, type Dbs } from '../support/harness';
import { childLimits, storedLimit } from '../support/limits';

const LEASE = 10_000;

class Clock {
  private t = Date.parse('2030-01-01T00:00:00Z');
  readonly now = () => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Renewal that runs only when the test ticks it. */
class ManualRenewal {
  private readonly running = new Set<() => Promise<void>>();
  readonly timer: RenewalTimer = (renew) => {
    this.running.add(renew);
    return () => this.running.delete(renew);
  };
  async tick(): Promise<void> {
    await Promise.all([...this.running].map((renew) => renew()));
  }
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** A hook that stops an owner at `point` until released, and says when it got there. */
function pauseAt(point: FaultPoint): { hooks: FaultHooks; reached: Promise<void>; release: () => void } {
  const reached = gate();
  const release = gate();
  return {
    hooks: {
      breakBefore: /^(step|sending):/.test(point) ? [Number(point.split(':')[1])] : [],
      at: async (p) => {
        if (p !== point) return;
        reached.open();
        await release.wait;
      },
    },
    reached: reached.wait,
    release: release.open,
  };
}

const noServices = {
  apply: async () => {
    throw new Error('no service steps in these tests');
  },
  undo: async () => undefined,
  deliver: async () => {
    throw new Error('no deliveries in these tests');
  },
};

let dbs: Dbs;
let c: MongoClient;
const clock = new Clock();

beforeEach(async () => {
  dbs = freshDbs();
  c = await client();
});
afterEach(async () => {
  await dropAll(dbs);
});
afterAll(async () => {
  await closeClient();
});

/** One tenantadm process: its own owner token, the shared clock. */
function processCore(options: { hooks?: FaultHooks; renewal?: ManualRenewal; db?: MongoClient; batchSize?: number; owner?: Owner } = {}): Journal {
  return new Journal(options.db ?? c, (options.db ?? c).db(dbs.tenantadm), noServices, {
    // The server's clock is the test's: leases are measured on it, and the test moves it.
    clock: clock.now,
    serverTime: async () => clock.now(),
    leaseMs: LEASE,
    lockWaitMs: 0,
    hooks: options.hooks,
    owner: options.owner ?? { token: randomUUID(), host: 'test-host', pid: 4242 },
    renewal: (options.renewal ?? new ManualRenewal()).timer,
    batchSize: options.batchSize,
  });
}

const counters = () => ({ db: dbs.useradm, coll: 'counters' });
const log = () => ({ db: dbs.audit, coll: 'log' });

function setCounter(id: string, from: number, to: number): Step {
  return { kind: 'update', target: counters(), id, before: { set: { value: from }, unset: [] }, after: { set: { value: to }, unset: [] } };
}

function op(steps: Step[], finalize: Step[] = []): Operation {
  return { command: 'test', actor: 'tester', steps, finalize };
}

async function seedCounters(ids: string[]): Promise<void> {
  await c.db(dbs.useradm).collection<Document>('counters').insertMany(ids.map((id) => ({ _id: id as unknown as ObjectId, value: 0 })));
}

async function values(): Promise<Record<string, number>> {
  const docs = await c.db(dbs.useradm).collection('counters').find({}).toArray();
  return Object.fromEntries(docs.map((d) => [String(d._id), d.value as number]));
}

/** The journal's operations and their plans. */
async function journalDocs(): Promise<Document[]> {
  const db = c.db(dbs.tenantadm);
  return [...(await db.collection('tenantadm_journal').find({}).toArray()), ...(await db.collection('tenantadm_journal_plans').find({}).toArray())];
}

async function chainDocs(): Promise<Document[]> {
  return c.db(dbs.tenantadm).collection('tenantadm_leases').find({}).toArray();
}

async function lockDocs(): Promise<Document[]> {
  return c.db(dbs.tenantadm).collection('tenantadm_locks').find({}).toArray();
}

const KEY: LockKey = spLock('0123456789abcdef01234567');

/** Owner A: under KEY, sets a then b to 10, pausing before step 1 (a written, b not). */
function slowOwner(renewal: ManualRenewal) {
  const pause = pauseAt('step:1');
  const core = processCore({ hooks: pause.hooks, renewal });
  const done = core.exclusive([KEY], async () => ({ op: op([setCounter('a', 0, 10), setCounter('b', 0, 10)]), result: 'A' }));
  done.catch(() => undefined);
  return { ...pause, done };
}

describe('a slow owner', () => {
  it('keeps its operation and locks while its lease is renewed, whatever the time it takes', async () => {
    await seedCounters(['a', 'b']);
    const renewal = new ManualRenewal();
    const a = slowOwner(renewal);
    await a.reached;
    expect(await values()).toEqual({ a: 10, b: 0 });
    for (let i = 0; i < 5; i++) {
      clock.advance(LEASE * 0.9);
      await renewal.tick();
    }
    // Far past the first lease: another process finds the holder alive and neither waits forever nor takes over.
    const b = processCore();
    await expect(b.exclusive([KEY], async () => ({ op: op([setCounter('a', 10, 5)]), result: 'B' }))).rejects.toThrow(/is busy/);
    const report = await b.repair();
    expect(report).toMatchObject({ rolled_back: [], finalized: [] });
    expect(report.in_progress).toHaveLength(1);
    a.release();
    await expect(a.done).resolves.toBe('A');
    expect(await values()).toEqual({ a: 10, b: 10 });
    expect(await journalDocs()).toEqual([]);
    expect(await lockDocs()).toEqual([]);
  });

  it('without renewal is taken over once its lease expires; its next check fails and it writes nothing more', async () => {
    await seedCounters(['a', 'b']);
    const a = slowOwner(new ManualRenewal());
    await a.reached;
    clock.advance(LEASE + 1);
    const b = processCore();
    // B breaks A's lock: A's operation is rolled back first (a back to 0), then B decides on what it reads.
    const seen = await b.exclusive([KEY], async () => {
      const v = await values();
      return { op: op([setCounter('a', v.a!, 5)]), result: v };
    });
    expect(seen).toEqual({ a: 0, b: 0 });
    a.release();
    const err = await a.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LostOwnership);
    expect((err as LostOwnership).code).toBe('conflict');
    expect(await values()).toEqual({ a: 5, b: 0 });
    expect(await journalDocs()).toEqual([]);
    expect(await lockDocs()).toEqual([]);
  });

  it('that loses its lock meanwhile learns it at its next renewal and stops', async () => {
    await seedCounters(['a', 'b']);
    const renewal = new ManualRenewal();
    const a = slowOwner(renewal);
    await a.reached;
    clock.advance(LEASE + 1);
    const b = processCore();
    await b.repair();
    await renewal.tick();
    a.release();
    await expect(a.done).rejects.toBeInstanceOf(LostOwnership);
    expect(await values()).toEqual({ a: 0, b: 0 });
  });
});

/** A client that counts the write commands sent to each collection (`update tenantadm_locks` etc.). */
async function countingClient(): Promise<{ db: MongoClient; writes: Map<string, number> }> {
  const db = await MongoClient.connect(state().uri, { monitorCommands: true });
  const writes = new Map<string, number>();
  db.on('commandStarted', (e) => {
    if (!['insert', 'update', 'delete'].includes(e.commandName)) return;
    const key = `${e.commandName} ${String(e.command[e.commandName])}`;
    writes.set(key, (writes.get(key) ?? 0) + 1);
  });
  return { db, writes };
}

describe('a holder between its checks and its writes', () => {
  const KEY2: LockKey = tenantLock('0123456789abcdef01234567');

  it('takes all its locks in one insert and writes its operation with the plan: no lock check while provably fresh', async () => {
    await seedCounters(['a']);
    const { db, writes } = await countingClient();
    try {
      await processCore({ db }).exclusive([KEY2, KEY], async () => ({ op: op([setCounter('a', 0, 1)]), result: null }));
      expect(Object.fromEntries(writes)).toEqual({
        // The take (before the locks) and the commit: the lease taken just before is the first step's check.
        'insert tenantadm_leases': 2,
        'insert tenantadm_locks': 1,
        'insert tenantadm_journal': 1,
        'update counters': 1,
        'delete tenantadm_journal': 1,
        'delete tenantadm_locks': 1,
        'delete tenantadm_leases': 1,
      });
      expect(await values()).toEqual({ a: 1 });
      expect(await journalDocs()).toEqual([]);
      expect(await lockDocs()).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('confirms its ownership with one insert once lease/3 passed since its last confirmation', async () => {
    await seedCounters(['a']);
    const { db, writes } = await countingClient();
    try {
      await processCore({ db }).exclusive([KEY], async () => {
        clock.advance(LEASE / 3 + 1);
        return { op: op([setCounter('a', 0, 1)]), result: null };
      });
      // Take, the confirmation, the commit.
      expect(writes.get('insert tenantadm_leases')).toBe(3);
      expect(await values()).toEqual({ a: 1 });
    } finally {
      await db.close();
    }
  });

  it('a renewal in time is a confirmation: no check after it', async () => {
    await seedCounters(['a']);
    const { db, writes } = await countingClient();
    const renewal = new ManualRenewal();
    try {
      await processCore({ db, renewal }).exclusive([KEY], async () => {
        clock.advance(LEASE / 3 + 1);
        await renewal.tick();
        return { op: op([setCounter('a', 0, 1)]), result: null };
      });
      // Take, the renewal, the commit: no check of its own.
      expect(writes.get('insert tenantadm_leases')).toBe(3);
    } finally {
      await db.close();
    }
  });

  it('whose lock was taken by a rival after its lease expired stops before writing anything (exit 4)', async () => {
    await seedCounters(['a']);
    const err = await processCore()
      .exclusive([KEY], async () => {
        clock.advance(LEASE + 1);
        // The rival finds the lock expired and no operation written: it breaks it and writes.
        await processCore().exclusive([KEY], async () => ({ op: op([setCounter('a', 0, 5)]), result: null }));
        return { op: op([setCounter('a', 0, 1)]), result: null };
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LostOwnership);
    expect((err as LostOwnership).code).toBe('conflict');
    expect(await values()).toEqual({ a: 5 });
    expect(await journalDocs()).toEqual([]);
    expect(await lockDocs()).toEqual([]);
  });

  it('keeps the keys before a busy one and leaves none behind when it gives up', async () => {
    // A live rival holds the second key (in sorted order).
    const rival = pauseAt('decided');
    const held = processCore({ hooks: rival.hooks }).exclusive([KEY2], async () => ({ op: null, result: null }));
    await rival.reached;
    const { db, writes } = await countingClient();
    try {
      await expect(processCore({ db }).exclusive([KEY2, KEY], async () => ({ op: null, result: null }))).rejects.toThrow(new RegExp(`${KEY2} is busy`));
      expect(writes.get('insert tenantadm_locks')).toBe(1);
      expect((await lockDocs()).map((l) => l._id)).toEqual([KEY2]);
    } finally {
      await db.close();
    }
    rival.release();
    await held;
    expect(await lockDocs()).toEqual([]);
  });

  it('repair --all leaves the current locks of a command still reading (it wrote nothing)', async () => {
    await seedCounters(['a']);
    const reading = gate();
    const resume = gate();
    const renewal = new ManualRenewal();
    const a = processCore({ renewal }).exclusive([KEY], async () => {
      reading.open();
      await resume.wait;
      return { op: op([setCounter('a', 0, 1)]), result: 'A' };
    });
    a.catch(() => undefined);
    await reading.wait;
    await processCore().repair({ all: true });
    expect((await lockDocs()).map((l) => l._id)).toEqual([KEY]);
    resume.open();
    await expect(a).resolves.toBe('A');
    expect(await values()).toEqual({ a: 1 });
  });
});

describe('repair', () => {
  it('never rolls back an operation whose owner is alive; --all ends its ownership, the owner stops (exit 4), and it is settled once the lease ran out', async () => {
    await seedCounters(['a', 'b']);
    const a = slowOwner(new ManualRenewal());
    await a.reached;
    const other = processCore();
    expect((await other.repair()).rolled_back).toEqual([]);
    expect(await values()).toEqual({ a: 10, b: 0 });
    // Finding 4: --all takes no live owner over; it reports when the operation can be settled.
    const forced = await other.repair({ all: true });
    expect(forced).toMatchObject({ rolled_back: [], finalized: [], in_progress: [{ state: 'pending', expired: true, lease_until: new Date(clock.now().getTime() + LEASE) }] });
    expect(await values()).toEqual({ a: 10, b: 0 });
    a.release();
    await expect(a.done).rejects.toBeInstanceOf(LostOwnership);
    // The owner does not undo by value without the locks (afterLoss: it waited for them within the lock
    // wait, in vain: its own expired operation holds them). Its write stands under those locks, which stay
    // until the operation is settled: nobody builds on it.
    expect(await values()).toEqual({ a: 10, b: 0 });
    expect((await lockDocs()).map((l) => l._id)).toEqual([KEY]);
    clock.advance(LEASE + 1);
    expect((await other.repair()).rolled_back).toHaveLength(1);
    expect(await values()).toEqual({ a: 0, b: 0 });
    expect(await journalDocs()).toEqual([]);
    expect(await lockDocs()).toEqual([]);
    expect(await chainDocs()).toEqual([]);
  });

  it('takes over a dead owner once its lease has expired, not before', async () => {
    await seedCounters(['a', 'b']);
    const dead = processCore({
      hooks: {
        breakBefore: [1],
        at: (p) => {
          if (p === 'step:1') throw new ProcessKilled(p);
        },
      },
    });
    await expect(dead.exclusive([KEY], async () => ({ op: op([setCounter('a', 0, 10), setCounter('b', 0, 10)]), result: null }))).rejects.toBeInstanceOf(ProcessKilled);
    const b = processCore();
    const body = async () => {
      const v = await values();
      return { op: op([setCounter('b', v.b!, 7)]), result: v };
    };
    await expect(b.exclusive([KEY], body)).rejects.toThrow(/is busy/);
    expect(await values()).toEqual({ a: 10, b: 0 });
    clock.advance(LEASE + 1);
    expect(await b.exclusive([KEY], body)).toEqual({ a: 0, b: 0 });
    expect(await values()).toEqual({ a: 0, b: 7 });
    expect(await journalDocs()).toEqual([]);
    expect(await lockDocs()).toEqual([]);
  });
});

describe('a kill at every point', () => {
  /** Two inserts and three updates in two collections, then an audit-like settle after the commit. */
  function plan(): { operation: Operation; points: FaultPoint[] } {
    const entry = (n: number): Document => ({ _id: `entry-${n}`, state: 'pending', n });
    const settle = (n: number): Step => ({ kind: 'update', target: log(), id: `entry-${n}`, before: { set: { state: 'pending' }, unset: [] }, after: { set: { state: 'committed' }, unset: [] } });
    const steps: Step[] = [
      { kind: 'insert', target: counters(), doc: { _id: 'c', value: 3 } },
      setCounter('a', 0, 10),
      setCounter('b', 0, 20),
      { kind: 'delete', target: counters(), doc: { _id: 'gone', value: 1 } },
      { kind: 'insert', target: log(), doc: entry(1) },
      { kind: 'insert', target: log(), doc: entry(2) },
    ];
    return {
      operation: op(steps, [settle(1), settle(2)]),
      points: [...steps.map((_, i) => `step:${i}` as FaultPoint), 'commit', 'finalize'],
    };
  }

  async function everything(): Promise<{ counters: Document[]; log: Document[] }> {
    return {
      counters: await c.db(dbs.useradm).collection('counters').find({}).sort({ _id: 1 }).toArray(),
      log: await c.db(dbs.audit).collection('log').find({}).sort({ _id: 1 }).toArray(),
    };
  }

  const points: FaultPoint[] = ['step:0', 'step:1', 'step:2', 'step:3', 'step:4', 'step:5', 'commit', 'finalize'];
  it('the points are every step of the plan, the commit and the roll-forward', () => {
    expect(points).toEqual(plan().points);
  });

  it.each(points)('killed at %s, then repaired: as before, or finished once committed', async (point) => {
    await seedCounters(['a', 'b', 'gone']);
    await c.db(dbs.useradm).collection<Document>('counters').updateOne({ _id: 'gone' as unknown as ObjectId }, { $set: { value: 1 } });
    const before = await everything();
    const { operation } = plan();
    const dying = processCore({
      hooks: {
        breakBefore: /^(step|sending):/.test(point) ? [Number(point.split(':')[1])] : [],
        at: (p) => {
          if (p === point) throw new ProcessKilled(p);
        },
      },
    });
    await expect(dying.exclusive([KEY], async () => ({ op: operation, result: null }))).rejects.toBeInstanceOf(ProcessKilled);
    clock.advance(LEASE + 1);
    const report = await processCore().repair();
    if (point === 'finalize') {
      expect(report.finalized).toHaveLength(1);
      const after = await everything();
      expect(after.counters.map((d) => [d._id, d.value])).toEqual([
        ['a', 10],
        ['b', 20],
        ['c', 3],
      ]);
      expect(after.log.map((d) => d.state)).toEqual(['committed', 'committed']);
    } else {
      expect(report.rolled_back).toHaveLength(1);
      expect(await everything()).toEqual(before);
    }
    expect(await journalDocs()).toEqual([]);
    expect(await lockDocs()).toEqual([]);
  });
});

describe('undo', () => {
  it("of an insert that lost a race never deletes the winner's document", async () => {
    await c.db(dbs.useradm).collection<Document>('counters').insertOne({ _id: 'settings' as unknown as ObjectId, by: 'winner' });
    const loser = processCore();
    const steps: Step[] = [
      { kind: 'insert', target: counters(), doc: { _id: 'mine', by: 'loser' } },
      { kind: 'insert', target: counters(), doc: { _id: 'settings', by: 'loser' } },
    ];
    await expect(loser.run(op(steps))).rejects.toThrow();
    expect(await c.db(dbs.useradm).collection('counters').find({}).toArray()).toEqual([{ _id: 'settings', by: 'winner' }]);
    expect(await journalDocs()).toEqual([]);
  });

  it('of an update restores only what it wrote', async () => {
    await seedCounters(['a', 'b']);
    const pause = pauseAt('step:1');
    const owner = processCore({ hooks: pause.hooks });
    const done = owner.run(op([setCounter('a', 0, 10), setCounter('b', 1, 2)]));
    await pause.reached;
    // Someone else changes a meanwhile; step 1 then fails (b is not 1) and the undo of a must leave their value.
    await c.db(dbs.useradm).collection<Document>('counters').updateOne({ _id: 'a' as unknown as ObjectId }, { $set: { value: 99 } });
    pause.release();
    await expect(done).rejects.toThrow(/changed while this command ran/);
    expect(await values()).toEqual({ a: 99, b: 0 });
  });
});

describe('where the plan lives', () => {
  it('a small plan in its operation document, a big one apart; repair finds either', async () => {
    await seedCounters(['a', 'b']);
    const killedBeforeStep1 = (): FaultHooks => ({
      breakBefore: [1],
      at: (p) => {
        if (p === 'step:1') throw new ProcessKilled(p);
      },
    });
    const db = c.db(dbs.tenantadm);
    for (const size of ['small', 'big'] as const) {
      const finalize: Step[] = size === 'big' ? [{ kind: 'insertMany', target: log(), docs: [{ _id: 'bulky', text: 'x'.repeat(20_000) }] }] : [];
      const operation = op([setCounter('a', 0, 1), setCounter('b', 0, 1)], finalize);
      await expect(processCore({ hooks: killedBeforeStep1() }).run(operation)).rejects.toBeInstanceOf(ProcessKilled);
      const [doc] = await db.collection('tenantadm_journal').find({}).toArray();
      const apart = await db.collection('tenantadm_journal_plans').findOne({ _id: doc!._id });
      if (size === 'small') {
        expect({ inline: doc!.steps?.length, apart }).toEqual({ inline: 2, apart: null });
      } else {
        expect({ inline: doc!.steps, apart: apart?.steps.length }).toEqual({ inline: undefined, apart: 2 });
      }
      expect(await values()).toEqual({ a: 1, b: 0 });
      clock.advance(LEASE + 1);
      expect((await processCore().repair()).rolled_back).toEqual([doc!._id]);
      expect(await values()).toEqual({ a: 0, b: 0 });
      expect(await journalDocs()).toEqual([]);
    }
  });
});

describe('big plans', () => {
  it('cost a few round trips per batch, not one per step', async () => {
    // FerretDB spends ~10 ms per updated document whatever the batching: 200 keep this test short.
    const n = 200;
    const ids = Array.from({ length: n }, (_, i) => `k${i}`);
    await seedCounters(ids);
    const monitored = await MongoClient.connect(state().uri, { monitorCommands: true });
    try {
      let writes = 0;
      monitored.on('commandStarted', (e) => {
        if (['insert', 'update', 'delete'].includes(e.commandName)) writes += 1;
      });
      const core = processCore({ db: monitored });
      const steps: Step[] = [
        ...ids.map((id) => setCounter(id, 0, 1)),
        ...ids.map((id): Step => ({ kind: 'insert', target: log(), doc: { _id: `e-${id}`, state: 'pending' } })),
      ];
      const finalize: Step[] = ids.map((id) => ({ kind: 'update', target: log(), id: `e-${id}`, before: { set: { state: 'pending' }, unset: [] }, after: { set: { state: 'committed' }, unset: [] } }));
      await core.exclusive([KEY], async () => ({ op: op(steps, finalize), result: null }));
      process.stderr.write(`journal: ${steps.length} steps + ${finalize.length} finalize steps in ${writes} write commands\n`);
      // Lock, the operation, its plan (too big for the operation document: apart, then a check); 40 update batches of 50 (FerretDB's limit, see journal.ts) and 2 insert
      // batches of 1000, each after its ownership check; commit; 40 finalize batches; delete, unlock.
      expect(writes).toBeLessThanOrEqual(2 * (n / 50 + n / 1000) + n / 50 + 10);
      expect(Object.values(await values()).every((v) => v === 1)).toBe(true);
      expect(await c.db(dbs.audit).collection('log').countDocuments({ state: 'committed' })).toBe(n);
    } finally {
      await monitored.close();
    }
  });
});

describe('the reproduction: a holder paused past its lease', () => {
  beforeEach(async () => {
    await seedDeviceauthVersion(dbs);
    const m = await run(dbs, ['migrate']);
    if (m.code !== 0) throw new Error(`migrate failed: ${m.stderr}`);
  });

  /** Run the CLI; `onStderr` sees its stderr as it comes. */
  function spawnCli(args: string[], env: NodeJS.ProcessEnv, onStderr: (text: string) => void = () => undefined) {
    return new Promise<{ code: number; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(dbs, env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stdout.resume();
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        onStderr(stderr);
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
    });
  }

  it('set-device-limit: exactly one winner, never over-allocated', async () => {
    const sp = new ObjectId();
    const kids = [new ObjectId(), new ObjectId()];
    await c.db(dbs.tenantadm).collection('tenants').insertMany([
      { _id: sp, name: 'sp', status: 'active', plan: 'enterprise', addons: [], service_provider: true },
      ...kids.map((k, i) => ({ _id: k, name: `child-${i}`, status: 'active', plan: 'enterprise', addons: [], parent_tenant_id: sp.toHexString() })),
    ]);
    await c.db(dbs.deviceauth).collection('limits').insertMany([
      { name: 'max_devices', value: 10, tenant_id: sp.toHexString() },
      ...kids.map((k) => ({ name: 'max_devices', value: 0, tenant_id: k.toHexString() })),
    ]);
    // A 200 ms lease, and a holder that stays 3 s between its check and its write (15 leases).
    const paused = gate();
    const first = spawnCli(['set-device-limit', '--tenant', kids[0]!.toHexString(), '--device-limit', '10'], { TENANTADM_TEST_LEASE_MS: '200', TENANTADM_TEST_PAUSE_MS: '3000' }, (err) => {
      if (err.includes('test pause')) paused.open();
    });
    await Promise.race([paused.wait, first.then((r) => Promise.reject(new Error(`the holder ended before its pause: ${r.stderr}`)))]);
    // The rival starts while the holder is paused, holding the SP's lock.
    // It may wait 60 s for the lock (2 x --timeout), far more than the pause: its outcome is decided by the rule, not by a wait.
    const second = await spawnCli(['set-device-limit', '--tenant', kids[1]!.toHexString(), '--device-limit', '10', '--timeout', '30000'], { TENANTADM_TEST_LEASE_MS: '200' });
    const held = await first;
    // The race happened: the rival found the lock held and waited for it.
    expect(second.stderr).toMatch(new RegExp(`waiting for sp:${sp.toHexString()}`));
    expect([held.code, second.code]).toEqual([0, 5]);
    expect(second.stderr).toMatch(/has 0 free/);
    expect(await storedLimit(dbs, kids[0]!.toHexString())).toBe(10);
    expect(await storedLimit(dbs, kids[1]!.toHexString())).toBe(0);
    expect((await childLimits(dbs, sp.toHexString())).reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(10);
    expect(await journalDocs()).toEqual([]);
    expect(await lockDocs()).toEqual([]);
  });
});

/** The commands sent to the ownership collections (locks, leases, journal) by a client, e.g. `update tenantadm_locks`. */
async function watchedClient(): Promise<{ db: MongoClient; sent: string[] }> {
  const db = await MongoClient.connect(state().uri, { monitorCommands: true });
  const sent: string[] = [];
  db.on('commandStarted', (e) => {
    const coll = String(e.command[e.commandName]);
    if (/^tenantadm_(locks|leases|journal)$/.test(coll)) sent.push(`${e.commandName} ${coll}`);
  });
  return { db, sent };
}

/** A process of this machine that is gone: its pid and the start time it had. */
async function deadProcess(): Promise<{ pid: number; start: string }> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const start = processStart(child.pid!)!;
  expect(start).toBeDefined();
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return { pid: child.pid!, start };
}

describe('ownership by inserts only, in server time, dead owners (issue 18)', () => {
  it('finding 1: takeovers, renewals, repair --all and commits send only inserts, deletes and reads to the ownership collections', async () => {
    await seedCounters(['a', 'b']);
    const { db, sent } = await watchedClient();
    try {
      const renewal = new ManualRenewal();
      const pause = pauseAt('step:1');
      const a = processCore({ db, hooks: pause.hooks, renewal }).exclusive([KEY], async () => ({ op: op([setCounter('a', 0, 10), setCounter('b', 0, 10)]), result: 'A' }));
      a.catch(() => undefined);
      await pause.reached;
      await renewal.tick();
      const other = processCore({ db });
      await other.repair({ all: true });
      await renewal.tick();
      pause.release();
      await expect(a).rejects.toBeInstanceOf(LostOwnership);
      clock.advance(LEASE + 1);
      await other.repair();
      await processCore({ db }).exclusive([KEY], async () => ({ op: op([setCounter('a', 0, 3)]), result: null }));
      expect(await values()).toEqual({ a: 3, b: 0 });
      expect(sent.length).toBeGreaterThan(10);
      expect(sent.filter((s) => !/^(insert|delete|find|count|aggregate) /.test(s))).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('finding 1 (stress): an owner renewing and a rival claiming the same place, 40 times on two connections: exactly one owner, no lost increment', async () => {
    await seedCounters(['a']);
    let ownerWins = 0;
    let rivalWins = 0;
    const other = await MongoClient.connect(state().uri);
    const increment = async (result: string) => {
      const v = await values();
      return { op: op([setCounter('a', v.a!, v.a! + 1)]), result };
    };
    try {
      for (let i = 0; i < 40; i++) {
        const renewal = new ManualRenewal();
        const holding = gate();
        const release = gate();
        const a = processCore({ renewal }).exclusive([KEY], async () => {
          holding.open();
          await release.wait;
          return increment('owner');
        });
        a.catch(() => undefined);
        await holding.wait;
        // The owner's lease has run out: its renewal and a rival's claim race for the next place.
        clock.advance(LEASE + 1);
        const rival = processCore({ db: other });
        // The rival needs a few round trips before its claim: the owner's renewal starts 0 to 9 ms later, so either may get there first.
        const renewing = new Promise<void>((r) => setTimeout(() => void renewal.tick().then(r), i % 10));
        const [, rivalResult] = await Promise.all([renewing, rival.exclusive([KEY], () => increment('rival')).catch((e: unknown) => e)]);
        release.open();
        const ownerResult = await a.catch((e: unknown) => e);
        if (rivalResult === 'rival') {
          rivalWins++;
          expect(ownerResult).toBeInstanceOf(LostOwnership);
        } else {
          ownerWins++;
          expect(String(rivalResult)).toMatch(/is busy/);
          expect(ownerResult).toBe('owner');
        }
        expect(await values()).toEqual({ a: i + 1 });
        expect(await lockDocs()).toEqual([]);
        expect(await chainDocs()).toEqual([]);
      }
    } finally {
      await other.close();
    }
    process.stderr.write(`claim vs renew: owner kept it ${ownerWins} times, rival took it ${rivalWins} times\n`);
  });

  it('finding 1 (stress): two connections inserting the same place of a chain, 200 times: exactly one insert goes in each time', async () => {
    const other = await MongoClient.connect(state().uri);
    try {
      const mine = new Chains(c.db(dbs.tenantadm).collection<LeaseRecord>('tenantadm_leases'));
      const theirs = new Chains(other.db(dbs.tenantadm).collection<LeaseRecord>('tenantadm_leases'));
      const record = (owner: string, n: number) => ({ op: 'stress', n, kind: 'renew' as const, owner, host: 'h', pid: 1, lease_until: clock.now(), at: clock.now() });
      const wins = { mine: 0, theirs: 0 };
      for (let n = 0; n < 200; n++) {
        const [a, b] = await Promise.all([mine.append(record('mine', n)), theirs.append(record('theirs', n))]);
        expect([a, b].filter(Boolean)).toHaveLength(1);
        wins[a ? 'mine' : 'theirs']++;
        expect((await mine.head('stress'))?.owner).toBe(a ? 'mine' : 'theirs');
      }
      process.stderr.write(`same place from two connections: ${wins.mine} / ${wins.theirs}\n`);
    } finally {
      await other.close();
    }
  });

  it('finding 4: repair --all with a batch on the wire never takes the owner over; a rival waits until it is settled', async () => {
    await seedCounters(['a', 'b']);
    const pause = pauseAt('sending:1');
    const a = processCore({ hooks: pause.hooks }).exclusive([KEY], async () => ({ op: op([setCounter('a', 0, 10), setCounter('b', 0, 10)]), result: 'A' }));
    a.catch(() => undefined);
    // A confirmed its ownership and its second batch is on its way.
    await pause.reached;
    const report = await processCore().repair({ all: true });
    expect(report).toMatchObject({ rolled_back: [], finalized: [], in_progress: [{ expired: true }] });
    // The rival cannot take the lock: the operation is not settled.
    const rival = () => processCore().exclusive([KEY], async () => ({ op: op([setCounter('b', 0, 7)]), result: 'B' }));
    await expect(rival()).rejects.toThrow(/is busy/);
    // A's write lands; A learns at its commit that it lost. It does not undo by value without the locks
    // (afterLoss): its writes stand under its operation's locks until the operation is settled.
    pause.release();
    await expect(a).rejects.toBeInstanceOf(LostOwnership);
    expect(await values()).toEqual({ a: 10, b: 10 });
    await expect(rival()).rejects.toThrow(/is busy/);
    // Once A's lease ran out, the next command settles A's operation first, then decides.
    clock.advance(LEASE + 1);
    await expect(rival()).resolves.toBe('B');
    expect(await values()).toEqual({ a: 0, b: 7 });
    expect(await journalDocs()).toEqual([]);
    expect(await lockDocs()).toEqual([]);
    expect(await chainDocs()).toEqual([]);
  });

  it('finding 5: an owner whose rollback fails keeps its locks while its half-applied operation remains', async () => {
    await seedCounters(['a', 'b']);
    let undoFails = true;
    const services = {
      apply: async () => undefined,
      undo: async () => {
        if (undoFails) throw new Error('connection reset');
      },
      deliver: async () => {
        throw new Error('no deliveries in this test');
      },
    };
    const core = (services_: typeof services) =>
      new Journal(c, c.db(dbs.tenantadm), services_, { clock: clock.now, serverTime: async () => clock.now(), leaseMs: LEASE, lockWaitMs: 0, owner: { token: randomUUID(), host: 'test-host', pid: 4242 }, renewal: new ManualRenewal().timer });
    const call = { service: 'tenantadm', action: 'test' } as unknown as Extract<Step, { kind: 'service' }>['call'];
    // a is set, the service called, then b's step fails (b is not 1): the rollback's service undo fails.
    const failing = core(services).exclusive([KEY], async () => ({ op: op([setCounter('a', 0, 10), { kind: 'service', call }, setCounter('b', 1, 2)]), result: null }));
    await expect(failing).rejects.toThrow(/changed while this command ran/);
    expect(await values()).toEqual({ a: 10, b: 0 });
    expect((await lockDocs()).map((l) => l._id)).toEqual([KEY]);
    expect(await journalDocs()).toHaveLength(1);
    // A waiting command does not build on the half-applied operation.
    const body = async () => {
      const v = await values();
      return { op: op([setCounter('b', v.b!, 5)]), result: v };
    };
    await expect(core(services).exclusive([KEY], body)).rejects.toThrow(/is busy/);
    undoFails = false;
    clock.advance(LEASE + 1);
    expect(await core(services).exclusive([KEY], body)).toEqual({ a: 0, b: 0 });
    expect(await values()).toEqual({ a: 0, b: 5 });
    expect(await lockDocs()).toEqual([]);
  });

  it('finding 8: a rival whose host clock is two leases ahead finds a live owner alive', async () => {
    await seedCounters(['a']);
    const pause = pauseAt('decided');
    const a = processCore({ hooks: pause.hooks }).exclusive([KEY], async () => ({ op: op([setCounter('a', 0, 10)]), result: 'A' }));
    await pause.reached;
    const ahead = () => new Date(clock.now().getTime() + 2 * LEASE);
    const rival = new Journal(c, c.db(dbs.tenantadm), noServices, {
      clock: ahead,
      serverTime: async () => clock.now(),
      leaseMs: LEASE,
      lockWaitMs: 0,
      owner: { token: randomUUID(), host: 'other-host', pid: 4242 },
      renewal: new ManualRenewal().timer,
    });
    await expect(rival.exclusive([KEY], async () => ({ op: op([setCounter('a', 0, 5)]), result: 'B' }))).rejects.toThrow(/is busy/);
    expect((await rival.repair()).in_progress).toEqual([]);
    pause.release();
    await expect(a).resolves.toBe('A');
    expect(await values()).toEqual({ a: 10 });
  });

  it('finding 10: an owner of this machine whose process is gone is settled at once, without waiting for its lease', async () => {
    await seedCounters(['a', 'b']);
    const me = newOwner();
    if (!me.boot_id) return; // no /proc here: only the lease tells (the next test's case)
    const gone = await deadProcess();
    const dying = processCore({
      owner: { ...me, token: randomUUID(), pid: gone.pid, pid_start: gone.start },
      hooks: {
        breakBefore: [1],
        at: (p) => {
          if (p === 'step:1') throw new ProcessKilled(p);
        },
      },
    });
    await expect(dying.exclusive([KEY], async () => ({ op: op([setCounter('a', 0, 10), setCounter('b', 0, 10)]), result: null }))).rejects.toBeInstanceOf(ProcessKilled);
    expect(await values()).toEqual({ a: 10, b: 0 });
    // No time passes: the lease is current, but its process is gone.
    const next = processCore({ owner: { ...me, token: randomUUID() } });
    expect(await next.exclusive([KEY], async () => ({ op: null, result: await values() }))).toEqual({ a: 0, b: 0 });
    expect(await journalDocs()).toEqual([]);
    expect(await lockDocs()).toEqual([]);
    expect(await chainDocs()).toEqual([]);
  });

  it('finding 10: an owner is not taken for dead when it lives, runs in another pid namespace or boot, or has no /proc facts', async () => {
    await seedCounters(['a']);
    const me = newOwner();
    const gone = await deadProcess().catch(() => ({ pid: 999_999, start: '1' }));
    const owners = [
      { ...me, token: randomUUID() }, // this very process: alive
      { ...me, token: randomUUID(), pid: gone.pid, pid_start: gone.start, pid_ns: 'pid:[1]' }, // another container
      { ...me, token: randomUUID(), pid: gone.pid, pid_start: gone.start, boot_id: 'another-boot' }, // another machine or boot
      { token: randomUUID(), host: me.host, pid: gone.pid }, // no /proc facts
    ];
    for (const owner of owners) {
      const pause = pauseAt('decided');
      const a = processCore({ owner, hooks: pause.hooks }).exclusive([KEY], async () => ({ op: op([setCounter('a', 0, 1)]), result: null }));
      await pause.reached;
      await expect(processCore({ owner: { ...me, token: randomUUID() } }).exclusive([KEY], async () => ({ op: null, result: null }))).rejects.toThrow(/is busy/);
      pause.release();
      await a;
      await c.db(dbs.useradm).collection<Document>('counters').updateOne({ _id: 'a' as unknown as ObjectId }, { $set: { value: 0 } });
    }
  });

  it('operations and locks of the previous release are settled once their own lease has run out', async () => {
    await seedCounters(['a']);
    await c.db(dbs.useradm).collection<Document>('counters').updateOne({ _id: 'a' as unknown as ObjectId }, { $set: { value: 10 } });
    const db = c.db(dbs.tenantadm);
    const legacy = (until: Date) => ({ _id: 'old-op' as unknown as ObjectId, state: 'pending', command: 'old', actor: 'x', owner: 'old-token', host: 'h', pid: 1, created_at: until, lease_until: until, step: 1, locks: [KEY], steps: [setCounter('a', 0, 10)], finalize: [] });
    await db.collection<Document>('tenantadm_journal').insertOne(legacy(new Date(clock.now().getTime() + LEASE)));
    await db.collection<Document>('tenantadm_locks').insertOne({ _id: KEY as unknown as ObjectId, op_id: 'old-op', owner: 'old-token', host: 'h', pid: 1, lease_until: new Date(clock.now().getTime() + LEASE) });
    const b = processCore();
    expect((await b.repair()).in_progress).toMatchObject([{ id: 'old-op', state: 'pending' }]);
    await expect(b.exclusive([KEY], async () => ({ op: null, result: null }))).rejects.toThrow(/is busy/);
    clock.advance(LEASE + 1);
    expect(await b.exclusive([KEY], async () => ({ op: null, result: await values() }))).toEqual({ a: 0 });
    expect(await journalDocs()).toEqual([]);
    expect(await lockDocs()).toEqual([]);
    expect(await chainDocs()).toEqual([]);
  });
});
