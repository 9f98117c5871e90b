/**
 * Writes that may land after their operation was rolled back, and their undoing.
 *
 * A write already sent can be held on the way (a slow network, a proxy) for longer than its
 * owner's lease. Should a rival settle the operation meanwhile (roll it back: the write has not
 * landed, so its conditional undo matches nothing), the write lands afterwards and stands, with
 * no audit entry, unless its owner lives to undo it; a killed owner does not. Mender's documents
 * have no field to fence it with, and the tool adds none. So the settler leaves a watch for
 * every update of the plan it rolled back (one per document), in the tool's own
 * `tenantadm.tenantadm_late_writes` (inserted before the operation's locks are freed): what the
 * write would set, what the settler left, and the operation's locks. Not for inserts (whole
 * documents: a user's password hash, a tenant's token) nor for updates of fields that hold
 * secrets or whole sub-documents (SSO and storage settings): a watch would keep the secret for
 * the horizon, where the journal keeps it only while the operation runs.
 *
 * A watch is looked at under those locks, never without: by every command that takes one of
 * them (one query, after its locks and before it reads), and by `repair` (a lock set whose
 * holder lives is left for later). A write that landed (the document holds the values it
 * sets, or the document it inserts is there) is undone, conditionally on those values, and its
 * watch dropped. No committed change can be taken for a late write: a command that writes a
 * watched document itself drops the watch in its own roll-forward, after its commit point, under
 * the same locks (Journal.exclusive). A watch is also dropped once its document is gone, and
 * after LATE_WRITE_HORIZON_MS. `check` reports a landed write not yet undone (`late_write`).
 *
 * Left as it is: a late write that lands between a command's look at the watches and its own
 * read (both under its locks, a few milliseconds apart) is read as data by that command: should
 * it write that document, its audit entry starts from the late values. A late write that lands
 * after a committed change moved its document away and back to the values it expects (an ABA
 * after the watch was dropped) stands.
 */
import type { Collection, Document } from 'mongodb';
import { onlyDuplicateKeys } from '../errors';
import { mongo } from '../mongo';
import { stateFilter, stateUpdate, type FieldState, type Target } from './field-state';

/** The watches' collection, in the tool's own database. */
export const LATE_WRITES = 'tenantadm_late_writes';

/**
 * How long a write may still land after its operation was rolled back: an hour. A write that
 * landed is undone at the first look after it landed, even past the hour.
 */
export const LATE_WRITE_HORIZON_MS = 60 * 60 * 1000;

/** An update of a rolled-back plan that may still land (one document). */
export interface Watched {
  kind: 'update';
  target: Target;
  id: unknown;
  before: FieldState;
  after: FieldState;
}

const SECRET_FIELD = /pass|secret|token|key|cert|credential/i;

/** A value worth a watch: no field that may hold a secret, no sub-document (settings). */
export function watchable(before: FieldState, after: FieldState): boolean {
  const fields = [...Object.keys(before.set), ...before.unset, ...Object.keys(after.set), ...after.unset];
  if (fields.some((f) => SECRET_FIELD.test(f))) return false;
  const plain = (v: unknown) => v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Date || (v as { _bsontype?: string })._bsontype !== undefined;
  return [...Object.values(before.set), ...Object.values(after.set)].every(plain);
}

export interface WatchDoc extends Document {
  /** `<operation id>:<index>`. */
  _id: string;
  op: string;
  command: string | null;
  /** Server time of the rollback. */
  at: Date;
  /** The operation's locks: the watch is looked at under them only. */
  locks: string[];
  write: Watched;
}

/** A late write undone (repair's report, a command's notice). */
export interface LateWrite {
  op: string;
  command: string | null;
  database: string;
  collection: string;
  id: string;
}

/** How a late write is named in `check`'s samples: `<database>.<collection>:<id>`. */
export function lateWriteRef(w: LateWrite): string {
  return `${w.database}.${w.collection}:${w.id}`;
}

/** A watch as reported. */
export function lateWrite(w: WatchDoc): LateWrite {
  const id = w.write.id;
  return { op: w.op, command: w.command, database: w.write.target.db, collection: w.write.target.coll, id: typeof id === 'string' ? id : String(id) };
}

