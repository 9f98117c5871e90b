/**
 * doctor: what this Mender server reads, and whether the tool can work on it. Read-only;
 * prints one JSON report and exits 5 when something must be fixed first.
 */
import type { OptionsOf } from '../../options';
import type { noOptions } from './spec';
import type { Deps } from '../../deps';
import type { Result } from '../../output';
import { ExitCode, TenantadmError } from '../../errors';
import { DEFAULTS, ENV } from '../../config';
import { keyConfigured } from '../../token';
import type { ServiceName } from '../../mender/services';
import { chooseTokenFormat, type TokenFormatSource } from '../../operations/token-format';
import type { TokenFormat } from '../../domain/token-format';
import { standingWarnings } from '../../notices';

export type DoctorOptions = OptionsOf<typeof noOptions>;

export interface DoctorReport {
  ok: boolean;
  schema: {
    profile: string | null;
    source: 'detected' | 'override' | null;
    detected: string | null;
    deviceauth_migration: string | null;
    invalid_limits: number | null;
  };
  server: { version: string; ferretdb?: string };
  services: Record<ServiceName, { address: string | null; alive: boolean | null }>;
  redis: { configured: boolean; key_prefix: string };
  /** The format new tenant tokens get, where that came from, and the stored tokens by format. */
  tokens: { format: TokenFormat; source: TokenFormatSource; stored: { jwt: number; opaque: number } };
  indexes: { database: string; collection: string; index: string; owner: string; required: boolean; present: boolean }[];
  problems: string[];
  /** The warnings this configuration gives when the commands they concern run (notices.ts). */
  warnings: string[];
}

export async function doctor(_options: DoctorOptions, deps: Deps): Promise<Result> {
  const store = await deps.store();
  const problems: string[] = [];
  const server = await store.serverInfo();
  const detected = await store.detectedSchema();

  const schemaPart: DoctorReport['schema'] = {
    profile: null,
    source: null,
    detected: detected.name ?? null,
    deviceauth_migration: detected.deviceauthVersion ?? null,
    invalid_limits: null,
  };
  try {
    const profile = await store.profile();
    schemaPart.profile = profile.name;
    schemaPart.source = profile.source;
    schemaPart.invalid_limits = await store.guard(() => store.limits.countInvalid(profile.name));
    if (schemaPart.invalid_limits > 0) {
      problems.push(`${schemaPart.invalid_limits} limit document(s) hold a value this deviceauth cannot read (${profile.name} profile); set them again with set-device-limit`);
    }
    if (profile.source === 'override' && detected.name && detected.name !== profile.name) {
      problems.push(`--mender-schema ${profile.name} contradicts deviceauth's migration ${detected.deviceauthVersion} (${detected.name})`);
    }
  } catch (err) {
    if (!(err instanceof TenantadmError) || err.code !== 'rule_violation') throw err;
    // The hint is the next step (start deviceauth, or --mender-schema): the problem says it.
    problems.push(err.hint ? `${err.message}; ${err.hint}` : err.message);
  }

  const services = {} as DoctorReport['services'];
  await Promise.all(
    (['deviceauth', 'useradm', 'deployments'] as const).map(async (name) => {
      const address = deps.config.services[name] ?? null;
      const alive = address ? await store.services.alive(name) : null;
      if (address && !alive) problems.push(`the ${name} service does not answer at ${address}`);
      services[name] = { address, alive };
    }),
  );

  const tokenChoice = await chooseTokenFormat(store, deps, { counts: true });
  const stored = tokenChoice.stored ?? { jwt: 0, opaque: 0 };
  if (tokenChoice.format === 'jwt' && !keyConfigured(deps.config)) {
    problems.push(
      `new tenant tokens are jwt (${tokenChoice.source}) but no signing key is configured: set ${ENV.keyFile} (or --key-file), or choose opaque tokens with --token-format or ${ENV.tokenFormat}`,
    );
  }

  const indexes = await store.indexStatus();
  for (const ix of indexes.filter((i) => i.required && !i.present)) {
    problems.push(`index ${ix.index} on ${ix.database}.${ix.collection} is missing: run tenantadm migrate`);
  }

  const report: DoctorReport = {
    ok: problems.length === 0,
    schema: schemaPart,
    server,
    services,
    redis: { configured: deps.config.redisUrl !== undefined, key_prefix: deps.config.redisKeyPrefix ?? DEFAULTS.redisKeyPrefix },
    tokens: { format: tokenChoice.format, source: tokenChoice.source, stored: { jwt: stored.jwt, opaque: stored.opaque } },
    indexes,
    problems,
    warnings: standingWarnings(deps.config),
  };
  return { type: 'object', data: report, exitCode: report.ok ? ExitCode.ok : ExitCode.rule };
}
