/** set-device-limit's reallocation plan: its schema, and the plan read from a file or stdin. */
import type { FromSchema } from 'json-schema-to-ts';
import type { SecretDeps } from '../../secrets';
import { readJsonDocument } from '../../secrets';
import { validateDocument } from '../../validate';
import { LIMIT_KINDS, parseDeviceLimit, parseTenantId } from '../../domain/tenant';
import type { LimitChange } from '../../domain/allocation';

/**
 * A reallocation plan file: `{"limits": [{"id", "limit", "kind"?}]}`, the tenant's id under
 * `id` as in every output (`tenant_id`, its name before, is still read). Compiled at build time
 * by scripts/gen-validators.js.
 */
export const planSchema = {
  type: 'object',
  properties: {
    limits: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' },
          tenant_id: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' },
          limit: { anyOf: [{ type: 'integer', minimum: -1 }, { type: 'string', enum: ['unlimited'] }] },
          kind: { type: 'string', enum: [...LIMIT_KINDS] },
        },
        required: ['limit'],
        oneOf: [{ required: ['id'] }, { required: ['tenant_id'] }],
        additionalProperties: false,
      },
    },
  },
  required: ['limits'],
  additionalProperties: false,
} as const;

export type LimitPlan = FromSchema<typeof planSchema>;

/** The changes a plan file (or `-`, standard input) asks for; what is not a valid plan is exit 2. */
export async function readPlan(file: string, deps: SecretDeps): Promise<LimitChange[]> {
  const { data, source } = await readJsonDocument(file, deps, 'device limits');
  const plan = validateDocument<LimitPlan>(planSchema, data, source);
  return plan.limits.map((entry) => ({
    tenantId: parseTenantId((entry.id ?? entry.tenant_id)!),
    kind: entry.kind ?? 'max_devices',
    limit: parseDeviceLimit(entry.limit),
  }));
}
