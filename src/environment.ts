/**
 * The one table of every environment variable tenantadm reads (with Mender's defaults its
 * meanings name), and the test hooks in a section of their own. No imports: launch.ts reads
 * its variables from here before anything else is loaded, and config.ts re-exports it.
 */

type Table = Record<string, { name: string; meaning: string }>;

/** A table's names by key, for code that reads the variables: `names(ENVIRONMENT).mongo` is 'TENANTADM_MONGO'. */
function names<T extends Table>(table: T): { readonly [K in keyof T]: T[K]['name'] } {
  return Object.fromEntries(Object.entries(table).map(([key, v]) => [key, v.name])) as { readonly [K in keyof T]: T[K]['name'] };
}

export const DEFAULTS = {
  mongo: 'mongodb://localhost:27017',
  timeoutMs: 5000,
  tenantadmDb: 'tenantadm',
  useradmDb: 'useradm',
  deviceauthDb: 'deviceauth',
  auditDb: 'auditlogs',
  auditCollection: 'tenantadm_audit',
  redisKeyPrefix: 'deviceauth:v1',
} as const;

/**
 * Every environment variable the tool reads, with what it means: the one table the man
 * page's ENVIRONMENT section and docs/configuration.md's table are generated from (`npm run docs`). Code
 * reads a variable by its name here (`env[ENV.mongo]`); a unit test fails on a read of a
 * name not in this table or TEST_HOOKS, and on an entry nothing reads.
 */
export const ENVIRONMENT = {
  mongo: {
    name: 'TENANTADM_MONGO',
    meaning: `MongoDB URL: mongodb://..., mongodb+srv://... or Mender's host:port (default ${DEFAULTS.mongo}); credentials in it are never printed`,
  },
  timeout: { name: 'TENANTADM_TIMEOUT_MS', meaning: `connect and server-selection timeout in milliseconds, 100-600000 (default ${DEFAULTS.timeoutMs}); a server that stops answering is given up after about 2.5 times this; a read that is making progress never times out` },
  tenantadmDb: { name: 'TENANTADM_DB', meaning: `tenant database (default ${DEFAULTS.tenantadmDb}); also holds tenantadm_journal, tenantadm_journal_plans, tenantadm_locks, tenantadm_leases and tenantadm_late_writes` },
  useradmDb: { name: 'TENANTADM_USERADM_DB', meaning: `user database (default ${DEFAULTS.useradmDb})` },
  deviceauthDb: { name: 'TENANTADM_DEVICEAUTH_DB', meaning: `device-auth database with devices and limits (default ${DEFAULTS.deviceauthDb})` },
  auditDb: { name: 'TENANTADM_AUDIT_DB', meaning: `audit database (default ${DEFAULTS.auditDb})` },
  auditCollection: { name: 'TENANTADM_AUDIT_COLLECTION', meaning: `audit collection (default ${DEFAULTS.auditCollection})` },
  keyFile: {
    name: 'TENANTADM_SERVER_PRIV_KEY_PATH',
    meaning: 'RSA private key (PEM) that signs tenant tokens (default /etc/tenantadm/rsa/private.pem when it exists)',
  },
  tokenFormat: {
    name: 'TENANTADM_TOKEN_FORMAT',
    meaning: 'jwt (Mender 3.x: signed with the key above) or opaque (Mender Server Enterprise 4.x: 43 random characters, no key): the format of new tenant tokens; detected from the stored tokens when unset',
  },
  mongoUsername: { name: 'TENANTADM_MONGO_USERNAME', meaning: "MongoDB user, as Mender's services take it (instead of putting it in the URL)" },
  mongoPassword: { name: 'TENANTADM_MONGO_PASSWORD', meaning: 'MongoDB password for that user; never printed' },
  mongoPasswordFile: {
    name: 'TENANTADM_MONGO_PASSWORD_FILE',
    meaning: 'a file holding that password (a mounted secret), instead of TENANTADM_MONGO_PASSWORD; one trailing newline is dropped',
  },
  redisUrl: {
    name: 'DEVICEAUTH_REDIS_CONNECTION_STRING',
    meaning: "Redis URL of the device-auth service's cache (device-auth's own variable); limit writes invalidate the cached limit the way Mender does (see the device-auth cache)",
  },
  /** The name earlier releases of this tool read; still honoured. */
  redisUrlOld: { name: 'DEVICEAUTH_REDIS', meaning: 'older name for DEVICEAUTH_REDIS_CONNECTION_STRING, still read' },
  redisKeyPrefix: { name: 'DEVICEAUTH_REDIS_KEY_PREFIX', meaning: `device-auth's cache key prefix (default ${DEFAULTS.redisKeyPrefix})` },
  menderSchema: {
    name: 'TENANTADM_MENDER_SCHEMA',
    meaning: 'legacy or v2: the limit semantics of the Mender version; detected from deviceauth.migration_info when unset',
  },
  deviceauthAddr: {
    name: 'TENANTADM_DEVICEAUTH_ADDR',
    meaning: 'device-auth service address; when set, limits and device token revocation go through its internal API (unset: written directly)',
  },
  useradmAddr: {
    name: 'TENANTADM_USERADM_ADDR',
    meaning: 'user service address; when set, users are created and user tokens revoked through its internal API, so Enterprise registers them for login (unset: written directly)',
  },
  deploymentsAddr: {
    name: 'TENANTADM_DEPLOYMENTS_ADDR',
    meaning: 'deployments service address; when set, storage settings go through its internal API, which checks the bucket (unset: written directly)',
  },
  orchestratorAddr: {
    name: 'TENANTADM_ORCHESTRATOR_ADDR',
    meaning: "Mender's workflows service address (as in Mender's tenantadm container); when set, every audit entry is also delivered to Mender's own audit log (workflow emit_auditlog)",
  },
  actor: { name: 'TENANTADM_ACTOR', meaning: 'who is acting, recorded in the audit log (default user@host)' },
  errorFormat: { name: 'TENANTADM_ERROR_FORMAT', meaning: 'how errors are written: text (default) or json' },
  noInput: { name: 'TENANTADM_NO_INPUT', meaning: 'set to 1 (or true, yes): never prompt, as --no-input; what would be asked is exit 2' },
  noColor: { name: 'NO_COLOR', meaning: 'turn colour off (colour is used only on a terminal)' },
  forceColor: { name: 'FORCE_COLOR', meaning: 'turn colour on even when standard output is not a terminal' },
  term: { name: 'TERM', meaning: 'dumb: no colour on the terminal either' },
  output: {
    name: 'TENANTADM_OUTPUT',
    meaning: 'the output format when no -o is given and standard output is a terminal: json, ndjson, table or csv (piped output stays JSON)',
  },
  columns: { name: 'COLUMNS', meaning: 'the width tables fit on a terminal that does not tell its own (default 80); piped tables are never cut' },
  user: { name: 'USER', meaning: 'the user name in the default actor, when the system cannot tell it' },
  debug: { name: 'TENANTADM_DEBUG', meaning: 'set (e.g. to 1): internal errors come with a stack trace, and each long read prints its final count on stderr' },
  countCommands: {
    name: 'TENANTADM_COUNT_COMMANDS',
    meaning: 'set to 1: print on stderr at exit how many database commands the run sent, by name (for benchmarks)',
  },
  noBundle: { name: 'TENANTADM_NO_BUNDLE', meaning: 'set (e.g. to 1): bin/tenantadm runs the compiled modules (dist/main.js) instead of the single-file build' },
  cacheDir: {
    name: 'TENANTADM_CACHE_DIR',
    meaning: "where bin/tenantadm keeps the code V8 compiled from the single-file build (default $XDG_CACHE_HOME/tenantadm/v8); off: no cache",
  },
  xdgCacheHome: { name: 'XDG_CACHE_HOME', meaning: "the user's cache directory, holding tenantadm/v8 (default ~/.cache)" },
} as const satisfies Table;

