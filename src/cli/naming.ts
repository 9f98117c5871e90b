/**
 * One name for one thing across every command. Each entry is an option's name (as declared in
 * a spec.ts) and the spellings that name replaces: a command may keep one of those as an alias
 * of that option (older releases, Mender's own CLI), never declare it as an option of its own.
 * The parser uses the table to answer a replaced spelling a command does not take with the name
 * it does take; test/unit/naming.test.ts walks every command's options against it.
 */
export interface Naming {
  /** The option's key in a spec (`deviceLimit` is `--device-limit`). */
  name: string;
  /** What it names, for people reading this table. */
  means: string;
  /** Flags (without the dashes) that name the same thing and must not be declared as options. */
  replaces: readonly string[];
}

export const NAMING: readonly Naming[] = [
  { name: 'tenant', means: 'the tenant a command acts on or looks at (its id)', replaces: ['id', 'tenant-id', 'org', 'organization'] },
  { name: 'email', means: 'one user, by login email', replaces: ['username', 'user-email', 'login'] },
  { name: 'deviceLimit', means: 'the standard device limit (max_devices)', replaces: ['limit', 'max-devices'] },
  { name: 'microDeviceLimit', means: 'the micro device limit (max_micro_devices)', replaces: ['micro-limit', 'max-micro-devices'] },
  { name: 'systemDeviceLimit', means: 'the system device limit (max_system_devices)', replaces: ['system-limit', 'max-system-devices'] },
  { name: 'last', means: 'only the newest N entries of a listing', replaces: ['limit', 'max-entries', 'tail'] },
  { name: 'by', means: 'the actor a listing of changes is filtered by', replaces: ['changed-by'] },
];

/**
 * Where a replaced spelling stays declared as an option: Mender's own `create-org` and
 * `get-tenant` name a user `--username` (create-org's is the admin, get-tenant's finds the tenant).
 */
export const KEPT_SPELLINGS: Readonly<Record<string, readonly string[]>> = {
  username: ['create-tenant', 'get-tenant'],
};

/** The option a command declares for a spelling it does not take, e.g. `--tenant` for `--id`; undefined when none. */
export function renamedTo(spelling: string, declared: readonly string[]): string | undefined {
  const flag = spelling.replace(/^-+/, '');
  return NAMING.find((n) => n.replaces.includes(flag) && declared.includes(n.name))?.name;
}
