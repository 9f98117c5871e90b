/** What commands receive instead of reaching for globals: the store, the clock, I/O. */
import type { Config } from './config';
import type { Store } from './store';
import type { TokenSigner } from './token';
import type { SecretDeps } from './secrets';

export interface Deps extends SecretDeps {
  config: Config;
  now: () => Date;
  /** Opens the database on first use; commands that never call it never load the driver. */
  store: () => Promise<Store>;
  /** Loads the signing key; throws a usage error (exit 2) when there is none. */
  signer: () => TokenSigner;
  hashPassword: (password: string) => Promise<string>;
  /** Reads a visible answer on the terminal (confirmations); tests inject one. */
  ask?: (message: string) => Promise<string>;
}
