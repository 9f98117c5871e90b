/** Unit tests of the audit log: time and word parsing, the secret guard, the steps that write entries, entry shapes (no database). */
import type { Db } from 'mongodb';
import { ObjectId } from 'mongodb';
import { parseAuditTime } from '../../src/domain/audit';
import { valueMessage } from '../../src/options';
import { spec as auditSpec } from '../../src/commands/audit/spec';
import { AuditStore, toEntry } from '../../src/store/audit';
import { UsageError } from '../../src/errors';
import { parseCsv } from '../support/csv';

const now = new Date('2025-03-10T12:00:00.000Z');

describe('parseAuditTime', () => {
  it.each([
    ['2025-01-31', '2025-01-31T00:00:00.000Z'],
    ['2025-01-31T08:00', '2025-01-31T08:00:00.000Z'],
    ['2025-01-31T08:00:05Z', '2025-01-31T08:00:05.000Z'],
    ['2025-01-31 08:00:05.250', '2025-01-31T08:00:05.250Z'],
    ['2025-01-31T08:00:00+02:00', '2025-01-31T06:00:00.000Z'],
    ['2025-01-31T08:00:00-0130', '2025-01-31T09:30:00.000Z'],
    ['90s', '2025-03-10T11:58:30.000Z'],
    ['30m', '2025-03-10T11:30:00.000Z'],
    ['24h', '2025-03-09T12:00:00.000Z'],
    ['7d', '2025-03-03T12:00:00.000Z'],
    ['2w', '2025-02-24T12:00:00.000Z'],
    [' 1d ', '2025-03-09T12:00:00.000Z'],
  ])('%s -> %s', (raw, iso) => {
    expect(parseAuditTime(raw, now, '--since').toISOString()).toBe(iso);
  });

  it.each(['', 'yesterday', '7', '7y', '-1d', '2025-13-01', '2025-02-30', '2025-04-31T10:00Z', '2025-02-28T25:00', '2025/01/31', '1e3h'])('rejects %j (exit 2)', (raw) => {
    expect(() => parseAuditTime(raw, now, '--until')).toThrow(UsageError);
  });

  it('names the flag in the message', () => {
    expect(() => parseAuditTime('soon', now, '--until')).toThrow(/--until: "soon"/);
  });
});

describe('audit filters are checked against the known words', () => {
  it('refuses an unknown --action or --object-type with the nearest known one', () => {
    const action = auditSpec.options.action;
    const objectType = auditSpec.options.objectType;
    expect(valueMessage('action', action, 'updat')).toBe('--action must be one of create, update, delete, password_change, auth_method_change; did you mean update?');
    expect(valueMessage('objectType', objectType, 'tenants')).toBe('--object-type must be one of tenant, user; did you mean tenant?');
    expect(valueMessage('objectType', objectType, 'limit')).toBe('--object-type must be one of tenant, user');
    expect(valueMessage('action', action, 'UPDATE')).toMatch(/did you mean update\?$/);
  });
});

describe('AuditStore.entry', () => {
  const fakeDb = { databaseName: 'auditlogs', collection: () => ({}) } as unknown as Db;
  const store = new AuditStore(fakeDb, 'tenantadm_audit');
  const time = new Date('2025-01-01T00:00:00Z');

  it('writes a committed entry into the tenant log and its parent, and names the parent in the object', () => {
    const doc = store.entry(
      {
        action: 'update',
        tenantId: 'c'.repeat(24),
        parentId: 'p'.repeat(24),
        object: { id: 'c'.repeat(24), type: 'tenant', tenant: { id: 'c'.repeat(24), name: 'child' } },
        change: 'plan: os -> enterprise',
      },
      'alice@host',
      time,
    );
    expect(doc).toMatchObject({
      state: 'committed',
      tenant_id: 'c'.repeat(24),
      log_tenant_ids: ['c'.repeat(24), 'p'.repeat(24)],
      actor: { id: 'alice@host', type: 'system' },
      object: { tenant: { id: 'c'.repeat(24), name: 'child', parent: 'p'.repeat(24) } },
      time,
    });
    expect(store.target).toEqual({ db: 'auditlogs', coll: 'tenantadm_audit' });
  });

  it('keeps a top-level tenant in its own log only', () => {
    const doc = store.entry(
      { action: 'create', tenantId: 'a'.repeat(24), object: { id: 'a'.repeat(24), type: 'tenant', tenant: { id: 'a'.repeat(24), name: 'a' } }, change: 'x' },
      'op',
      time,
    );
    expect(doc.log_tenant_ids).toEqual(['a'.repeat(24)]);
    expect(doc.object.tenant).toEqual({ id: 'a'.repeat(24), name: 'a' });
  });

  it('writes a text that merely looks like a secret (a tenant named like a JWT): secrets never reach an entry by construction (issue #18)', () => {
    const name = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.x';
    const doc = store.entry({ action: 'update', tenantId: 'a', object: { id: 'a', type: 'tenant', tenant: { id: 'a', name } }, change: `name: x -> ${name}` }, 'op', time);
    expect(doc.change).toBe(`name: x -> ${name}`);
  });
});

describe('toEntry', () => {
  it('prints the API shape without bookkeeping fields', () => {
    const _id = new ObjectId();
    const entry = toEntry({
      _id,
      state: 'committed',
      tenant_id: 't1',
      log_tenant_ids: ['t1', 'p1'],
      actor: { id: 'op', type: 'system' },
      action: 'create',
      object: { id: 'u1', type: 'user', user: { email: 'a@b.example' } },
      change: 'created',
      meta: { k: ['v'] },
      time: new Date('2025-01-02T03:04:05.006Z'),
    });
    expect(entry).toEqual({
      id: _id.toHexString(),
      time: '2025-01-02T03:04:05.006Z',
      tenant_id: 't1',
      actor: { id: 'op', type: 'system' },
      action: 'create',
      object: { id: 'u1', type: 'user', user: { email: 'a@b.example' } },
      change: 'created',
      meta: { k: ['v'] },
    });
    expect(Object.keys(entry)).toEqual(['id', 'time', 'tenant_id', 'actor', 'action', 'object', 'change', 'meta']);
  });
});

describe('parseCsv (test helper)', () => {
  it('reads quoted fields with commas, quotes and line breaks', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi""\nthere"\r\n,\r\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"\nthere'],
      ['', ''],
    ]);
  });
  it('rejects malformed input', () => {
    expect(() => parseCsv('a,"b\r\n')).toThrow();
    expect(() => parseCsv('a,b"c"\r\n')).toThrow();
    expect(() => parseCsv('a,b\n')).toThrow();
    expect(() => parseCsv('a,b')).toThrow();
  });
});
