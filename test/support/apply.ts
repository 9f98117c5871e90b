/**
 * What the apply tests share: the fleet export and diff seed (test/support/fleet.ts), and
 * helpers to export it as JSON and apply a document.
 */
import fs from 'node:fs';
import path from 'node:path';
import { run, type RunResult } from './harness';
import type { CommandTest } from './command-test';

export { CLIENT_SECRET, AWS_SECRET, seedFleet as seedApplyFleet } from './fleet';

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
