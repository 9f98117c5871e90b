/** create-tenant (and Mender's create-org): a tenant with its limit, token and initial admin, all-or-nothing. */
import type { OptionsOf } from '../../options';
import type { createTenantOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ConflictError, RuleError, UsageError } from '../../errors';
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
import { readPassword, readSecretFile, registerSecret } from '../../secrets';
import { warnDirectUser } from '../../notices';
import { ChangeSet, tenantObject, userObject, spLock, ssoLock, tenantLock, tenantNameLock, tenantTokenLock, type Store, type TenantFields, type TenantRecord } from '../../store';
import { tenantColumns } from '../../views/tenant';
import { viewOne } from '../../operations/tenant-view';
import type { TenantView } from '../../domain/tenant';
import { allocationOf, requireActiveSp, requireChildSlot, requireRoomFor } from '../../domain/allocation';
import { loadWorld } from '../../operations/allocation';
import { isAdmin, parseRoles } from '../../domain/user';
import { tokenHash, validateGivenToken } from '../../domain/token-format';
import { tokenMaker } from '../../operations/token-format';
import { inheritSsoFields } from '../../operations/sso';
import { assertChildAddonsAllowed, inheritedFeatures } from '../../domain/child-features';

export type CreateTenantOptions = OptionsOf<typeof createTenantOptions>;

