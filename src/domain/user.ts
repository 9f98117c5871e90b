/** Users of a tenant and their roles, in Mender's useradm terms. */
import { UsageError } from '../errors';
import { ADMIN_ROLE } from './tenant';

/** Friendly spellings operators type for Mender's built-in roles. */
const ROLE_ALIASES: Record<string, string> = {
  admin: ADMIN_ROLE,
  observer: 'RBAC_ROLE_OBSERVER',
  ci: 'RBAC_ROLE_CI',
};

const ROLE = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Parse `--role` values (repeatable, each may also be a comma list); the default is admin. */
export function parseRoles(values: string[] | undefined): string[] {
  const out: string[] = [];
  for (const raw of (values ?? []).flatMap((v) => v.split(','))) {
    const text = raw.trim();
    if (text === '') continue;
    const role = ROLE_ALIASES[text.toLowerCase()] ?? text;
    if (!ROLE.test(role)) {
      throw new UsageError(`invalid role "${raw}"`, `use a Mender role name such as ${ADMIN_ROLE} (or "admin"), RBAC_ROLE_OBSERVER`);
    }
    if (!out.includes(role)) out.push(role);
  }
  return out.length > 0 ? out : [ADMIN_ROLE];
}

export function isAdmin(roles: string[]): boolean {
  return roles.includes(ADMIN_ROLE);
}