/** Values compared as the server compares them for equality (relaxed Extended JSON: 5 and 5.0 alike). */
function same(a: unknown, b: unknown): boolean {
  const { EJSON } = mongo().BSON;
  return EJSON.stringify(a as Document, { relaxed: true }) === EJSON.stringify(b as Document, { relaxed: true });
}

function fieldOf(doc: Document, path: string): unknown {
  let at: unknown = doc;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Document)[part];
  }
  return at;
}

function holds(doc: Document, state: FieldState): boolean {
  return Object.entries(state.set).every(([f, v]) => same(fieldOf(doc, f), v)) && state.unset.every((f) => fieldOf(doc, f) === undefined);
}

/** The key of document `id` in `target` (to match a watch against a command's own writes). */
export function documentKey(target: Target, id: unknown): string {
  return `${target.db}\u0000${target.coll}\u0000${mongo().BSON.EJSON.stringify({ id } as Document)}`;
}

type Verdict = 'landed' | 'waiting' | 'done';

export class LateWrites {
  constructor(
    readonly coll: Collection<WatchDoc>,
    private readonly target: (t: Target) => Collection<Document>,
  ) {}

  /** Leave watches for these writes of a rolled-back operation (again after a crash: the ones there stay). */
  async record(op: string, command: string | null, at: Date, locks: readonly string[], writes: readonly Watched[]): Promise<void> {
    if (writes.length === 0) return;
    const docs: WatchDoc[] = writes.map((write, i) => ({ _id: `${op}:${i}`, op, command, at, locks: [...locks], write }));
    try {
      await this.coll.insertMany(docs, { ordered: false });
    } catch (err) {
      if (!onlyDuplicateKeys(err)) throw err;
    }
  }

  /** The watches of operations that held any of these locks (one query). */
  on(keys: readonly string[]): Promise<WatchDoc[]> {
    return keys.length === 0 ? Promise.resolve([]) : this.coll.find({ locks: { $in: [...keys] } }).toArray();
  }

  all(): Promise<WatchDoc[]> {
    return this.coll.find({}).toArray();
  }

  /** Whether each watched write has landed, is still to be watched, or is done with. One read per collection written. */
  async verdicts(watches: readonly WatchDoc[], now: Date): Promise<Map<WatchDoc, Verdict>> {
    const byTarget = new Map<string, WatchDoc[]>();
    for (const w of watches) {
      const k = `${w.write.target.db}\u0000${w.write.target.coll}`;
      const group = byTarget.get(k);
      if (group) group.push(w);
      else byTarget.set(k, [w]);
    }
    const out = new Map<WatchDoc, Verdict>();
    for (const group of byTarget.values()) {
      const t = group[0]!.write.target;
      const ids = group.map((w) => w.write.id);
      const found = new Map((await this.target(t).find({ _id: { $in: ids } } as Document).toArray()).map((d) => [documentKey(t, d._id), d]));
      for (const w of group) {
        const doc = found.get(documentKey(t, w.write.id));
        const expired = now.getTime() - w.at.getTime() > LATE_WRITE_HORIZON_MS;
        if (!doc) out.set(w, 'done');
        else if (holds(doc, w.write.after) && !holds(doc, w.write.before)) out.set(w, 'landed');
        else out.set(w, expired ? 'done' : 'waiting');
      }
    }
    return out;
  }

  /**
   * Under the watches' locks: undo the writes that landed (each conditional on the values it
   * set) and drop the watches done with. Returns what was undone and the watches still waiting.
   */
  async settle(watches: readonly WatchDoc[], now: Date): Promise<{ undone: LateWrite[]; waiting: WatchDoc[] }> {
    if (watches.length === 0) return { undone: [], waiting: [] };
    const verdicts = await this.verdicts(watches, now);
    const undone: LateWrite[] = [];
    const drop: string[] = [];
    const waiting: WatchDoc[] = [];
    for (const w of watches) {
      const verdict = verdicts.get(w)!;
      if (verdict === 'waiting') {
        waiting.push(w);
        continue;
      }
      if (verdict === 'landed') {
        const { write } = w;
        const res = await this.target(write.target).updateOne({ _id: write.id, ...stateFilter(write.after) } as Document, stateUpdate(write.before));
        if (res.matchedCount === 1) undone.push(lateWrite(w));
      }
      drop.push(w._id);
    }
    if (drop.length > 0) await this.coll.deleteMany({ _id: { $in: drop } });
    return { undone, waiting };
  }
}
