/**
 * Where a tenant's records live, found on the server rather than listed by hand: every
 * collection of every database (except the server's own `admin`, `local`, `config`), and the
 * per-tenant databases Mender names `<name>-<tenant id>` (e.g. `deployment_service-<id>`).
 * Listing needs the `listDatabases` and `listCollections` privileges; a server that refuses
 * is exit 6 naming the privilege, before anything is written.
 */
import type { Document, MongoClient } from 'mongodb';
import { UnreachableError } from '../errors';

/** The server's own databases: never a tenant's. */
export const SERVER_DATABASES: readonly string[] = ['admin', 'local', 'config'];

export interface CollectionRef {
  db: string;
  coll: string;
}

/** MongoDB's Unauthorized (13) and its older spelling (Unauthorized to run a command: 8000 on Atlas). */
function refused(err: unknown): boolean {
  const e = err as { code?: number; codeName?: string };
  return e?.code === 13 || e?.codeName === 'Unauthorized' || e?.code === 8000;
}

function privilegeError(privilege: string, on: string): UnreachableError {
  return new UnreachableError(
    `the database server refuses to list ${on}: the user needs the ${privilege} privilege`,
    `grant ${privilege} (e.g. the built-in role readAnyDatabase) to the tenantadm user; nothing was changed`,
    { privilege },
  );
}

/** Database names on the server (or the given ones and their per-tenant databases), the server's own left out. */
async function databaseNames(client: MongoClient, options: { databases?: string[] } = {}): Promise<string[]> {
  let names: string[];
  try {
    const listed = await client.db('admin').admin().listDatabases({ nameOnly: true, authorizedDatabases: false });
    names = listed.databases.map((d) => d.name);
  } catch (err) {
    if (refused(err)) throw privilegeError('listDatabases', 'its databases');
    throw err;
  }
  const wanted = options.databases ? new Set(options.databases) : undefined;
  return names.filter((n) => !SERVER_DATABASES.includes(n) && (!wanted || wanted.has(n) || [...wanted].some((w) => n.startsWith(`${w}-`)))).sort();
}

/**
 * Every collection that may hold tenants' documents: each database on the server except
 * the server's own (or only `databases`, with their per-tenant databases), views and
 * `system.*` collections left out.
 */
export async function tenantCollections(client: MongoClient, options: { databases?: string[] } = {}): Promise<CollectionRef[]> {
  const out: CollectionRef[] = [];
  for (const db of await databaseNames(client, options)) {
    let listed: Document[];
    try {
      listed = await client.db(db).listCollections({}, { nameOnly: false, authorizedCollections: false }).toArray();
    } catch (err) {
      if (refused(err)) throw privilegeError('listCollections', `the collections of database ${db}`);
      throw err;
    }
    for (const c of listed) {
      const name = String(c.name);
      if (c.type === 'view' || name.startsWith('system.')) continue;
      out.push({ db, coll: name });
    }
  }
  return out.sort((a, b) => (a.db === b.db ? a.coll.localeCompare(b.coll) : a.db.localeCompare(b.db)));
}

/** Databases named `<name>-<tenant id>` for one of `tenantIds`, as Mender names per-tenant databases. */
export function perTenantDatabases(names: string[], tenantIds: Set<string>): { db: string; tenantId: string }[] {
  const out: { db: string; tenantId: string }[] = [];
  for (const db of names) {
    const dash = db.lastIndexOf('-');
    if (dash <= 0) continue;
    const id = db.slice(dash + 1);
    if (tenantIds.has(id)) out.push({ db, tenantId: id });
  }
  return out;
}
