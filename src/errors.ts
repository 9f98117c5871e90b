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
  /** The shell's code for SIGINT: Ctrl-C at a prompt. */
  interrupted: 130,
} as const;

/**
 * What each exit code means, in one table: --help's summary, the man page's EXIT STATUS and
 * README's table are generated from it (`npm run docs`).
 */
export const EXIT_CODE_TABLE: readonly { code: number; brief: string; meaning: string }[] = [
  { code: ExitCode.ok, brief: 'ok', meaning: 'success' },
  { code: ExitCode.internal, brief: 'internal error', meaning: 'internal error (a bug, an unexpected server reply)' },
  { code: ExitCode.usage, brief: 'invalid usage or input', meaning: 'invalid usage or input, no signing key, no password source' },
  { code: ExitCode.notFound, brief: 'not found', meaning: 'not found' },
  { code: ExitCode.conflict, brief: 'conflict', meaning: 'conflict: already exists, or changed concurrently' },
  { code: ExitCode.rule, brief: 'a rule would be broken', meaning: 'a rule would be broken (limits, Service Provider rules, `migrate` not run)' },
  { code: ExitCode.unreachable, brief: 'unreachable', meaning: 'database or Mender service unreachable or timed out (within `--timeout`)' },
  { code: ExitCode.service, brief: 'a Mender service refused', meaning: 'a Mender service refused the change (its name, status and message are printed)' },
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
  interrupted: ExitCode.interrupted,
};

/** The one mapping from errors to exit codes. Unknown errors are internal (1). */
export function exitCodeOf(err: unknown): number {
  return err instanceof TenantadmError ? exitCodes[err.code] : ExitCode.internal;
}

/** Wrap anything thrown into a TenantadmError, keeping typed ones as they are. */
export function asTenantadmError(err: unknown): TenantadmError {
  if (err instanceof TenantadmError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(message, 'this is a bug in tenantadm or an unexpected server reply; rerun with TENANTADM_DEBUG=1 for a stack trace');
}
