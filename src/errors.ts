/**
 * Typed errors. Every failure the tool reports is one of these; `exitCodeOf` in this
 * file is the only place that turns an error into a process exit code.
 */

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  rule: 5,
  unreachable: 6,
  service: 7,
  /**
   * The change committed and stands, but a follow-up of it did not happen yet (its audit
   * entries did not reach Mender's audit log: `tenantadm audit forward` sends them). The codes
   * after it are the fleet file's `diff` (9: changes found) and `usage --warn-at` (10: tenants
   * over the line), allocated with this one so none collides.
   */
  followUpPending: 8,
  /** `diff` found changes between the fleet file and the database; they are the rows printed. */
  changesFound: 9,
  /** `usage --warn-at P` found tenants at or above P% of a limit (for cron and monitoring); the rows are on stdout. */
  overTheLine: 10,
  /** The shell's code for SIGINT: Ctrl-C at a prompt. */
  interrupted: 130,
} as const;

/**
 * What each exit code means, in one table: --help's summary, the man page's EXIT STATUS and
 * README's table are generated from it (`npm run docs`).
 */
export const EXIT_CODE_TABLE: readonly { code: number; brief: string; meaning: string }[] = [
  { code: ExitCode.ok, brief: 'ok', meaning: 'success' },
  { code: ExitCode.internal, brief: 'internal error', meaning: 'internal error (a bug, an unexpected server reply), or a removal that left records behind (named)' },
  { code: ExitCode.usage, brief: 'invalid usage or input', meaning: 'invalid usage or input, no signing key, no password source, a malformed MongoDB or Redis URL, no confirmation (no terminal and no `--yes`, `--no-input`, or cancelled)' },
  { code: ExitCode.notFound, brief: 'not found', meaning: 'not found' },
  { code: ExitCode.conflict, brief: 'conflict', meaning: 'conflict: already exists, or changed concurrently' },
  { code: ExitCode.rule, brief: 'a rule would be broken', meaning: 'a rule would be broken (limits, Service Provider rules, `migrate` not run)' },
  { code: ExitCode.unreachable, brief: 'unreachable', meaning: 'database or Mender service unreachable, refusing connections, lost or frozen during a read or write, an SRV name that does not resolve, MongoDB credentials refused ("authentication failed"), or a privilege refused (named)' },
  { code: ExitCode.service, brief: 'a Mender service refused', meaning: 'a Mender service refused the change (its name, status and message are printed)' },
  {
    code: ExitCode.followUpPending,
    brief: 'committed, follow-up pending',
    meaning: "the change committed and stands (its data is on stdout), but a follow-up did not happen: its audit entries did not reach Mender's audit log (`tenantadm audit forward` sends them)",
  },
  { code: ExitCode.changesFound, brief: 'changes found', meaning: '`diff`: the fleet file and the database differ (the changes are the rows printed; 0 means none)' },
  { code: ExitCode.overTheLine, brief: 'tenants over the line', meaning: '`usage --warn-at P`: tenants at or above P% of a device limit were found (they are the rows printed)' },
  { code: ExitCode.interrupted, brief: 'interrupted', meaning: 'interrupted (Ctrl-C at a prompt); nothing was written' },
];

export type ErrorCode =
  | 'internal'
  | 'usage'
  | 'not_found'
  | 'conflict'
  | 'rule_violation'
  | 'db_unreachable'
  | 'service_refused'
  | 'follow_up_pending'
  | 'interrupted';

