/**
 * The fleet the export and diff tests share: a Service Provider with two children, a standalone
 * tenant with two users and its own S3 storage, OIDC settings with a secret on the SP.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { run, type RunResult } from './harness';
import type { CommandTest } from './command-test';

export const CLIENT_SECRET = 'oidc-client-secret-value-1234';
export const AWS_SECRET = 'aws-secret-access-key-5678';

export async function seedFleet(ctx: CommandTest) {
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

/** `tenantadm export ARGS`' output, which must succeed silently. */
export async function exported(ctx: CommandTest, ...args: string[]): Promise<string> {
  const r = await run(ctx.dbs, ['export', ...args]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return r.stdout;
}

/** `tenantadm diff -f FILE ARGS`, FILE holding `doc` (text as it is, anything else as YAML). */
export async function diffOf(ctx: CommandTest, doc: unknown, ...args: string[]): Promise<RunResult> {
  const file = path.join(ctx.dir, `fleet-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, typeof doc === 'string' ? doc : YAML.stringify(doc));
  return run(ctx.dbs, ['diff', '-f', file, ...args]);
}
