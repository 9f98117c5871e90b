/**
 * Which limit semantics the operator's deviceauth reads ("schema profile"). deviceauth
 * migration 2.0.2 (Mender main, after 4.1) rewrote stored 0 to -1: from then on -1 or no
 * document means unlimited and 0 accepts no device ("v2"). Before it (4.1.3 and earlier),
 * values are unsigned, 0 or no document means unlimited, and a negative value breaks every
 * read of the tenant's limit ("legacy"). The version comes from deviceauth's own
 * `migration_info`, the collection its migrations write.
 */
import type { Db } from 'mongodb';
import type { SchemaProfileName } from '../config';
import { ENV } from '../config';
import { RuleError } from '../errors';

export const MIGRATION_INFO = 'migration_info';
/** The first deviceauth migration with the v2 meaning of limits. */
export const V2_SINCE = [2, 0, 2] as const;

export interface SchemaProfile {
  name: SchemaProfileName;
  /** How it was decided: read from deviceauth, or forced with --mender-schema. */
  source: 'detected' | 'override';
  /** deviceauth's newest applied migration, e.g. "2.0.2"; absent when it has none. */
  deviceauthVersion?: string;
}

export interface DetectedSchema {
  deviceauthVersion?: string;
  name?: SchemaProfileName;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

export function profileForVersion(version: readonly number[]): SchemaProfileName {
  return compare(version, V2_SINCE) >= 0 ? 'v2' : 'legacy';
}

/** Read deviceauth's newest migration (one small query); nothing there means it cannot be told. */
export async function detectSchema(deviceauth: Db): Promise<DetectedSchema> {
  let newest: number[] | undefined;
  for await (const doc of deviceauth.collection(MIGRATION_INFO).find({}, { projection: { version: 1 } })) {
    const v = doc.version as { major?: unknown; minor?: unknown; patch?: unknown } | undefined;
    if (!v) continue;
    const parts = [Number(v.major ?? 0), Number(v.minor ?? 0), Number(v.patch ?? 0)];
    if (parts.some((n) => !Number.isFinite(n))) continue;
    if (!newest || compare(parts, newest) > 0) newest = parts;
  }
  if (!newest) return {};
  return { deviceauthVersion: newest.join('.'), name: profileForVersion(newest) };
}

/** The profile to use: the override when given, else the detected one; neither is exit 5. */
export function chooseProfile(detected: DetectedSchema, override: SchemaProfileName | undefined, deviceauthDb: string): SchemaProfile {
  const version = detected.deviceauthVersion ? { deviceauthVersion: detected.deviceauthVersion } : {};
  if (override) return { name: override, source: 'override', ...version };
  if (detected.name) return { name: detected.name, source: 'detected', ...version };
  throw new RuleError(
    `cannot tell which Mender version reads the device limits: ${deviceauthDb}.${MIGRATION_INFO} is empty`,
    `start Mender's deviceauth once so it records its version, or give --mender-schema legacy|v2 (${ENV.menderSchema}); legacy is Mender 4.1 and earlier`,
  );
}
