/**
 * Identity-provider settings of a tenant (OIDC or SAML). The JSON Schemas are checked with
 * ajv (validateDocument) so errors name the JSON pointer; secrets are masked on the way out.
 */
import { RuleError, UsageError } from '../errors';
import { validateDocument } from '../validate';
import { maskFields } from './masking';

export const SSO_TYPES = ['oidc', 'saml'] as const;
export type SsoType = (typeof SSO_TYPES)[number];

const URL_PATTERN = '^https?://[^\\s]+$';
const DOMAIN_LIST = {
  type: 'array',
  description: 'email domains whose users sign in through this identity provider',
  items: { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$' },
  uniqueItems: true,
} as const;

export const typeOnlySchema = {
  type: 'object',
  properties: { type: { type: 'string', enum: [...SSO_TYPES] } },
  required: ['type'],
} as const;

export const oidcSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', const: 'oidc' },
    issuer: { type: 'string', pattern: URL_PATTERN, maxLength: 2048 },
    client_id: { type: 'string', minLength: 1, maxLength: 1024 },
    client_secret: { type: 'string', minLength: 1, maxLength: 4096 },
    scopes: { type: 'array', items: { type: 'string', minLength: 1, pattern: '^\\S+$' }, uniqueItems: true },
    redirect_uri: { type: 'string', pattern: URL_PATTERN, maxLength: 2048 },
    email_claim: { type: 'string', minLength: 1, maxLength: 256 },
    domains: DOMAIN_LIST,
    enabled: { type: 'boolean' },
  },
  required: ['type', 'issuer', 'client_id', 'client_secret'],
  additionalProperties: false,
} as const;

export const samlSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', const: 'saml' },
    metadata_url: { type: 'string', pattern: URL_PATTERN, maxLength: 2048 },
    metadata_xml: { type: 'string', minLength: 1, maxLength: 1_000_000, pattern: '<' },
    entity_id: { type: 'string', minLength: 1, maxLength: 2048 },
    acs_url: { type: 'string', pattern: URL_PATTERN, maxLength: 2048 },
    name_id_format: { type: 'string', minLength: 1, maxLength: 256 },
    email_attribute: { type: 'string', minLength: 1, maxLength: 256 },
    sp_certificate: { type: 'string', minLength: 1, maxLength: 65536 },
    /** The service provider's signing key: a secret. */
    sp_private_key: { type: 'string', minLength: 1, maxLength: 65536 },
    domains: DOMAIN_LIST,
    enabled: { type: 'boolean' },
  },
  required: ['type', 'entity_id'],
  additionalProperties: false,
} as const;

export interface OidcSettings {
  type: 'oidc';
  issuer: string;
  client_id: string;
  client_secret: string;
  scopes?: string[];
  redirect_uri?: string;
  email_claim?: string;
  domains?: string[];
  enabled?: boolean;
}

export interface SamlSettings {
  type: 'saml';
  metadata_url?: string;
  metadata_xml?: string;
  entity_id: string;
  acs_url?: string;
  name_id_format?: string;
  email_attribute?: string;
  sp_certificate?: string;
  sp_private_key?: string;
  domains?: string[];
  enabled?: boolean;
}

export type SsoSettings = OidcSettings | SamlSettings;

export const SSO_SECRET_FIELDS: Record<SsoType, readonly string[]> = {
  oidc: ['client_secret'],
  saml: ['sp_private_key'],
};

/** Check a parsed settings file; `source` names it in errors (e.g. "sso.json" or "stdin"). */
export function validateSso(data: unknown, source: string): SsoSettings {
  const { type } = validateDocument<{ type: SsoType }>(typeOnlySchema, data, source);
  if (type === 'oidc') return validateDocument<OidcSettings>(oidcSchema, data, source);
  const saml = validateDocument<SamlSettings>(samlSchema, data, source);
  const given = [saml.metadata_url, saml.metadata_xml].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new UsageError(`${source}: /metadata_url: give exactly one of metadata_url and metadata_xml`, 'fix the file and run again', {
      pointer: '/metadata_url',
    });
  }
  return saml;
}

export function maskSso(settings: SsoSettings): SsoSettings {
  return maskFields(settings, SSO_SECRET_FIELDS[settings.type]);
}

/** A one-line description for the audit log: where the provider is, never a secret. */
export function describeSso(settings: SsoSettings): string {
  if (settings.type === 'oidc') return `oidc (issuer ${settings.issuer}, client_id ${settings.client_id})`;
  return `saml (entity_id ${settings.entity_id}, metadata ${settings.metadata_url ?? 'inline XML'})`;
}

/** True when the secret fields differ, so the audit can say a secret changed without showing it. */
export function ssoSecretsChanged(before: SsoSettings | null, after: SsoSettings): boolean {
  if (!before || before.type !== after.type) return true;
  return SSO_SECRET_FIELDS[after.type].some((f) => (before as unknown as Record<string, unknown>)[f] !== (after as unknown as Record<string, unknown>)[f]);
}

/** A child inherits its Service Provider's SSO settings only when the SP has some (exit 5 otherwise). */
export function assertInheritableSso(parentId: string, settings: SsoSettings | null): asserts settings is SsoSettings {
  if (!settings) {
    throw new RuleError(
      `the Service Provider ${parentId} has no SSO settings for its children to inherit`,
      `set them first: tenantadm set-sso --tenant ${parentId} -f sso.json`,
    );
  }
}
