/** useradm.users: `{_id: UUID, email, password: bcrypt, tenant_id, roles, created_ts, updated_ts}`. */
import { randomUUID } from 'node:crypto';
import type { Collection, Db, Document } from 'mongodb';
import type { Step, Target } from '../journal/journal';
import { fieldUpdateStep } from './tenants';

export const USERS = 'users';

export interface User {
  id: string;
  email: string;
  tenant_id: string;
  roles: string[];
  created_ts?: string;
  updated_ts?: string;
}

export interface UserRecord {
  user: User;
  raw: Document;
}

function toUser(doc: Document): User {
  const user: User = {
    id: String(doc._id),
    email: String(doc.email),
    tenant_id: String(doc.tenant_id ?? ''),
    roles: Array.isArray(doc.roles) ? doc.roles.map(String) : [],
  };
  for (const f of ['created_ts', 'updated_ts'] as const) {
    if (doc[f] instanceof Date) user[f] = (doc[f] as Date).toISOString();
  }
  return user;
}

export class UserStore {
  readonly target: Target;
  private readonly coll: Collection<Document>;

  constructor(db: Db) {
    this.target = { db: db.databaseName, coll: USERS };
    this.coll = db.collection(USERS);
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const raw = await this.coll.findOne({ email });
    return raw ? { user: toUser(raw), raw } : null;
  }

  async *findByTenant(tenantId: string): AsyncGenerator<UserRecord> {
    const cursor = this.coll.find({ tenant_id: tenantId }).sort({ email: 1 }).batchSize(500);
    try {
      for await (const raw of cursor) yield { user: toUser(raw), raw };
    } finally {
      await cursor.close();
    }
  }

  /**
   * The users of these tenants (every user when `tenantIds` is undefined), in one query, by
   * tenant id, each tenant's sorted by email. Hashes stay here: only `User` leaves.
   */
  async ofTenants(tenantIds?: string[]): Promise<Map<string, User[]>> {
    const out = new Map<string, User[]>();
    if (tenantIds !== undefined && tenantIds.length === 0) return out;
    const filter = tenantIds === undefined ? {} : { tenant_id: tenantIds.length === 1 ? tenantIds[0] : { $in: tenantIds } };
    for await (const raw of this.coll.find(filter, { projection: { password: 0 } }).batchSize(1000)) {
      const user = toUser(raw);
      const list = out.get(user.tenant_id) ?? [];
      list.push(user);
      out.set(user.tenant_id, list);
    }
    for (const list of out.values()) list.sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
    return out;
  }

  /** The user with this email, only if it belongs to this tenant: tenants never see each other's users. */
  async findInTenant(tenantId: string, email: string): Promise<UserRecord | null> {
    const raw = await this.coll.findOne({ email, tenant_id: tenantId });
    return raw ? { user: toUser(raw), raw } : null;
  }

  async countWithRole(tenantId: string, role: string): Promise<number> {
    return this.coll.countDocuments({ tenant_id: tenantId, roles: role });
  }

  /** Users by email, whole (for delete steps the journal can undo), in one query. */
  async findByEmails(emails: string[]): Promise<Map<string, UserRecord>> {
    const out = new Map<string, UserRecord>();
    if (emails.length === 0) return out;
    for await (const raw of this.coll.find({ email: { $in: emails } })) out.set(String(raw.email), { user: toUser(raw), raw });
    return out;
  }

  /** A compare-and-set of a user's roles, from the user as stored (roles absent included). */
  rolesStep(record: UserRecord, roles: string[]): Step {
    return fieldUpdateStep(this.target, record.raw, { roles });
  }

  /** A delete step for the user exactly as read (the journal can put it back). */
  deleteStep(record: UserRecord): Step {
    return { kind: 'delete', target: this.target, doc: record.raw };
  }

  /** A new user; the password arrives already hashed and never leaves the store. */
  newUser(fields: { email: string; passwordHash: string; tenantId: string; roles: string[]; now: Date }): { user: User; step: Step } {
    const doc: Document = {
      _id: randomUUID(),
      email: fields.email,
      password: fields.passwordHash,
      tenant_id: fields.tenantId,
      roles: fields.roles,
      created_ts: fields.now,
      updated_ts: fields.now,
    };
    return { user: toUser(doc), step: { kind: 'insert', target: this.target, doc } };
  }
}
