/**
 * tenantadm.tenantadm_fleet_created: the tenants and users `apply` created from a fleet file,
 * the only ones `apply --prune` may remove. A collection of the tool's own: nothing is ever
 * added to Mender's documents. One document per tenant (`tenant:<id>`) and per user
 * (`user:<tenant id>:<email>`), written in the same journaled operation as what it records.
 */
import type { Collection, Db, Document } from 'mongodb';
import type { Step, Target } from '../journal/journal';

export const FLEET_CREATED = 'tenantadm_fleet_created';

export interface FleetCreated {
  kind: 'tenant' | 'user';
  tenantId: string;
  /** The user's email (kind user). */
  email?: string;
  /** The checksum (sha256) of the fleet file that created it. */
  fileSha256: string;
  raw: Document;
}

export class FleetCreatedStore {
  readonly target: Target;
  private readonly coll: Collection<Document>;

  constructor(db: Db) {
    this.target = { db: db.databaseName, coll: FLEET_CREATED };
    this.coll = db.collection(FLEET_CREATED);
  }

  /** Everything recorded, in one query. */
  async all(): Promise<FleetCreated[]> {
    const out: FleetCreated[] = [];
    for await (const raw of this.coll.find({}).batchSize(1000)) {
      out.push({ kind: raw.kind === 'user' ? 'user' : 'tenant', tenantId: String(raw.tenant_id), ...(raw.email ? { email: String(raw.email) } : {}), fileSha256: String(raw.file_sha256 ?? ''), raw });
    }
    return out;
  }

  tenantStep(tenantId: string, name: string, fileSha256: string, now: Date): Step {
    return { kind: 'insert', target: this.target, doc: { _id: `tenant:${tenantId}`, kind: 'tenant', tenant_id: tenantId, name, file_sha256: fileSha256, created_at: now } };
  }

  userStep(tenantId: string, email: string, fileSha256: string, now: Date): Step {
    return { kind: 'insert', target: this.target, doc: { _id: `user:${tenantId}:${email}`, kind: 'user', tenant_id: tenantId, email, file_sha256: fileSha256, created_at: now } };
  }

  deleteStep(record: FleetCreated): Step {
    return { kind: 'delete', target: this.target, doc: record.raw };
  }

  /** Roll-forward: the records of removed tenants (and their users), in one delete. */
  forgetTenantsStep(tenantIds: string[]): Step {
    return { kind: 'deleteIn', target: this.target, field: 'tenant_id', values: tenantIds };
  }
}
