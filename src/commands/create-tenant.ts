import type { FromSchema } from 'json-schema-to-ts';
import type { Deps } from '../deps';
import type { Result, Column } from '../output';
import { ConflictError, RuleError, UsageError } from '../errors';
import {
  ADDONS,
  ADMIN_ROLE,
  PLANS,
  applyAddons,
  LIMIT_KINDS,
  formatLimit,
  normalizeEmail,
  parseAddonFlags,
  parseDeviceLimit,
  parseTenantId,
  validatePassword,
  validateTenantName,
  UNLIMITED,
  type LimitKind,
} from '../domain/tenant';
import { readPassword } from '../secrets';
import { warnDirectUser } from '../notices';
import { ChangeSet, type TenantFields, type TenantRecord } from '../store';
import { tenantColumns, viewOne } from '../views/tenant';
import type { TenantView } from '../domain/tenant';
import { allocationOf, requireActiveSp, requireChildSlot, requireRoomFor } from '../domain/allocation';
import { loadWorld, spLock, tenantNameLock } from '../operations/allocation';
import { inheritSsoFields } from '../views/sso';
import { assertChildAddonsAllowed } from '../domain/child-features';

export const schema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    plan: { type: 'string', enum: [...PLANS] },
    addon: { type: 'array', items: { type: 'string' } },
    deviceLimit: { type: 'string' },
    adminEmail: { type: 'string' },
    passwordFile: { type: 'string' },
    passwordStdin: { type: 'boolean' },
    /** Only through the `create-org` alias (Mender's spelling), with a warning. */
    password: { type: 'string' },
    idOnly: { type: 'boolean' },
    ifNotExists: { type: 'boolean' },
    parent: { type: 'string' },
    sso: { type: 'boolean' },
  },
  required: ['name'],
  additionalProperties: false,
} as const;

export type CreateTenantOptions = FromSchema<typeof schema>;

