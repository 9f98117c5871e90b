/** What commands receive instead of reaching for globals: the store, the clock, I/O. */
import type { Config } from './config';
import type { Store } from './store';
import type { TokenSigner } from './token';
import type { SecretDeps } from './secrets';
import type { Progress } from './progress';

export interface Deps extends SecretDeps {
  config: Config;
  now: () => Date;
  /** Opens the database on first use; commands that never call it never load the driver. */
  store: () => Promise<Store>;
  /** Loads the signing key; throws a usage error (exit 2) when there is none. */
  signer: () => TokenSigner;
  hashPassword: (password: string) => Promise<string>;
  /**
   * A progress counter on stderr for long work ("tenants", "plan entries"), drawn only on a
   * terminal after about a second; call `done()` when the work ends.
   */
  progress: (label: string, total?: number) => Progress;
  /** `-q`: the once-only notices about the data (notices.ts) are not said. */
  quiet?: boolean;
  /** Keys of the once-only warnings already given in this run (notices.ts). */
  warned: Set<string>;
  /** The process's environment, where a fleet file's `${env:NAME}` references are read (absent: none is set). */
  env?: NodeJS.ProcessEnv;
  /** Reads a visible answer on the terminal (confirmations); tests inject one. */
  ask?: (message: string) => Promise<string>;
}
