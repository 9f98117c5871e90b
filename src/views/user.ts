/** Users as printed: never the password hash (the store does not even hand it out). */
import type { Column } from '../output';
import { readableRole } from '../domain/user';
import type { User } from '../store';

export const userColumns: Column<User>[] = [
  { header: 'ID', get: (u) => u.id, keep: true },
  { header: 'EMAIL', get: (u) => u.email, keep: true },
  { header: 'TENANT', get: (u) => u.tenant_id, optional: true },
  // Mender's role names read alike (RBAC_ROLE_P…/RBAC_ROLE_O…): a table shows them as people say them; JSON and CSV keep Mender's.
  { header: 'ROLES', get: (u) => u.roles.join(','), show: (u) => u.roles.map(readableRole).join(','), keep: true },
  { header: 'CREATED', get: (u) => u.created_ts ?? '', optional: true },
];
