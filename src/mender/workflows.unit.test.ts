/** Mender's shape for the tool's audit entries, and whose log in Mender takes each. */
import { auditJob, logTenantOf, menderActor, type StoredEntry } from './workflows';

const SP = '673a03e3c9eca7a440f2f444';
const CHILD = '673a03e3c9eca7a440f2f445';

const entry = (over: Partial<StoredEntry>): StoredEntry => ({
  _id: '6b171e5c27db3e4b063c8d97',
  tenant_id: CHILD,
  log_tenant_ids: [CHILD, SP],
  actor: { id: 'ops@example.com', type: 'user', email: 'ops@example.com' },
  action: 'update',
  object: { id: CHILD, type: 'tenant', tenant: { id: CHILD, name: 'Paris', parent: SP } },
  change: 'max_devices: 30 -> 40',
  time: new Date('2026-12-01T10:00:00Z'),
  ...over,
});

describe("whose log in Mender takes an entry (as Mender's UI records them)", () => {
  it("puts a Service Provider's change to a child tenant in the SP's log", () => {
    expect(logTenantOf(entry({}))).toBe(SP);
    // Entries of earlier releases may lack object.tenant.parent: the second log owner is the SP.
    expect(logTenantOf(entry({ object: { id: CHILD, type: 'tenant', tenant: { id: CHILD, name: 'Paris' } } }))).toBe(SP);
  });
  it("puts a change to a child's users in the child's log", () => {
    expect(logTenantOf(entry({ object: { id: 'u-1', type: 'user', user: { email: 'a@b.example' }, tenant: { id: CHILD, name: 'Paris', parent: SP } } }))).toBe(CHILD);
  });
  it("puts a standalone tenant's changes in its own log, and a removed standalone tenant's in none", () => {
    expect(logTenantOf(entry({ tenant_id: SP, log_tenant_ids: [SP], object: { id: SP, type: 'tenant', tenant: { id: SP, name: 'Globex' } } }))).toBe(SP);
    expect(logTenantOf(entry({ tenant_id: '', log_tenant_ids: [], object: { id: SP, type: 'tenant', tenant: { id: SP, name: 'Gone' } } }))).toBeUndefined();
    expect(auditJob(entry({ tenant_id: '', log_tenant_ids: [], object: { id: SP, type: 'tenant', tenant: { id: SP, name: 'Gone' } } }))).toBeUndefined();
  });
});

describe("Mender's shape", () => {
  it('is the emit_auditlog input, with the entry id in meta and the time in ISO 8601', () => {
    expect(auditJob(entry({ meta: { limit_kind: ['max_devices'] } }))).toEqual({
      auditlog: {
        action: 'update',
        actor: menderActor({ id: 'ops@example.com', email: 'ops@example.com' }),
        object: { id: CHILD, type: 'tenant', tenant: { id: CHILD, name: 'Paris', parent: SP } },
        change: 'max_devices: 30 -> 40',
        meta: { limit_kind: ['max_devices'], tenantadm_entry_id: ['6b171e5c27db3e4b063c8d97'] },
        time: '2026-12-01T10:00:00.000Z',
      },
      tenant_id: SP,
      request_id: 'tenantadm-6b171e5c27db3e4b063c8d97',
    });
  });

  it('makes the actor a user: the email when --actor is one, and an id derived from it, the same every time', () => {
    const a = menderActor({ id: 'Ops@Example.com', type: 'user', email: 'ops@example.com' });
    expect(a).toEqual({ id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/), type: 'user', email: 'ops@example.com' });
    expect(menderActor({ id: 'ops@example.com', type: 'user', email: 'ops@example.com' }).id).toBe(a.id);
    expect(menderActor({ id: 'other@example.com', type: 'user', email: 'other@example.com' }).id).not.toBe(a.id);
    // A job's name is not an email: a user without one.
    expect(menderActor({ id: 'nightly-job', type: 'system' })).toEqual({ id: expect.any(String), type: 'user' });
  });
});
