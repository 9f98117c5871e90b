/** Warnings said at most once per run, about what only a Mender service could have done. */
import type { Deps } from './deps';
import { SERVICE_ENV, type ServiceName } from './store/services';

const said = new Set<string>();

function once(deps: Pick<Deps, 'warn'>, key: string, line: string): void {
  if (said.has(key)) return;
  said.add(key);
  deps.warn(line);
}

/** A user written straight into useradm.users is not registered with Enterprise's tenantadm. */
export function warnDirectUser(deps: Pick<Deps, 'warn'>): void {
  once(
    deps,
    'user',
    `${SERVICE_ENV.useradm} is not set: users are written straight into useradm.users; ` +
      'on Mender Enterprise they cannot log in until registered with tenantadm (set the address to create them through useradm)',
  );
}

/** Tokens deleted in the database are gone, but deviceauth's cached tenant state lives on until its version key moves. */
export function warnDirectRevocation(deps: Pick<Deps, 'warn'>, services: ServiceName[]): void {
  once(
    deps,
    'revoke',
    `${services.map((s) => SERVICE_ENV[s]).join(' and ')} not set: ` +
      `the tenant's ${services.join(' and ')} tokens were deleted in the database directly`,
  );
}