export class TenantadmError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** What the operator can do about it; printed after the message. */
    readonly hint?: string,
    /** Machine-readable extras for `--error-format json`. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }

  toJSON(): { error: { code: ErrorCode; message: string; hint?: string; details?: Record<string, unknown> } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.hint ? { hint: this.hint } : {}),
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export class UsageError extends TenantadmError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super('usage', message, hint, details);
  }
}
export class NotFoundError extends TenantadmError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super('not_found', message, hint, details);
  }
}
export class ConflictError extends TenantadmError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super('conflict', message, hint, details);
  }
}
export class RuleError extends TenantadmError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super('rule_violation', message, hint, details);
  }
}
export class UnreachableError extends TenantadmError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super('db_unreachable', message, hint, details);
  }
}
/** A Mender service answered, and refused (its status and message are in the text). */
export class ServiceError extends TenantadmError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super('service_refused', message, hint, details);
  }
}
/** The change committed; a follow-up of it (delivery to Mender's audit log) is still pending. */
export class FollowUpPending extends TenantadmError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super('follow_up_pending', message, hint, details);
  }
}
/** The operator stopped the run (Ctrl-C at a prompt) before anything was written. */
export class InterruptedError extends TenantadmError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super('interrupted', message, hint, details);
  }
}
export class InternalError extends TenantadmError {
  constructor(message: string, hint?: string, details?: Record<string, unknown>) {
    super('internal', message, hint, details);
  }
}

/** The error code (`--error-format json`'s `error.code`) each exit code stands for; none for 0. */
export function errorCodeFor(exitCode: number): ErrorCode | undefined {
  return (Object.keys(exitCodes) as ErrorCode[]).find((k) => exitCodes[k] === exitCode);
}

const exitCodes: Record<ErrorCode, number> = {
  internal: ExitCode.internal,
  usage: ExitCode.usage,
  not_found: ExitCode.notFound,
  conflict: ExitCode.conflict,
  rule_violation: ExitCode.rule,
  db_unreachable: ExitCode.unreachable,
  service_refused: ExitCode.service,
  follow_up_pending: ExitCode.followUpPending,
  interrupted: ExitCode.interrupted,
};

/** The one mapping from errors to exit codes. Unknown errors are internal (1). */
export function exitCodeOf(err: unknown): number {
  return err instanceof TenantadmError ? exitCodes[err.code] : ExitCode.internal;
}

/**
 * Wrap anything thrown into a TenantadmError, keeping typed ones as they are. Database
 * errors that escaped the store (a cursor read in the middle of a listing, say) are
 * translated here, so every read and write says what happened, whoever made it.
 */
export function asTenantadmError(err: unknown, database: DatabaseContext = {}): TenantadmError {
  if (err instanceof TenantadmError) return err;
  const translated = translateDatabaseError(err, database);
  if (translated) return translated;
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(message, 'this is a bug in tenantadm or an unexpected server reply; rerun with TENANTADM_DEBUG=1 for a stack trace');
}

/** What a message may say about the database: its printable address and the timeout in force. */
export interface DatabaseContext {
  /** The MongoDB URL without credentials or options (config's `mongoTarget`). */
  target?: string;
  timeoutMs?: number;
}

/** The fields of the driver's errors (and Node's DNS and file errors) that the translation reads. */
interface ForeignError {
  name?: string;
  code?: number | string;
  codeName?: string;
  message?: string;
  syscall?: string;
  hostname?: string;
  keyValue?: Record<string, unknown>;
  writeErrors?: { code?: number }[];
  cause?: unknown;
  /** A bulk write's error: what it wraps (the driver's own error, or the server's reply). */
  errorResponse?: unknown;
  reason?: unknown;
}

/** Driver errors that mean the server is gone, refusing connections, or no longer answering. */
const LOST_SERVER = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoPoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoPoolClosedError',
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoServerClosedError',
]);

/**
 * Server replies that mean it is going away: HostUnreachable, HostNotFound, NetworkTimeout,
 * ShutdownInProgress, PrimarySteppedDown, SocketException, NotWritablePrimary,
 * InterruptedAtShutdown, InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk,
 * NotPrimaryOrSecondary.
 */
const SERVER_GOING_AWAY = new Set([6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436]);

/** MongoDB's DuplicateKey (11000) and its older update and index-build forms. */
const DUPLICATE_KEY = new Set([11000, 11001, 12582]);

function isDriverError(e: ForeignError): boolean {
  return typeof e.name === 'string' && (e.name.startsWith('Mongo') || e.name === 'PoolClearedOnNetworkError');
}

