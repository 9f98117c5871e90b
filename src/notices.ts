/**
 * Warnings said at most once per run, about what only a Mender service could have done.
 * What was said is kept in the run's deps (not in this module), so runs in one process
 * each warn afresh.
 */
import type { Deps } from './deps';
import type { Config } from './config';
import { SERVICE_ENV, type ServiceName } from './mender/services';
import type { PendingOperation } from './journal/journal';

type NoticeDeps = Pick<Deps, 'warn' | 'warned'>;

function once(deps: NoticeDeps, key: string, line: string): void {
  if (deps.warned.has(key)) return;
  deps.warned.add(key);
  deps.warn(line);
}

const DIRECT_USER =
  `${SERVICE_ENV.useradm} is not set: users are written straight into useradm.users; ` +
  'on Mender Enterprise they cannot log in until registered with tenantadm (set the address to create them through useradm)';

/** A user written straight into useradm.users is not registered with Enterprise's tenantadm. */
export function warnDirectUser(deps: NoticeDeps): void {
  once(deps, 'user', DIRECT_USER);
}

/**
 * The warnings this configuration gives when the commands they concern run, listed by doctor
 * so a person sees them in one place (and a script can run with -q).
 */
export function standingWarnings(config: Pick<Config, 'services' | 'redisUrl'>): string[] {
  const out: string[] = [];
  if (!config.services.useradm) out.push(DIRECT_USER);
  const revokers = (['deviceauth', 'useradm'] as ServiceName[]).filter((s) => !config.services[s]);
  if (revokers.length > 0) out.push(`${revokers.map((s) => SERVICE_ENV[s]).join(' and ')} not set: suspending a tenant deletes its ${revokers.join(' and ')} tokens in the database directly`);
  if (!config.redisUrl) out.push("no --redis-url / DEVICEAUTH_REDIS_CONNECTION_STRING: a limit change leaves device-auth's cached limit in place until it expires (the command says what to run)");
  return out;
}

/** Tokens deleted in the database are gone, but deviceauth's cached tenant state lives on until its version key moves. */
export function warnDirectRevocation(deps: NoticeDeps, services: ServiceName[]): void {
  once(
    deps,
    'revoke',
    `${services.map((s) => SERVICE_ENV[s]).join(' and ')} not set: ` +
      `the tenant's ${services.join(' and ')} tokens were deleted in the database directly`,
  );
}

/** The stored tokens have both formats: the newest tenant's was chosen. Not said with -q. */
export function warnMixedTokenFormats(deps: NoticeDeps & Pick<Deps, 'quiet'>, counts: { jwt: number; opaque: number }, chosen: string): void {
  if (deps.quiet) return;
  once(
    deps,
    'token-format',
    `the stored tenant tokens are mixed (${counts.jwt} jwt, ${counts.opaque} opaque): new tokens are ${chosen}, the newest tenant's format; ` +
      'choose with --token-format or TENANTADM_TOKEN_FORMAT',
  );
}

/** What a removal leaves behind (artifacts in object storage, which the tool holds no credentials for), said where a person reads. */
export function warnLeftForOperator(deps: NoticeDeps, left: { id: string; shared_store_prefix: string; bucket?: string }[]): void {
  if (left.length === 0) return;
  const where = left.map((l) => (l.bucket ? `bucket ${l.bucket}` : `prefix ${l.shared_store_prefix}`));
  const shown = where.slice(0, 3).join(', ') + (where.length > 3 ? ` and ${where.length - 3} more (left_for_operator in the output)` : '');
  once(deps, 'left', `the removed tenants' artifacts stay in object storage, which tenantadm holds no credentials for: delete ${shown} there`);
}

/** How an operation a reader met is named, and when it can be settled (operations/pending.ts). */
export function pendingOperationText(op: PendingOperation): string {
  return `operation ${op.id} (${op.command ?? 'a command'}, pid ${op.pid} on ${op.host}) since ${op.since.toISOString()}`;
}

export function settleText(op: PendingOperation): string {
  return op.gone
    ? 'its owner is gone: settle it now with `tenantadm repair`'
    : `it can be settled from ${op.lease_until.toISOString()} (when its lease runs out) with \`tenantadm repair\` if its owner is gone`;
}

/**
 * A reader met a tenant an operation is still changing: what it shows may be half-made. Said
 * once per operation (however many of its tenants are shown), not with -q.
 */
export function warnPendingTenant(deps: NoticeDeps & Pick<Deps, 'quiet'>, op: PendingOperation, tenant: { id: string; name?: string }): void {
  if (deps.quiet) return;
  const which = tenant.name === undefined ? `tenant ${tenant.id}` : `tenant "${tenant.name}" (id ${tenant.id})`;
  const others = op.tenants.length > 1 ? ` and ${op.tenants.length - 1} other tenant${op.tenants.length > 2 ? 's' : ''}` : '';
  once(deps, `pending:${op.id}`, `${which}${others} is being changed by ${pendingOperationText(op)}: what is shown of it may be half-made; ${settleText(op)}`);
}
