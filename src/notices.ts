/**
 * Warnings said at most once per run, about what only a Mender service could have done.
 * What was said is kept in the run's deps (not in this module), so runs in one process
 * each warn afresh.
 */
import type { Deps } from './deps';
import { SERVICE_ENV, type ServiceName } from './mender/services';

type NoticeDeps = Pick<Deps, 'warn' | 'warned'>;

function once(deps: NoticeDeps, key: string, line: string): void {
  if (deps.warned.has(key)) return;
  deps.warned.add(key);
  deps.warn(line);
}

/** A user written straight into useradm.users is not registered with Enterprise's tenantadm. */
export function warnDirectUser(deps: NoticeDeps): void {
  once(
    deps,
    'user',
    `${SERVICE_ENV.useradm} is not set: users are written straight into useradm.users; ` +
      'on Mender Enterprise they cannot log in until registered with tenantadm (set the address to create them through useradm)',
  );
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
