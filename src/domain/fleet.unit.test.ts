/** The fleet document's checks and its diff, on data alone (the commands' tests run them against the database). */
import { buildFleet, diffFleet, secretVariable, validateFleet, type FleetDocument, type FleetState } from './fleet';
import type { Tenant } from './tenant';

const SP = '673a03e3c9eca7a440f2f444';
const KID = '673a03e3c9eca7a440f2f445';
const SOLO = '673a03e3c9eca7a440f2f446';

function tenant(id: string, name: string, extra: Partial<Tenant> = {}): Tenant {
  return { id, name, status: 'active', plan: 'enterprise', addons: [], service_provider: false, ...extra };
}

function state(): FleetState {
  return {
    tenants: [tenant(SP, 'acme', { service_provider: true }), tenant(KID, 'kid', { parent_tenant_id: SP }), tenant(SOLO, 'solo')],
    limits: new Map([[`${SP}/max_devices`, 10], [`${KID}/max_devices`, 5]]),
    users: new Map([[KID, [{ email: 'a@kid.example', roles: ['RBAC_ROLE_PERMIT_ALL'] }]]]),
    sso: new Map([[SP, { type: 'oidc', issuer: 'https://idp.example.com', client_id: 'c', client_secret: 'hidden-secret' }]]),
    storage: new Map(),
  };
}

const copy = (doc: FleetDocument): FleetDocument => JSON.parse(JSON.stringify(doc));

describe('fleet document', () => {
  it('names secret variables after the tenant, section and field', () => {
    expect(secretVariable('Acme SP', 'sso', 'client_secret')).toBe('TENANT_ACME_SP_SSO_CLIENT_SECRET');
    expect(secretVariable('--ünï  cø--', 'storage', 'account_key')).toBe('TENANT_N_C_STORAGE_ACCOUNT_KEY');
    expect(secretVariable('!!!', 'sso', 'sp_private_key')).toBe('TENANT_UNNAMED_SSO_SP_PRIVATE_KEY');
  });

  it('exports no secret, and validates what it exports', () => {
    const doc = buildFleet(state());
    expect(JSON.stringify(doc)).not.toContain('hidden-secret');
    expect(doc.tenants[0]!.sso).toEqual({ type: 'oidc', client_id: 'c', client_secret: '${env:TENANT_ACME_SSO_CLIENT_SECRET}', issuer: 'https://idp.example.com' });
    expect(validateFleet(copy(doc), 'f')).toEqual(doc);
  });

  it('finds no change between the state and its own export, and ignores fields the file leaves out', () => {
    const current = buildFleet(state(), 'keep');
    expect(diffFleet(current, buildFleet(state()))).toEqual([]);
    expect(diffFleet(current, { apiVersion: 'tenantadm/v1', kind: 'Fleet', tenants: [{ name: 'solo' }] })).toEqual([]);
  });

  it('follows a pinned id through a rename, and a child moved out of its SP', () => {
    const wanted = copy(buildFleet(state()));
    const kid = wanted.tenants[0]!.children!.pop()!;
    wanted.tenants.push({ ...kid, name: 'kid2' });
    expect(diffFleet(buildFleet(state(), 'keep'), wanted)).toEqual([
      { tenant: 'kid2', id: KID, action: 'update', field: 'name', before: 'kid', after: 'kid2' },
      { tenant: 'kid2', id: KID, action: 'update', field: 'parent', before: 'acme', after: null },
    ]);
  });

  it('refuses a pinned id that another tenant of that name contradicts (exit 4), and a name used twice in the database', () => {
    const wanted = copy(buildFleet(state()));
    wanted.tenants[1]!.id = '673a03e3c9eca7a440f2f4ff';
    expect(() => diffFleet(buildFleet(state(), 'keep'), wanted)).toThrow(/pins "solo" to id 673a03e3c9eca7a440f2f4ff/);
    const twice = state();
    twice.tenants.push(tenant('673a03e3c9eca7a440f2f447', 'solo'));
    expect(() => diffFleet(buildFleet(twice, 'keep'), { apiVersion: 'tenantadm/v1', kind: 'Fleet', tenants: [{ name: 'solo' }] })).toThrow(/used by 2 tenants/);
  });

  it('says "none" with null: removing SSO and storage, and reads -1 as unlimited', () => {
    const wanted = copy(buildFleet(state()));
    wanted.tenants[0]!.sso = null;
    wanted.tenants[1]!.device_limit = -1;
    expect(diffFleet(buildFleet(state(), 'keep'), wanted)).toEqual([{ tenant: 'acme', id: SP, action: 'update', field: 'sso', before: 'oidc', after: null }]);
  });

  it('never shows a secret, even when the settings change type', () => {
    const wanted = copy(buildFleet(state()));
    wanted.tenants[0]!.sso = { type: 'saml', entity_id: 'e', metadata_url: 'https://idp.example.com/m', sp_private_key: 'new-private-key' };
    const changes = diffFleet(buildFleet(state(), 'keep'), wanted);
    expect(JSON.stringify(changes)).not.toContain('hidden-secret');
    expect(JSON.stringify(changes)).not.toContain('new-private-key');
    expect(changes).toContainEqual({ tenant: 'acme', id: SP, action: 'update', field: 'sso.client_secret', before: '********', after: null });
    expect(changes).toContainEqual({ tenant: 'acme', id: SP, action: 'update', field: 'sso.sp_private_key', before: null, after: '********' });
  });

  it('names the JSON pointer of what is wrong', () => {
    const bad = (mutate: (d: any) => void) => {
      const d: any = copy(buildFleet(state()));
      mutate(d);
      try {
        validateFleet(d, 'fleet.yaml');
      } catch (err) {
        return (err as { message: string; details: { pointer: string } }).details.pointer;
      }
      return 'valid';
    };
    expect(bad((d) => (d.tenants[0].children[0].users[0].roles = 'admin'))).toBe('/tenants/0/children/0/users/0/roles');
    expect(bad((d) => (d.tenants[0].sso.issuer = 'not a url'))).toBe('/tenants/0/sso/issuer');
    expect(bad((d) => Object.assign(d.tenants[1], { service_provider: false, children: [{ name: 'x' }] }))).toBe('/tenants/1/children');
    expect(bad((d) => (d.tenants[1].unknown = 1))).toBe('/tenants/1');
    expect(bad((d) => (d.tenants[0].children[0].sso = { type: 'oidc', issuer: 'https://i.example', client_id: 'c', client_secret: '${env:X}' }))).toBe('valid');
  });
});
