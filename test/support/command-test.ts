/**
 * The set-up a command's test file shares with the others: call `commandTest()` once at the
 * file's top level. It registers fresh, migrated databases for each test (withFreshDatabases)
 * and a temporary directory for the file (tmpDir, in beforeAll), and returns them with the
 * helpers the files use alike, bound to them: `ctx.dbs` and `ctx.dir` are the current test's.
 */
import { type Document } from 'mongodb';
import { client, expectFailsCleanly, passwordFile, runJson, tmpDir, withFreshDatabases, withOwnServer, type Dbs, type RunOptions } from './harness';

/** The password the user helpers give a user unless told another. */
export const PASSWORD = 'Sup3r-Secret-Pw!';

/** The audit collection, in the audit database. */
export const AUDIT = 'tenantadm_audit';

/** What the helpers of test/support take to work on the current test's databases and directory. */
export interface TestPlace {
  readonly dbs: Dbs;
  readonly dir: string;
}

export interface CommandTest extends TestPlace {
  /** create-tenant --name `name`, its JSON output. */
  create(name: string, extra?: string[], env?: NodeJS.ProcessEnv): Promise<any>;
  /** A tenant with a device limit of `limit`, made a Service Provider (update-tenant's JSON output). */
  sp(name: string, limit: string, extra?: string[]): Promise<any>;
  /**
   * create-tenant --name `name` --parent `spId`, with the user a child needs (Mender Enterprise
   * 4.x: `<name>@child.example`, its password from a file), its JSON output.
   */
  child(name: string, spId: string, extra?: string[], env?: NodeJS.ProcessEnv): Promise<any>;
  /** The arguments that give a new child its one user (for tests that run create-tenant --parent themselves). */
  childUser(name: string): string[];
  /** create-user in `tenant`, its password from a file in the test's directory. */
  addUser(tenant: string, email: string, roles?: string[], password?: string): Promise<any>;
  /** The user as stored in useradm's users. */
  storedUser(email: string): Promise<any>;
  /** The audit entries that name `tenantId`, oldest first. */
  auditOf(tenantId: string): Promise<any[]>;
  /** `tenantadm audit`'s JSON output. */
  audit(...args: string[]): Promise<any[]>;
  /** Every document of an audit collection (tenantadm_audit of the audit database by default), oldest first. */
  rawEntries(coll?: string, db?: string): Promise<Document[]>;
  /** Assert the command failed with `code`, printed nothing on stdout, one line on stderr, and wrote nothing. */
  expectFailsCleanly(args: string[], code: number, opts?: RunOptions): Promise<string>;
}

export interface CommandTestOptions {
  /** A FerretDB of the file's own (withOwnServer), for files whose commands scan the whole server. */
  ownServer?: boolean;
}

export function commandTest(opts: CommandTestOptions = {}): CommandTest {
  let dbs: Dbs | undefined;
  let dir: string | undefined;
  // withOwnServer must come before withFreshDatabases (its server is where they are made).
  if (opts.ownServer) withOwnServer();
  beforeAll(() => {
    dir = tmpDir();
  });
  withFreshDatabases((d) => (dbs = d));
  const ctx: CommandTest = {
    get dbs(): Dbs {
      if (!dbs) throw new Error('no databases outside a test (commandTest)');
      return dbs;
    },
    get dir(): string {
      if (!dir) throw new Error('no directory before beforeAll (commandTest)');
      return dir;
    },
    async create(name, extra = [], env) {
      return runJson(ctx.dbs, ['create-tenant', '--name', name, ...extra], { env });
    },
    async child(name, spId, extra = [], env) {
      return runJson(ctx.dbs, ['create-tenant', '--name', name, '--parent', spId, ...ctx.childUser(name), ...extra], { env });
    },
    childUser(name) {
      return ['--user', `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}@child.example`, '--password-file', passwordFile(ctx.dir, PASSWORD)];
    },
    async sp(name, limit, extra = []) {
      const t = await ctx.create(name, ['--device-limit', limit]);
      return runJson(ctx.dbs, ['update-tenant', '--tenant', t.id, '--service-provider', ...extra]);
    },
    async addUser(tenant, email, roles = [], password = PASSWORD) {
      return runJson(ctx.dbs, ['create-user', '--tenant', tenant, '--email', email, ...roles.flatMap((r) => ['--role', r]), '--password-file', passwordFile(ctx.dir, password)]);
    },
    async storedUser(email) {
      return (await client()).db(ctx.dbs.useradm).collection('users').findOne({ email });
    },
    async auditOf(tenantId) {
      return (await client()).db(ctx.dbs.audit).collection(AUDIT).find({ log_tenant_ids: tenantId }).sort({ time: 1, _id: 1 }).toArray();
    },
    async audit(...args) {
      return runJson(ctx.dbs, ['audit', ...args]);
    },
    async rawEntries(coll = AUDIT, db = ctx.dbs.audit) {
      return (await client()).db(db).collection(coll).find({}).sort({ time: 1, _id: 1 }).toArray();
    },
    expectFailsCleanly(args, code, runOpts = {}) {
      return expectFailsCleanly(ctx.dbs, args, code, runOpts);
    },
  };
  return ctx;
}
