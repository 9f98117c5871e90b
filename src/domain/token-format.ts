/**
 * Tenant token formats. Mender 3.x devices carry a JWT the tenant service signed (RS256);
 * Mender Server Enterprise 4.0.0 "generate[s] an opaque random string for tenant token
 * instead of using JWTs" and decommissioned the signing key: its UI's fixtures hold 43
 * characters of URL-safe base64, i.e. 32 random bytes without padding.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors';

export const TOKEN_FORMATS = ['jwt', 'opaque'] as const;
export type TokenFormat = (typeof TOKEN_FORMATS)[number];

/** Three dot-separated base64url parts: a JWT. Anything else is opaque. (Also given to MongoDB as a $regex.) */
export const JWT_PATTERN = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*$';
const JWT = new RegExp(JWT_PATTERN);

export function formatOf(token: string): TokenFormat {
  return JWT.test(token) ? 'jwt' : 'opaque';
}

/** How long a given token may be: a 3.x JWT is a few hundred characters, a 4.x token 43. */
export const TOKEN_LENGTH = { min: 16, max: 2048 } as const;

/**
 * A token given to be stored (Mender's `create-org --tenant-token`, MEN-7901): printable
 * ASCII without spaces, of a sane length. The message never quotes it.
 */
export function validateGivenToken(raw: string): string {
  const token = raw.replace(/\r?\n$/, '');
  if (token.length < TOKEN_LENGTH.min || token.length > TOKEN_LENGTH.max) {
    throw new UsageError(
      `the given tenant token is ${token.length} characters long; a tenant token has ${TOKEN_LENGTH.min} to ${TOKEN_LENGTH.max}`,
      'give the token the devices hold (a 3.x JWT or a 4.x 43-character token)',
    );
  }
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new UsageError('the given tenant token has characters other than printable ASCII (spaces and control characters included)', 'give the token exactly as the devices hold it');
  }
  return token;
}

/** What names a token where it must not be shown (lock keys): its SHA-256, in hex. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
