/** create-tenant (and Mender's create-org): a tenant with its limit, token and initial admin, all-or-nothing. */
import type { OptionsOf } from '../../options';
import type { createTenantOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ConflictError, RuleError } from '../../errors';
import {
  ADDONS,
  ADMIN_ROLE,
  applyAddons,
  LIMIT_KINDS,
  formatLimit,
  normalizeEmail,
  parseAddonFlags,
  parseTenantId,
  validatePassword,
  validateTenantName,
  UNLIMITED,
  type LimitKind,
} from '../../domain/tenant';
import { readPassword } from '../../secrets';
import { warnDirectUser } from '../../notices';
import { ChangeSet, tenantObject, userObject, spLock, ssoLock, tenantLock, tenantNameLock, type Store, type TenantFields, type TenantRecord } from '../../store';
import { tenantColumns } from '../../views/tenant';
import { viewOne } from '../../operations/tenant-view';
import type { TenantView } from '../../domain/tenant';
import { allocationOf, requireActiveSp, requireChildSlot, requireRoomFor } from '../../domain/allocation';
import { loadWorld } from '../../operations/allocation';
import { isAdmin } from '../../domain/user';
import { inheritSsoFields } from '../../operations/sso';
import { assertChildAddonsAllowed } from '../../domain/child-features';

export type CreateTenantOptions = OptionsOf<typeof createTenantOptions>;

export async function createTenant(options: CreateTenantOptions, deps: Deps): Promise<Result> {
  // Everything that can be checked without the database is checked first.
  const name = validateTenantName(options.name);
  const plan = options.plan ?? 'enterprise';
  const addonFlags = parseAddonFlags(options.addon ?? []);
  const parentId = options.parent === undefined ? undefined : parseTenantId(options.parent, 'parent id');
  // A child gets no capacity unless asked: "unlimited" under a capped SP would over-allocate it.
  // -1 and "unlimited" both mean no limit (UNLIMITED is -1).
  const deviceLimit = options.deviceLimit === undefined ? (parentId ? 0 : UNLIMITED) : options.deviceLimit === 'unlimited' ? UNLIMITED : options.deviceLimit;
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
  // A create of this name killed midway is settled before the name is looked up.
  await store.settleInterrupted();
  const output = (view: TenantView): Result =>
    options.idOnly ? { type: 'text', text: view.id } : { type: 'object', data: view, columns: tenantColumns };

  /** The existing tenant when it is what was asked; exit 4 naming each difference otherwise. */
  const existingAsAsked = async (record: TenantRecord): Promise<Result> => {
    const differences = await differencesFromAsked(store, record, { plan: options.plan, deviceLimit: options.deviceLimit === undefined ? undefined : deviceLimit, email, parentId, addonFlags, sso: options.sso });
    if (differences.length > 0) {
      throw new ConflictError(
        `a tenant named "${name}" already exists (id ${record.tenant.id}) and differs from what was asked: ${differences.join('; ')}`,
        'change it with update-tenant, set-device-limit or create-user, or ask for what it is',
        { id: record.tenant.id, differences },
      );
    }
    return output(await viewOne(store, record));
  };

  // With --if-not-exists a tenant of this name is the answer (or exit 4 naming how it differs),
  // before its own admin's email could count as taken.
  if (options.ifNotExists) {
    const existing = await store.tenants.findOne({ name });
    if (existing) return existingAsAsked(existing);
  }
  if (email !== undefined) {
    const user = await store.users.findByEmail(email);
    if (user) {
      throw new ConflictError(`the email ${email} is already used by a user of tenant ${user.user.tenant_id}`, 'emails are unique across all tenants', {
        tenant_id: user.user.tenant_id,
      });
    }
  }

  // Admins written straight into useradm.users rely on its unique email index.
  if (email !== undefined) await store.requireUserIndex();

  // The new tenant's id is chosen first: its create holds the tenant's lock until it commits.
  const newId = store.tenants.newId();

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
    }, newId);
    created.doc.tenant_token = sign(created.id);
    const changes = new ChangeSet('create-tenant').add(created.step);
    changes.audit({
      action: 'create',
      tenantId: created.id,
      parentId,
      object: tenantObject(created.id, name),
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
        object: userObject(admin.user.id, email),
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
      outcome = await store.exclusive<Outcome>([tenantNameLock(name), tenantLock(newId)], async () => {
        const taken = await nameFree();
        if (taken) return { changes: null, result: { existing: taken } };
        const { changes, record } = await build([]);
        return { changes, result: { created: record } };
      });
    } else {
      // Counting children and capacity, then creating, must not interleave with another allocation.
      // With --sso the SP's settings must not be cleared meanwhile: hold its SSO lock too.
      const locks = [spLock(parentId), tenantNameLock(name), tenantLock(newId), ...(options.sso ? [ssoLock(parentId)] : [])];
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
      if (winner) return existingAsAsked(winner);
    }
    throw err;
  }
  if ('existing' in outcome) return existingAsAsked(outcome.existing);
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

interface Asked {
  plan?: string;
  deviceLimit?: number;
  email?: string;
  parentId?: string;
  addonFlags: Map<string, boolean>;
  sso?: boolean;
}

/**
 * How an existing tenant differs from what `create-tenant --if-not-exists` asked, one
 * `field: what it is (asked what)` each. Options not given are not compared, except the
 * tenant's place: a parent (or none) and not being a Service Provider.
 */
async function differencesFromAsked(store: Store, record: TenantRecord, asked: Asked): Promise<string[]> {
  const t = record.tenant;
  const out: string[] = [];
  if (asked.plan !== undefined && t.plan !== asked.plan) out.push(`plan: ${t.plan} (asked ${asked.plan})`);
  if ((t.parent_tenant_id ?? null) !== (asked.parentId ?? null)) out.push(`parent: ${t.parent_tenant_id ?? 'none'} (asked ${asked.parentId ?? 'none'})`);
  if (t.service_provider) out.push('service provider: yes (asked no)');
  if (asked.deviceLimit !== undefined) {
    const current = (await store.limits.get(t.id, 'max_devices')).value;
    if (current !== asked.deviceLimit) out.push(`device limit: ${formatLimit(current)} (asked ${formatLimit(asked.deviceLimit)})`);
  }
  for (const [addon, enabled] of asked.addonFlags) {
    const now = t.addons.find((a) => a.name === addon)?.enabled === true;
    if (now !== enabled) out.push(`addon ${addon}: ${now ? 'on' : 'off'} (asked ${enabled ? 'on' : 'off'})`);
  }
  if (asked.sso && t.sso_inherit !== true) out.push('sso inherit: no (asked yes)');
  if (asked.email !== undefined) {
    const user = await store.users.findInTenant(t.id, asked.email);
    if (!user || !isAdmin(user.user.roles)) out.push(`admin ${asked.email}: ${user ? `roles ${user.user.roles.join(',') || 'none'}` : 'no such user'} (asked admin)`);
  }
  return out;
}

function nameTaken(name: string, existing: TenantRecord): ConflictError {
  return new ConflictError(`a tenant named "${name}" already exists (id ${existing.tenant.id})`, 'use --if-not-exists to get it instead', {
    id: existing.tenant.id,
  });
}
