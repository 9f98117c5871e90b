/**
 * Helpers for the round-trip tests: how many database commands a command sends, counted by the
 * driver's command monitoring (TENANTADM_COUNT_COMMANDS), and a fast seeded SP with children.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { client, run, type Dbs } from './harness';
import type { TestPlace } from './command-test';

export interface Counted {
  code: number;
  stdout: string;
  byName: Record<string, number>;
  total: number;
}

/** Commands by name from the debug line on stderr. */
export async function countCommands(dbs: Dbs, args: string[]): Promise<Counted> {
  const r = await run(dbs, args, { env: { TENANTADM_COUNT_COMMANDS: '1' } });
  const m = /tenantadm: debug: (\d+) database commands(?: \((.*)\))?/.exec(r.stderr);
  if (!m) throw new Error(`no command count on stderr: ${r.stderr}`);
  const byName: Record<string, number> = {};
  for (const part of (m[2] ?? '').split(', ').filter(Boolean)) {
    const [name, n] = part.split(' ');
    byName[name!] = Number(n);
  }
  return { code: r.code, stdout: r.stdout, byName, total: Number(m[1]) };
}

/** Reads only: what grows with data if anything issues a query per tenant or per entry. */
export const reads = (c: { byName: Record<string, number> }) => (c.byName.find ?? 0) + (c.byName.aggregate ?? 0) + (c.byName.count ?? 0) + (c.byName.listIndexes ?? 0);

/** An SP (limit 10,000) with `n` children at limit 1, and `extra` tenants that are not its children. */
export async function seedSpWithChildren(dbs: Dbs, n: number, extra = 0): Promise<{ sp: string; children: string[] }> {
  const c = await client();
  const sp = new ObjectId();
  const kids = Array.from({ length: n }, () => new ObjectId());
  const others = Array.from({ length: extra }, () => new ObjectId());
  await c.db(dbs.tenantadm).collection('tenants').insertMany([
    { _id: sp, name: 'sp', status: 'active', plan: 'enterprise', addons: [], service_provider: true },
    ...kids.map((k, i) => ({ _id: k, name: `child-${i}`, status: 'active', plan: 'enterprise', addons: [], parent_tenant_id: sp.toHexString() })),
    ...others.map((k, i) => ({ _id: k, name: `other-${i}`, status: 'active', plan: 'enterprise', addons: [] })),
  ]);
  await c.db(dbs.deviceauth).collection('limits').insertMany([
    { name: 'max_devices', value: 10_000, tenant_id: sp.toHexString() },
    ...[...kids, ...others].map((k) => ({ name: 'max_devices', value: 1, tenant_id: k.toHexString() })),
  ]);
  return { sp: sp.toHexString(), children: kids.map((k) => k.toHexString()) };
}

/** A reallocation plan file in `dir` setting every child to `limit`. */
export function planFile(dir: string, children: string[], limit: number): string {
  const file = path.join(dir, `plan-${children.length}-${limit}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify({ limits: children.map((id) => ({ id, limit })) }));
  return file;
}

/** countCommands, seedSpWithChildren and planFile bound to the current test's databases and directory. */
export function roundTripHelpers(t: TestPlace) {
  return {
    counted: (args: string[]) => countCommands(t.dbs, args),
    seed: (n: number, extra = 0) => seedSpWithChildren(t.dbs, n, extra),
    planFile: (children: string[], limit: number) => planFile(t.dir, children, limit),
  };
}