/** The variables' names, for code that reads them: `ENV.mongo` is 'TENANTADM_MONGO'. */
export const ENV = names(ENVIRONMENT);

/**
 * Test hooks: variables only the test suite sets, read once by the entry point
 * (journal/test-hooks.ts). Never set them in production: they kill the process on purpose,
 * pause it, or shorten lock leases.
 */
export const TEST_HOOKS = {
  crashAt: { name: 'TENANTADM_CRASH_AT', meaning: 'step:N, commit, finalize or finalize:N: SIGKILL the process at that point of an operation' },
  pauseMs: {
    name: 'TENANTADM_TEST_PAUSE_MS',
    meaning: "N: wait N ms between a locked command's checks and its writes, saying so on stderr when the wait starts (so a test can start a rival then)",
  },
  leaseMs: { name: 'TENANTADM_TEST_LEASE_MS', meaning: 'N: the lease length in ms (default 30 s), so a test can kill a process and settle its operation without waiting' },
  lockWaitMs: { name: 'TENANTADM_TEST_LOCK_WAIT_MS', meaning: 'N: how long in ms a command waits for a lock held by a live owner (default from --timeout)' },
  bcryptCost: { name: 'TENANTADM_TEST_BCRYPT_COST', meaning: 'N: the bcrypt cost of password hashes (default 10, 4-31), so tests spend less CPU on each hash' },
} as const satisfies Table;

/** The test hooks' names: `TEST_HOOK_ENV.crashAt` is 'TENANTADM_CRASH_AT'. */
export const TEST_HOOK_ENV = names(TEST_HOOKS);
