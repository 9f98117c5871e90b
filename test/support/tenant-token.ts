/** The check of a tenant token that create-tenant and update-tenant --rotate-token print. */
import { createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import { state } from './harness';

/** Assert `token` is an RS256 JWT for `tenantId`, signed with the test signing key. */
export function verifyToken(token: string, tenantId: string): void {
  const [h, c, s] = token.split('.');
  expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' });
  expect(JSON.parse(Buffer.from(c!, 'base64url').toString())).toEqual({
    'mender.tenant': tenantId,
    iss: 'Mender',
    sub: tenantId,
    iat: expect.any(Number),
    jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
  });
  const pub = createPublicKey(fs.readFileSync(state().keyFile, 'utf8'));
  expect(verify('RSA-SHA256', Buffer.from(`${h}.${c}`), pub, Buffer.from(s!, 'base64url'))).toBe(true);
}