export async function createTenant(options: CreateTenantOptions, deps: Deps): Promise<Result> {
  // Everything that can be checked without the database is checked first.
  const name = validateTenantName(options.name);
  const addonFlags = parseAddonFlags(options.addon ?? []);
  const parentId = options.parent === undefined ? undefined : parseTenantId(options.parent, 'parent id');
  // A child gets no capacity unless asked: "unlimited" under a capped SP would over-allocate it.
  // -1 and "unlimited" both mean no limit (UNLIMITED is -1).
  const limitOf = (v: number | 'unlimited' | undefined) => (v === undefined ? undefined : v === 'unlimited' ? UNLIMITED : v);
  const deviceLimit = limitOf(options.deviceLimit) ?? (parentId ? 0 : UNLIMITED);
  // The other tiers (MEN-8905/8906): written only when given, or for a child when its SP caps them.
  const tierLimits: Partial<Record<LimitKind, number>> = {};
  if (options.microDeviceLimit !== undefined) tierLimits.max_micro_devices = limitOf(options.microDeviceLimit);
  if (options.systemDeviceLimit !== undefined) tierLimits.max_system_devices = limitOf(options.systemDeviceLimit);
  const users = parseUsers(options.adminEmail, options.user ?? []);
  const email = options.adminEmail === undefined ? undefined : users[0]!.email;
  // Mender Enterprise 4.1 refuses a child tenant without users (MEN-8261): checked once a
  // create is certain (--if-not-exists may find the child), before anything is written.
  const requireChildUsers = () => {
    if (parentId !== undefined && users.length === 0) {
      throw new RuleError(
        `a child tenant needs at least one user (Mender Enterprise 4.x refuses one without, MEN-8261)`,
        'add --admin-email EMAIL with --password-file FILE, or --user EMAIL[:ROLE]',
      );
    }
  };
  const passwordHashes = await readPasswords(users, options, deps);
  const givenToken = await readGivenToken(options, deps);

  const store = await deps.store();
  // A create of this name killed midway is settled before the name is looked up.
  await store.settleInterrupted();
  const output = (view: TenantView): Result =>
    options.idOnly ? { type: 'text', text: view.id } : { type: 'object', data: view, columns: tenantColumns };

  /** The existing tenant when it is what was asked; exit 4 naming each difference otherwise. */
  const existingAsAsked = async (record: TenantRecord): Promise<Result> => {
    // A create (or another change) of this tenant still under way by a live owner elsewhere:
    // its records are not a finished tenant to compare with what was asked.
    const pending = await store.pendingOn(tenantLock(record.tenant.id));
    if (pending) {
      throw new ConflictError(
        `a tenant named "${name}" (id ${record.tenant.id}) is being changed by operation ${pending.id} (${pending.command ?? 'a command'}, ${pending.state}, pid ${pending.pid} on ${pending.host}), under way since ${pending.since.toISOString()}`,
        `its owner finishes it; if that process is gone it can be settled from ${pending.lease_until.toISOString()} (when its lease runs out) by \`tenantadm repair\` or the next command: run this command again then`,
        { id: record.tenant.id, operation: pending.id, since: pending.since.toISOString(), settle_after: pending.lease_until.toISOString() },
      );
    }
    const differences = await differencesFromAsked(store, record, {
      plan: options.plan,
      deviceLimit: options.deviceLimit === undefined ? undefined : deviceLimit,
      email,
      parentId,
      addonFlags,
      sso: options.sso,
      token: givenToken,
    });
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
  requireChildUsers();
  // useradm.users holds one tenant per email: an existing user cannot join the new tenant.
  for (const u of users) {
    const user = await store.users.findByEmail(u.email);
    if (user) {
      throw new ConflictError(`the email ${u.email} is already used by a user of tenant ${user.user.tenant_id}`, 'emails are unique across all tenants: give a new one', {
        tenant_id: user.user.tenant_id,
      });
    }
  }

  // Users written straight into useradm.users rely on its unique email index.
  if (users.length > 0) await store.requireUserIndex();
  // The new tenant's id is chosen first: its create holds the tenant's lock until it commits.
  const newId = store.tenants.newId();
  // The token's format is decided by what is stored (or forced); a JWT's key is loaded now.
  const token = givenToken ?? (await tokenMaker(store, deps)).make(newId);
  // Only stdout carries it: whatever error quotes it (a driver's duplicate-key message) is redacted on stderr.
  registerSecret(token);
  // Every new token is unique across tenants, decided under a lock named by its hash.
  const tokenLocks = [tenantTokenLock(tokenHash(token))];
  const tokenFree = async () => {
    const holder = await store.tenants.findOne({ token });
    if (holder) {
      throw new ConflictError(
        `another tenant (id ${holder.tenant.id}, "${holder.tenant.name}") holds the ${givenToken === undefined ? 'new' : 'given'} tenant token`,
        givenToken === undefined ? 'nothing was written; run the command again' : 'a tenant token belongs to one tenant; give the token of this fleet',
        { id: holder.tenant.id },
      );
    }
  };

  /** The whole change; `limits` are the limit documents to write besides none. */
  const build = async (limits: Partial<Record<LimitKind, number>>, features: { plan: string; addons: Map<string, boolean> }, inherited: Pick<TenantFields, 'sso_inherit'> = {}) => {
    const now = deps.now();
    const plan = features.plan;
    const addons = applyAddons(
      ADDONS.map((n) => ({ name: n, enabled: false })),
      features.addons as Map<(typeof ADDONS)[number], boolean>,
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
    created.doc.tenant_token = token;
    const changes = new ChangeSet('create-tenant').add(created.step);
    const on = addons.filter((a) => a.enabled).map((a) => a.name);
    // The audit entry never receives the token: it says only whether it was given.
    changes.audit({
      action: 'create',
      tenantId: created.id,
      parentId,
      object: tenantObject(created.id, name),
      change: `tenant "${name}" created${parentId ? ` as a child of Service Provider ${parentId}` : ''}${inherited.sso_inherit ? ', SSO inherited' : ''}: plan ${plan}, device limit ${formatLimit(limits.max_devices ?? UNLIMITED)}${
        LIMIT_KINDS.filter((k) => k !== 'max_devices' && limits[k] !== undefined).map((k) => `, ${k} ${formatLimit(limits[k]!)}`).join('')
      }${features.addons.size || parentId ? `, add-ons ${on.join(',') || 'none'}` : ''}${givenToken !== undefined ? ', tenant token given' : ''}`,
    });
    // A new id has no limit documents: no need to read them.
    const none = (kind: LimitKind) => ({ tenantId: created.id, kind, value: UNLIMITED, raw: null });
    for (const kind of LIMIT_KINDS) if (limits[kind] !== undefined) changes.add(await store.limitStep(none(kind), limits[kind]!));
    for (const u of users) {
      const made = store.userCreateSteps({ email: u.email, passwordHash: passwordHashes.get(u.email)!, tenantId: created.id, roles: u.roles, now });
      if (made.direct) warnDirectUser(deps);
      changes.add(...made.steps);
      changes.audit({
        action: 'create',
        tenantId: created.id,
        parentId,
        object: userObject(made.user.id, u.email),
        change: u.admin ? `initial admin ${u.email} created with role ${ADMIN_ROLE}` : `user ${u.email} created with role${u.roles.length === 1 ? '' : 's'} ${u.roles.join(', ')}`,
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
      outcome = await store.exclusive<Outcome>([tenantNameLock(name), tenantLock(newId), ...tokenLocks], async () => {
        const taken = await nameFree();
        if (taken) return { changes: null, result: { existing: taken } };
        await tokenFree();
        const { changes, record } = await build({ max_devices: deviceLimit, ...tierLimits }, { plan: options.plan ?? 'enterprise', addons: addonFlags });
        return { changes, result: { created: record } };
      });
    } else {
      // Counting children and capacity, then creating, must not interleave with another allocation.
      // With --sso the SP's settings must not be cleared meanwhile: hold its SSO lock too.
      const locks = [spLock(parentId), tenantNameLock(name), tenantLock(newId), ...(options.sso ? [ssoLock(parentId)] : []), ...tokenLocks];
      outcome = await store.exclusive<Outcome>(locks, async () => {
        const taken = await nameFree();
        if (taken) return { changes: null, result: { existing: taken } };
        await tokenFree();
        const { limits, parent } = await checkRoomForChild(parentId);
        assertChildAddonsAllowed(parent.tenant, applyAddons([], addonFlags), `the new child "${name}"`);
        const features = childFeatures(parent);
        const inherited = options.sso ? await inheritSsoFields(store, parent) : {};
        const { changes, record } = await build(limits, features, inherited);
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

  /**
   * A child's plan and add-ons are its SP's, as the SP's policy allows (MEN-7493, MEN-7511):
   * asking for others is exit 5.
   */
  function childFeatures(parent: TenantRecord): { plan: string; addons: Map<string, boolean> } {
    const inherited = inheritedFeatures(parent.tenant);
    const differs: string[] = [];
    if (options.plan !== undefined && options.plan !== inherited.plan) differs.push(`plan ${options.plan}`);
    for (const [addon, on] of addonFlags) if (on !== (inherited.addons as string[]).includes(addon)) differs.push(`add-on ${addon} ${on ? 'on' : 'off'}`);
    if (differs.length > 0) {
      throw new RuleError(
        `the new child "${name}" would have ${differs.join(', ')}, but a child has its Service Provider's plan and add-ons (${inherited.plan}, add-ons ${inherited.addons.join(',') || 'none'}; Mender Enterprise 4.x, MEN-7493)`,
        `leave out --plan and --addon, or change the Service Provider's: tenantadm update-tenant --tenant ${parentId} --plan P --addon A`,
        { plan: inherited.plan, addons: inherited.addons },
      );
    }
    return { plan: inherited.plan, addons: new Map(ADDONS.map((a) => [a, (inherited.addons as string[]).includes(a)])) };
  }

  /** The rules for a new child; returns the SP and the limits to write (max_devices, and each tier given or that the SP caps). */
  async function checkRoomForChild(spId: string): Promise<{ limits: Partial<Record<LimitKind, number>>; parent: TenantRecord }> {
    const { world, records } = await loadWorld(store, [spId]);
    const sp = records.get(spId)!.tenant;
    requireActiveSp(sp, `create a child under ${spId}`);
    const kids = world.children.get(spId) ?? [];
    requireChildSlot(sp, kids.length);
    const limits: Partial<Record<LimitKind, number>> = {};
    for (const kind of LIMIT_KINDS) {
      const spLimit = world.tenants.get(spId)!.limits[kind] ?? UNLIMITED;
      // Not given: max_devices is 0 (or what --device-limit said); another tier is none under an SP that caps it.
      const childLimit = kind === 'max_devices' ? deviceLimit : (tierLimits[kind] ?? (spLimit === UNLIMITED ? UNLIMITED : 0));
      if (kind === 'max_devices' || tierLimits[kind] !== undefined || spLimit !== UNLIMITED) limits[kind] = childLimit;
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
    return { limits, parent: records.get(spId)! };
  }
}

/** A user to create with the tenant: the admin (--admin-email) first, then each --user. */
interface NewUser {
  email: string;
  roles: string[];
  admin: boolean;
}

/** `--admin-email` and `--user EMAIL[:ROLE]` values as users; an email twice is exit 2. */
function parseUsers(adminEmail: string | undefined, values: string[]): NewUser[] {
  const out: NewUser[] = [];
  if (adminEmail !== undefined) out.push({ email: normalizeEmail(adminEmail), roles: [ADMIN_ROLE], admin: true });
  for (const raw of values) {
    const colon = raw.lastIndexOf(':');
    const [address, role] = colon > raw.indexOf('@') ? [raw.slice(0, colon), raw.slice(colon + 1)] : [raw, undefined];
    const email = normalizeEmail(address);
    if (out.some((u) => u.email === email)) throw new UsageError(`the user ${email} is given twice`, 'give each user once');
    out.push({ email, roles: parseRoles(role === undefined ? undefined : [role]), admin: false });
  }
  return out;
}

/**
 * Each new user's password, hashed. `--user-password-file EMAIL=FILE` names one user's; the
 * general source (--password-file, --password-stdin, create-org's --password) is the admin's,
 * or without --admin-email the one --user's; every other user is asked on a terminal, by
 * email, and without one the command stops (exit 2) before anything is read from the database.
 */
async function readPasswords(users: NewUser[], options: CreateTenantOptions, deps: Deps): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const raw of options.userPasswordFile ?? []) {
    const eq = raw.indexOf('=');
    if (eq <= 0 || eq === raw.length - 1) throw new UsageError(`invalid --user-password-file "${raw}"`, 'write it as EMAIL=FILE, e.g. --user-password-file ops@acme.example=ops.txt');
    const email = normalizeEmail(raw.slice(0, eq));
    if (!users.some((u) => u.email === email)) throw new UsageError(`--user-password-file names ${email}, which is not a user being created`, 'give the user with --user EMAIL[:ROLE]');
    if (files.has(email)) throw new UsageError(`--user-password-file gives ${email} twice`, 'give each user one file');
    files.set(email, raw.slice(eq + 1));
  }
  const general = { passwordFile: options.passwordFile, passwordStdin: options.passwordStdin, insecurePassword: options.password };
  const generalGiven = Object.values(general).some((v) => v !== undefined && v !== false);
  const generalFor = users.find((u) => u.admin)?.email ?? (users.length === 1 ? users[0]!.email : undefined);
  if (generalGiven && generalFor === undefined && users.length > 1) {
    throw new UsageError('--password-file and --password-stdin are the admin\'s; with several --user and no --admin-email it is not clear whose', 'give each user --user-password-file EMAIL=FILE');
  }
  const out = new Map<string, string>();
  for (const u of users) {
    let password: string;
    const file = files.get(u.email);
    if (file !== undefined && u.email === generalFor && generalGiven) throw new UsageError(`two passwords are given for ${u.email}`, 'give it one way only');
    if (file !== undefined) password = await readPassword({ passwordFile: file }, deps, `password of ${u.email}`);
    else if (u.email === generalFor && (generalGiven || users.length === 1)) password = await readPassword(general, deps);
    else {
      if (!deps.stdin.isTTY || deps.noInput) {
        throw new UsageError(`no password for the user ${u.email}`, `give --user-password-file ${u.email}=FILE, or run on a terminal to be asked`);
      }
      password = await readPassword({}, deps, `password of ${u.email}`);
    }
    out.set(u.email, await deps.hashPassword(validatePassword(password)));
  }
  return out;
}

/**
 * A tenant token to store as given (MEN-7901: a fleet moving with the token its devices hold):
 * from --tenant-token-file, or create-org's --tenant-token on argv (warned about). Never printed.
 */
async function readGivenToken(options: CreateTenantOptions, deps: Deps): Promise<string | undefined> {
  if (options.tenantToken !== undefined) {
    registerSecret(options.tenantToken);
    deps.warn('--tenant-token puts the token in the process list and shell history; use --tenant-token-file FILE (or - for standard input)');
    return validateGivenToken(options.tenantToken);
  }
  if (options.tenantTokenFile === undefined) return undefined;
  if (options.tenantTokenFile === '-' && options.passwordStdin) {
    throw new UsageError('--tenant-token-file - and --password-stdin both read standard input', 'give one of them as a file');
  }
  return validateGivenToken(await readSecretFile(options.tenantTokenFile, deps, 'tenant token', '--tenant-token-file'));
}

interface Asked {
  plan?: string;
  deviceLimit?: number;
  email?: string;
  parentId?: string;
  addonFlags: Map<string, boolean>;
  sso?: boolean;
  token?: string;
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
  // Never quoted: only whether it is the one given.
  if (asked.token !== undefined && t.tenant_token !== asked.token) out.push('tenant token: another one (asked the given one)');
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
