/**
 * Tenant tokens, in two formats (domain/token-format.ts). `jwt` (Mender 3.x): RS256 JWTs
 * signed with the tenant service's private key, in the format Mender's device-auth service
 * verifies: claims {"mender.tenant", iss "Mender", sub}, no expiry, plus iat and a random jti
 * (ignored by verifiers) so that each token is unique. `opaque` (Mender Server Enterprise
 * 4.x): 32 bytes from a CSPRNG, URL-safe base64 without padding; no key involved.
 */
import fs from 'node:fs';
import { createPrivateKey, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { UsageError } from './errors';
import { ENV } from './config';

export const CONVENTIONAL_KEY_PATH = '/etc/tenantadm/rsa/private.pem';

export type TokenSigner = (tenantId: string) => string;

const HOW = `set ${ENV.keyFile} or --key-file to the tenant service's RSA private key (conventionally ${CONVENTIONAL_KEY_PATH})`;

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A 4.x tenant token: 43 characters, unique by construction (256 random bits). */
export function opaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Whether a signing key is configured: given with --key-file, or a file that exists where
 * TENANTADM_SERVER_PRIV_KEY_PATH (or the conventional path) says. The variable alone is not
 * enough: the container image sets it, and a 4.x deployment has no key to mount there.
 * Without one, new tokens on an empty database are opaque.
 */
export function keyConfigured(config: { keyFile?: string; keyFileFromFlag?: boolean }): boolean {
  if (config.keyFileFromFlag) return true;
  return fs.existsSync(config.keyFile ?? CONVENTIONAL_KEY_PATH);
}

/** Load the key now, so a command fails before it writes anything. */
export function loadSigner(keyFile: string | undefined): TokenSigner {
  const path = keyFile ?? (fs.existsSync(CONVENTIONAL_KEY_PATH) ? CONVENTIONAL_KEY_PATH : undefined);
  if (!path) throw new UsageError('no private key to sign the tenant token', HOW);
  let pem: string;
  try {
    pem = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the private key ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, HOW);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new UsageError(`${path} is not a readable private key (PEM expected)`, HOW);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new UsageError(`${path} is a ${key.asymmetricKeyType ?? 'non-RSA'} key; tenant tokens need RSA (RS256)`, HOW);
  }
  return (tenantId: string) => {
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
    // iat and jti make every token distinct, so a rotated token really replaces the old one.
    const claims = b64url(
      JSON.stringify({ 'mender.tenant': tenantId, iss: 'Mender', sub: tenantId, iat: Math.floor(Date.now() / 1000), jti: randomUUID() }),
    );
    const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), key);
    return `${header}.${claims}.${b64url(signature)}`;
  };
}
