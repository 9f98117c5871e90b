/**
 * The fleet the apply tests share (as test/support/fleet.ts seeds it, without the YAML
 * library): a Service Provider with two children, a standalone tenant with two users and its
 * own S3 storage, OIDC settings with a secret on the SP.
 */
import fs from 'node:fs';
import path from 'node:path';
import { run, type RunResult } from './harness';
import type { CommandTest } from './command-test';

export const CLIENT_SECRET = 'oidc-client-secret-value-1234';
export const AWS_SECRET = 'aws-secret-access-key-5678';

export async function seedApplyFleet(ctx: CommandTest) {
  const sp = await ctx.sp('Acme SP', '100');
  const paris = await ctx.child('Acme Paris', sp.id, ['--device-limit', '10']);
  const oslo = await ctx.child('Acme Oslo', sp.id, ['--device-limit', '20']);
  const solo = await ctx.create('Solo', ['--device-limit', '5']);
  await ctx.addUser(solo.id, 'ops@solo.example', ['RBAC_ROLE_PERMIT_ALL']);
  await ctx.addUser(solo.id, 'dev@solo.example');
  const sso = path.join(ctx.dir, 'sso.json');
  fs.writeFileSync(sso, JSON.stringify({ type: 'oidc', issuer: 'https://idp.example.com', client_id: 'tenantadm', client_secret: CLIENT_SECRET }));
  expect((await run(ctx.dbs, ['set-sso', '--tenant', sp.id, '-f', sso])).code).toBe(0);
  const storage = path.join(ctx.dir, 'storage.json');
  fs.writeFileSync(storage, JSON.stringify({ type: 's3', bucket: 'solo-artifacts', region: 'eu-west-1', access_key_id: 'AKIAEXAMPLE', secret_access_key: AWS_SECRET }));
  expect((await run(ctx.dbs, ['set-storage', '--tenant', solo.id, '-f', storage])).code).toBe(0);
  return { sp, paris, oslo, solo };
}

/** `tenantadm export --format json`, parsed. */
export async function exportedJson(ctx: CommandTest, ...args: string[]): Promise<any> {
  const r = await run(ctx.dbs, ['export', '--format', 'json', ...args]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(r.stdout);
}

/** A password file in the test's directory, as a `${file:PATH}` reference. */
export function passwordRef(ctx: CommandTest, password: string): string {
  const file = path.join(ctx.dir, `pw-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return `\${file:${file}}`;
}

/** `tenantadm apply -f FILE ARGS`, FILE holding `doc` as JSON; the result names the file. */
export async function applyOf(ctx: CommandTest, doc: unknown, args: string[] = [], env?: NodeJS.ProcessEnv): Promise<RunResult & { file: string }> {
  const file = path.join(ctx.dir, `fleet-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  return { ...(await run(ctx.dbs, ['apply', '-f', file, ...args], { env })), file };
}
