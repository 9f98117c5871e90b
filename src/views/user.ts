/** Users as printed: never the password hash (the store does not even hand it out). */
import type { Column } from '../output';
import type { User } from '../store';

export const userColumns: Column<User>[] = [
  { header: 'ID', get: (u) => u.id, keep: true },
  { header: 'EMAIL', get: (u) => u.email, keep: true },
  { header: 'TENANT', get: (u) => u.tenant_id, optional: true },
  { header: 'ROLES', get: (u) => u.roles.join(',') },
  { header: 'CREATED', get: (u) => u.created_ts ?? '', optional: true },
];