export async function createTenant(options: CreateTenantOptions, deps: Deps): Promise<Result> {
  // Everything that can be checked without the database is checked first.
  const name = validateTenantName(options.name);
  const plan = options.plan ?? 'enterprise';
  const addonFlags = parseAddonFlags(options.addon ?? []);
  const parentId = options.parent === undefined ? undefined : parseTenantId(options.parent, 'parent id');
  if (options.sso && parentId === undefined) {
    throw new UsageError('--sso needs --parent', "a tenant inherits SSO settings from its Service Provider: add --parent SP_ID");
  }
  // A child gets no capacity unless asked: "unlimited" under a capped SP would over-allocate it.
  const deviceLimit = options.deviceLimit === undefined ? (parentId ? 0 : UNLIMITED) : parseDeviceLimit(options.deviceLimit);
  const email = options.adminEmail === undefined ? undefined : normalizeEmail(options.adminEmail);
  const password =
    email === undefined
      ? undefined
      : validatePassword(
          await readPassword(
            { passwordFile: options.passwordFile, passwordStdin: options.passwordStdin, insecurePassword: options.password },
            deps,
          ),
        );
  const sign = deps.signer();
  const passwordHash = password === undefined ? undefined : await deps.hashPassword(password);

  const store = await deps.store();
  const output = (view: TenantView): Result =>
    options.idOnly ? { type: 'text', text: view.id } : { type: 'object', data: view, columns: tenantColumns as Column<never>[] };

  if (email !== undefined) {
    const user = await store.users.findByEmail(email);
    if (user) {
      throw new ConflictError(`the email ${email} is already used by a user of tenant ${user.user.tenant_id}`, 'emails are unique across all tenants', {
        tenant_id: user.user.tenant_id,
      });
    }
  }

  await store.beforeWrite();
  // Admins written straight into useradm.users rely on its unique email index.
  if (email !== undefined) await store.requireUserIndex();

  /** The whole change; `capped` are the other limit kinds the SP caps (the child gets 0 of them). */
  const build = async (capped: string[], inherited: Pick<TenantFields, 'sso_inherit'> = {}) => {
    const now = deps.now();
    const addons = applyAddons(
      ADDONS.map((n) => ({ name: n, enabled: false })),
      addonFlags,
    );
    const created = store.tenants.newDocument({
      name,
      status: 'active',
      plan,
      addons,
      parent_tenant_id: parentId,
      ...inherited,
      created_at: now,
      updated_at: now,
    });
    created.doc.tenant_token = sign(created.id);
    const changes = new ChangeSet('create-tenant').add(created.step);
    changes.audit({
      action: 'create',
      tenantId: created.id,
      parentId,
      object: { id: created.id, type: 'tenant', tenant: { id: created.id, name } },
      change: `tenant "${name}" created${parentId ? ` as a child of Service Provider ${parentId}` : ''}${inherited.sso_inherit ? ', SSO inherited' : ''}: plan ${plan}, device limit ${formatLimit(deviceLimit)}${
        addonFlags.size ? `, add-ons ${addons.filter((a) => a.enabled).map((a) => a.name).join(',') || 'none'}` : ''
      }`,
    });
    // A new id has no limit documents: no need to read them.
    const none = (kind: LimitKind) => ({ tenantId: created.id, kind, value: UNLIMITED, raw: null });
    changes.add(await store.limitStep(none('max_devices'), deviceLimit));
    for (const kind of capped) changes.add(await store.limitStep(none(kind as LimitKind), 0));
    if (email !== undefined && passwordHash !== undefined) {
      const admin = store.userCreateSteps({ email, passwordHash, tenantId: created.id, roles: [ADMIN_ROLE], now });
      if (admin.direct) warnDirectUser(deps);
      changes.add(...admin.steps);
      changes.audit({
        action: 'create',
        tenantId: created.id,
        parentId,
        object: { id: admin.user.id, type: 'user', user: { email } },
        change: `initial admin ${email} created with role ${ADMIN_ROLE}`,
      });
    }
    return { changes, record: store.tenants.recordOf(created.doc) };
  };

  // Names are unique by this tool's rule, not by an index on Mender's collection: the check
  // and the insert happen under the name's lock, so two creates of one name cannot both pass.
  // With --if-not-exists a taken name is the answer, and nothing is written.
  type Outcome = { created: TenantRecord } | { existing: TenantRecord };
  const nameFree = async (): Promise<TenantRecord | null> => {
    const taken = await store.tenants.findOne({ name });
    if (taken && !options.ifNotExists) throw nameTaken(name, taken);
    return taken;
  };
  let outcome: Outcome;
  try {
    if (parentId === undefined) {
      outcome = await store.exclusive<Outcome>([tenantNameLock(name)], async () => {
        const taken = await nameFree();
        if (taken) return { changes: null, result: { existing: taken } };
        const { changes, record } = await build([]);
        return { changes, result: { created: record } };
      });
    } else {
      // Counting children and capacity, then creating, must not interleave with another allocation.
      // With --sso the SP's settings must not be cleared meanwhile: hold its SSO lock too.
      const locks = [spLock(parentId), tenantNameLock(name), ...(options.sso ? [`sso:${parentId}`] : [])];
      outcome = await store.exclusive<Outcome>(locks, async () => {
        const taken = await nameFree();
        if (taken) return { changes: null, result: { existing: taken } };
        const { capped, parent } = await checkRoomForChild(parentId);
        assertChildAddonsAllowed(parent.tenant, applyAddons([], addonFlags), `the new child "${name}"`);
        const inherited = options.sso ? await inheritSsoFields(store, parent) : {};
        const { changes, record } = await build(capped, inherited);
        return { changes, result: { created: record } };
      });
    }
  } catch (err) {
    // Another process created the same name between our check and our insert.
    if (err instanceof ConflictError && options.ifNotExists) {
      const winner = await store.tenants.findOne({ name });
      if (winner) return output(await viewOne(store, winner));
    }
    throw err;
  }
  if ('existing' in outcome) return output(await viewOne(store, outcome.existing));
  // The result is what was written: a new tenant has its requested limit and no device yet.
  return output({ ...outcome.created.tenant, device_limit: deviceLimit, device_count: 0 });

  /** The rules for a new child; returns the SP and the limit kinds other than max_devices that it caps. */
  async function checkRoomForChild(spId: string): Promise<{ capped: LimitKind[]; parent: TenantRecord }> {
    const { world, records } = await loadWorld(store, [spId]);
    const sp = records.get(spId)!.tenant;
    requireActiveSp(sp, `create a child under ${spId}`);
    const kids = world.children.get(spId) ?? [];
    requireChildSlot(sp, kids.length);
    const capped: LimitKind[] = [];
    for (const kind of LIMIT_KINDS) {
      const spLimit = world.tenants.get(spId)!.limits[kind] ?? UNLIMITED;
      const childLimit = kind === 'max_devices' ? deviceLimit : spLimit === UNLIMITED ? UNLIMITED : 0;
      if (kind !== 'max_devices' && spLimit !== UNLIMITED) capped.push(kind);
      // A legacy deviceauth reads 0 as unlimited: a capped SP's child must get at least one device.
      const profile = spLimit !== UNLIMITED && childLimit === 0 ? await store.profile() : undefined;
      if (profile?.name === 'legacy') {
        throw new RuleError(
          `the new child "${name}" would get ${kind} 0, which ${profile.deviceauthVersion ? `deviceauth ${profile.deviceauthVersion}` : 'this Mender version'} reads as unlimited under Service Provider ${spId} (${kind} ${spLimit})`,
          kind === 'max_devices' ? 'give the child at least 1 device with --device-limit N' : `raise the Service Provider's ${kind} to unlimited, or upgrade Mender (deviceauth 2.0.2 and later can say "none")`,
          { kind, profile: profile.name },
        );
      }
      const others = allocationOf(kids.map((k) => world.tenants.get(k)!.limits[kind] ?? UNLIMITED));
      requireRoomFor({ id: spId, name: sp.name, limit: spLimit }, others, { label: `the new child "${name}"`, limit: childLimit }, kind);
    }
    return { capped, parent: records.get(spId)! };
  }
}

function nameTaken(name: string, existing: TenantRecord): ConflictError {
  return new ConflictError(`a tenant named "${name}" already exists (id ${existing.tenant.id})`, 'use --if-not-exists to get it instead', {
    id: existing.tenant.id,
  });
}