/**
 * A unique index refused the write, on every server this tool meets: MongoDB's code 11000
 * (also inside a bulk write's errors), and FerretDB's SQLite and PostgreSQL backends, which
 * report a unique index broken by an update as an internal error quoting the database's words.
 */
export function isDuplicateKeyError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as ForeignError;
  if (typeof e.code === 'number' && DUPLICATE_KEY.has(e.code)) return true;
  if (Array.isArray(e.writeErrors) && e.writeErrors.some((w) => typeof w?.code === 'number' && DUPLICATE_KEY.has(w.code))) return true;
  return isDriverError(e) && /UNIQUE constraint failed|duplicate key value violates unique constraint/.test(e.message ?? '');
}

/** The per-document failures of a bulk write (insertMany, bulkWrite): one or many, as the driver reports them. */
export function writeErrorsOf(err: unknown): { index?: number; code?: number }[] {
  const e = err as { writeErrors?: { index?: number; code?: number }[] | { index?: number; code?: number } } | null;
  if (typeof e !== 'object' || e === null || !e.writeErrors) return [];
  return Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
}

/**
 * An unordered insertMany that failed only because some documents were there already (a
 * re-run finding the first run's): every per-document failure is a duplicate key.
 */
export function onlyDuplicateKeys(err: unknown): boolean {
  const errors = writeErrorsOf(err);
  return errors.length > 0 ? errors.every((w) => isDuplicateKeyError(w)) : isDuplicateKeyError(err);
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function describeKey(e: ForeignError): string {
  if (e.keyValue && Object.keys(e.keyValue).length > 0) {
    return Object.entries(e.keyValue)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ');
  }
  const index = /index[: ]+'?([A-Za-z0-9_.$-]+)/.exec(e.message ?? '')?.[1];
  return index ? `a document with the same unique key (index ${index})` : 'a document with the same unique key';
}

/**
 * The innermost cause's message: a selection error's own text ("Server selection timed out")
 * is a summary; the error of the server it tried says what happened (refused, timed out).
 */
function detailOf(e: ForeignError): string {
  const servers = (e.reason as { servers?: Map<string, { error?: unknown }> } | undefined)?.servers;
  if (servers instanceof Map) {
    for (const server of servers.values()) {
      const inner = server?.error as ForeignError | undefined;
      if (inner && typeof inner.message === 'string' && inner.message !== '') return detailOf(inner);
    }
  }
  let cur: ForeignError = e;
  for (let depth = 0; depth < 5; depth++) {
    const next = (cur.cause ?? (cur.reason as { error?: unknown } | undefined)?.error) as ForeignError | undefined;
    if (!next || typeof next !== 'object' || typeof next.message !== 'string' || next.message === '') break;
    cur = next;
  }
  return firstLine(cur.message || e.message || e.name || 'unknown error');
}

const UNREACHABLE_HINT =
  'check that the server is running and answering at --mongo / TENANTADM_MONGO; a change cut short is settled by the next changing command or `tenantadm repair`';

/**
 * The one translation of database errors into typed ones: lost, refusing or frozen servers and
 * names that do not resolve are exit 6, refused credentials exit 6 saying so, malformed URLs
 * exit 2, duplicates exit 4. Anything else is not a database error this tool understands
 * (undefined: the caller decides). Messages may quote the driver, which may quote the URL:
 * main redacts every printed line (secrets.ts).
 */
export function translateDatabaseError(err: unknown, context: DatabaseContext = {}): TenantadmError | undefined {
  if (err instanceof TenantadmError) return err;
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as ForeignError;
  const at = context.target ? ` at ${context.target}` : '';
  const within = context.timeoutMs ? ` within ${context.timeoutMs} ms` : '';

  // DNS for mongodb+srv:// fails before the driver wraps anything: Node's own error.
  if (e.syscall === 'querySrv' || e.syscall === 'queryTxt') {
    const name = e.hostname ? ` ${e.hostname}` : '';
    return new UnreachableError(
      `the MongoDB SRV name${name} does not resolve (${String(e.code ?? 'DNS error')})`,
      'check the host name in the mongodb+srv:// URL and the DNS this machine uses',
    );
  }
  // Last: what nothing above recognises may still be the driver's network error, wrapped in
  // another error (a bulk write's, a retry's) or thrown as a plain one: still a lost connection.
  const lostConnection = (): TenantadmError | undefined => {
    // A bulk write (insertMany: the lock table's ordered insert) keeps the driver's own error
    // as its errorResponse, not as its cause (e.g. a pool cleared by a frozen server's monitor timeout).
    for (const inner of [e.cause, e.errorResponse]) {
      if (!inner || inner === err || typeof inner !== 'object') continue;
      const translated = translateDatabaseError(inner, context);
      if (translated instanceof UnreachableError) return translated;
    }
    if (/^connection \d+ to \S+ closed/.test(e.message ?? '')) {
      return new UnreachableError(`lost the connection to MongoDB${at}: ${firstLine(e.message ?? '')}`, UNREACHABLE_HINT);
    }
    return undefined;
  };
  if (!isDriverError(e)) return lostConnection();

  if (isDuplicateKeyError(e)) {
    return new ConflictError(`already exists: ${describeKey(e)}`, undefined, e.keyValue ? { key: e.keyValue } : undefined);
  }
  if (e.name === 'MongoParseError' || e.name === 'MongoMissingCredentialsError') {
    return new UsageError(`invalid MongoDB URL: ${firstLine(e.message ?? '')}`, 'check --mongo or TENANTADM_MONGO');
  }
  if (e.code === 18 || e.codeName === 'AuthenticationFailed') {
    return new UnreachableError(
      `authentication failed: MongoDB${at} refused the credentials: ${firstLine(e.message ?? '')}`,
      'check the user and password (TENANTADM_MONGO_USERNAME / TENANTADM_MONGO_PASSWORD or the URL), authSource and authMechanism',
    );
  }
  if (e.code === 13 || e.codeName === 'Unauthorized') {
    return new UnreachableError(
      `MongoDB${at} refused the operation: the user is not authorized: ${firstLine(e.message ?? '')}`,
      'give the MongoDB user readWrite on the tenantadm, useradm, deviceauth and audit databases',
    );
  }
  if (typeof e.code === 'number' && SERVER_GOING_AWAY.has(e.code)) {
    return new UnreachableError(`MongoDB${at} is shutting down or stepping down: ${firstLine(e.message ?? '')}`, UNREACHABLE_HINT);
  }
  if (e.name && LOST_SERVER.has(e.name)) {
    const detail = detailOf(e);
    if (/querySrv|queryTxt/.test(detail)) {
      return new UnreachableError(`the MongoDB SRV name does not resolve: ${detail}`, 'check the host name in the mongodb+srv:// URL and the DNS this machine uses');
    }
    let what: string;
    if (e.name === 'MongoServerSelectionError' && /^Server selection timed out/.test(detail)) {
      // No server said anything (a frozen process, a black-holed port): the driver's text says only that it waited.
      return new UnreachableError(`cannot reach MongoDB${at}: no answer${within || ' in time'}`, UNREACHABLE_HINT);
    }
    if (e.name === 'MongoServerSelectionError') what = `cannot reach MongoDB${at}${within}`;
    else if (/ECONNREFUSED/.test(detail)) what = `MongoDB${at} refused the connection`;
    else if (/timed out|timeout/i.test(`${e.name} ${detail}`)) what = `MongoDB${at} stopped answering`;
    else if (e.name === 'MongoPoolClearedError' || e.name === 'PoolClearedOnNetworkError') what = `MongoDB${at} stopped answering its heartbeat`;
    else if (/TopologyClosed|NotConnected|ServerClosed|PoolClosed/.test(e.name)) what = 'the connection to MongoDB was closed';
    else what = `lost the connection to MongoDB${at}`;
    if (/authentication|auth.*failed|SCRAM/i.test(detail)) what = `authentication failed: MongoDB${at} refused the credentials`;
    return new UnreachableError(`${what}: ${detail}`, UNREACHABLE_HINT);
  }
  return lostConnection();
}
