/** Users of a tenant and their roles, in Mender's useradm terms. */
import { RuleError, UsageError } from '../errors';
import { ADMIN_ROLE } from './tenant';

/** Friendly spellings operators type for Mender's built-in roles. */
const ROLE_ALIASES: Record<string, string> = {
  admin: ADMIN_ROLE,
  observer: 'RBAC_ROLE_OBSERVER',
  ci: 'RBAC_ROLE_CI',
};

/** A role as people say it (admin, observer, ci), for tables; other roles by their own name. */
export function readableRole(role: string): string {
  return Object.entries(ROLE_ALIASES).find(([, mender]) => mender === role)?.[0] ?? role;
}

/** The role names shell completion offers: the spellings above and Mender's own. */
export const ROLE_NAMES: readonly string[] = [...Object.keys(ROLE_ALIASES), ...Object.values(ROLE_ALIASES)];

const ROLE = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Parse `--role` values (repeatable, each may also be a comma list); the default, when no
 * --role is given at all, is admin. An empty role is refused: an empty `$ROLE` in a script
 * must not grant admin.
 */
export function parseRoles(values: string[] | undefined): string[] {
  const out: string[] = [];
  for (const raw of (values ?? []).flatMap((v) => v.split(','))) {
    const text = raw.trim();
    if (text === '') throw new UsageError('--role has an empty item', `give a role name such as ${ADMIN_ROLE} (or "admin"), RBAC_ROLE_OBSERVER`);
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

/**
 * A tenant keeps one admin: removing the user `email` (with `roles`) is refused (exit 5) when
 * no other admin of the tenant would be left. `otherAdmins`: the admins that stay.
 */
export function assertNotLastAdmin(tenant: { id: string; name: string }, email: string, roles: string[], otherAdmins: number, next?: string): void {
  if (!isAdmin(roles) || otherAdmins > 0) return;
  throw new RuleError(
    `${email} is the last admin of tenant "${tenant.name}" (${tenant.id}); a tenant must keep one`,
    next ?? `create another admin first: tenantadm create-user --tenant ${tenant.id} --email OTHER --role admin`,
  );
}
