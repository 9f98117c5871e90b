import type { FromSchema } from 'json-schema-to-ts';
import type { Deps } from '../deps';
import type { Result, Column } from '../output';
import { ConflictError } from '../errors';
import {
  ADDONS,
  ADMIN_ROLE,
  PLANS,
  applyAddons,
  formatLimit,
  normalizeEmail,
  parseAddonFlags,
  parseDeviceLimit,
  validatePassword,
  validateTenantName,
  UNLIMITED,
} from '../domain/tenant';
import { readPassword } from '../secrets';
import { ChangeSet, type TenantRecord } from '../store';
import { tenantColumns, viewOne } from './views';

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
  const deviceLimit = options.deviceLimit === undefined ? UNLIMITED : parseDeviceLimit(options.deviceLimit);
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
  const output = async (record: TenantRecord): Promise<Result> => {
    const view = await viewOne(store, record);
    return options.idOnly ? { type: 'text', text: view.id } : { type: 'object', data: view, columns: tenantColumns as Column<never>[] };
  };

  const existing = await store.tenants.findOne({ name });
  if (existing) {
    if (options.ifNotExists) return output(existing);
    throw new ConflictError(`a tenant named "${name}" already exists (id ${existing.tenant.id})`, 'use --if-not-exists to get it instead', {
      id: existing.tenant.id,
    });
  }
  if (email !== undefined) {
    const user = await store.users.findByEmail(email);
    if (user) {
      throw new ConflictError(`the email ${email} is already used by a user of tenant ${user.user.tenant_id}`, 'emails are unique across all tenants', {
        tenant_id: user.user.tenant_id,
      });
    }
  }

  await store.beforeWrite();
  const now = deps.now();
  const addons = applyAddons(
    ADDONS.map((n) => ({ name: n, enabled: false })),
    addonFlags,
  );
  const created = store.tenants.newDocument({ name, status: 'active', plan, addons, created_at: now, updated_at: now });
  created.doc.tenant_token = sign(created.id);
  const changes = new ChangeSet('create-tenant').add(created.step);
  // A child's creation belongs in its Service Provider's log too (the store adds object.tenant.parent).
  const parentId = typeof created.doc.parent_tenant_id === 'string' ? created.doc.parent_tenant_id : undefined;
  changes.audit({
    action: 'create',
    tenantId: created.id,
    parentId,
    object: { id: created.id, type: 'tenant', tenant: { id: created.id, name } },
    change: `tenant "${name}" created: plan ${plan}, device limit ${formatLimit(deviceLimit)}${
      addonFlags.size ? `, add-ons ${addons.filter((a) => a.enabled).map((a) => a.name).join(',') || 'none'}` : ''
    }`,
  });
  const limit = await store.limits.get(created.id);
  changes.add(store.limits.setStep(limit, deviceLimit));
  if (email !== undefined && passwordHash !== undefined) {
    const admin = store.users.newUser({ email, passwordHash, tenantId: created.id, roles: [ADMIN_ROLE], now });
    changes.add(admin.step);
    changes.audit({
      action: 'create',
      tenantId: created.id,
      parentId,
      object: { id: admin.user.id, type: 'user', user: { email } },
      change: `initial admin ${email} created with role ${ADMIN_ROLE}`,
    });
  }

  try {
    await store.commit(changes);
  } catch (err) {
    // Another process created the same name between our check and our insert.
    if (err instanceof ConflictError && options.ifNotExists) {
      const winner = await store.tenants.findOne({ name });
      if (winner) return output(winner);
    }
    throw err;
  }
  const record = await store.tenants.findOne({ id: created.id });
  return output(record!);
}
