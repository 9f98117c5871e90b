/**
 * Where tenants' records live, found rather than listed: every database on the server
 * except MongoDB's own (admin, local, config), every collection in it except views and
 * system collections, and the per-tenant databases `<name>-<tenant id>` (deployments keeps
 * `deployment_service-<id>`). A database or collection the server refuses to list is exit 6
 * naming the privilege, never a silently shorter list.
 */
import type { MongoClient } from 'mongodb';
import { UnreachableError } from '../errors';
import { HEX_ID } from '../domain/tenant';

/** MongoDB's own databases: never a tenant's. */
export const SERVER_DATABASES = new Set(['admin', 'local', 'config']);

const PER_TENANT = /^(.+)-([0-9a-f]{24})$/;

export interface DiscoveryOptions {
  /** Only these databases (and their per-tenant databases `<name>-<id>`); default every database. */
  databases?: string[];
}

/** `deployment_service-<id>` → its base name and tenant id; anything else → null. */
export function parsePerTenantDatabase(name: string): { base: string; tenantId: string } | null {
  const m = PER_TENANT.exec(name);
  if (!m || !HEX_ID.test(m[2]!)) return null;
  return { base: m[1]!, tenantId: m[2]! };
}

/** The per-tenant databases among `names` that belong to one of `tenantIds`. */
export function perTenantDatabases(names: string[], tenantIds: Set<string>): { db: string; tenantId: string }[] {
  const out: { db: string; tenantId: string }[] = [];
  for (const db of names) {
    const parsed = parsePerTenantDatabase(db);
    if (parsed && tenantIds.has(parsed.tenantId)) out.push({ db, tenantId: parsed.tenantId });
  }
  return out;
}

/** The server refused (Unauthorized, code 13): exit 6 naming what the user lacks. */
export function refusal(err: unknown, privilege: string, resource: string): unknown {
  const e = err as { code?: number; codeName?: string; message?: string };
  if (e?.code !== 13 && e?.codeName !== 'Unauthorized') return err;
  return new UnreachableError(
    `MongoDB refused to ${privilege === 'find' ? 'read' : 'list'} ${resource}: the user lacks the ${privilege} privilege`,
    `grant ${privilege} on ${resource} (e.g. the readAnyDatabase role), or restrict the scan with --databases`,
    { privilege, resource },
  );
}

function wanted(name: string, only: Set<string> | undefined): boolean {
  if (SERVER_DATABASES.has(name)) return false;
  if (!only) return true;
  if (only.has(name)) return true;
  const parsed = parsePerTenantDatabase(name);
  return parsed !== null && only.has(parsed.base);
}

/**
 * The names of the databases to look at. `authorizedDatabases: false` makes a user without
 * the listDatabases privilege fail instead of getting only the databases it may read.
 */
export async function databaseNames(client: MongoClient, options: DiscoveryOptions = {}): Promise<string[]> {
  let reply;
  try {
    reply = await client.db('admin').command({ listDatabases: 1, nameOnly: true, authorizedDatabases: false });
  } catch (err) {
    throw refusal(err, 'listDatabases', 'the databases of the server');
  }
  const only = options.databases ? new Set(options.databases) : undefined;
  const names = ((reply.databases ?? []) as { name: string }[]).map((d) => d.name);
  return names.filter((n) => wanted(n, only)).sort();
}

/** The collections of one database that can hold documents (no views, no system collections). */
export async function collectionsOf(client: MongoClient, db: string): Promise<string[]> {
  try {
    const infos = await client.db(db).listCollections({}, { nameOnly: false, authorizedCollections: false }).toArray();
    return infos
      .filter((c) => (c.type ?? 'collection') === 'collection' && !c.name.startsWith('system.'))
      .map((c) => c.name)
      .sort();
  } catch (err) {
    throw refusal(err, 'listCollections', `database ${db}`);
  }
}

/**
 * Every collection that may hold tenants' documents. Per-tenant databases are left out:
 * they belong to one tenant as a whole (see perTenantDatabases), and listing each of them
 * would be one query per tenant.
 */
export async function tenantCollections(client: MongoClient, options: DiscoveryOptions = {}): Promise<{ db: string; coll: string }[]> {
  const out: { db: string; coll: string }[] = [];
  for (const db of await databaseNames(client, options)) {
    if (parsePerTenantDatabase(db)) continue;
    for (const coll of await collectionsOf(client, db)) out.push({ db, coll });
  }
  return out;
}
