/**
 * Which format new tenant tokens get, and making them: forced by --token-format or
 * TENANTADM_TOKEN_FORMAT, else the format of the tokens already stored (the newest tenant's,
 * with a warning, when they are mixed), else `opaque` when no signing key is configured
 * (Mender Server Enterprise 4.0.0 decommissioned tenantadm's key) and `jwt` when one is.
 */
import type { Deps } from '../deps';
import type { Store, StoredTokenFormats } from '../store';
import type { TokenFormat } from '../domain/token-format';
import { keyConfigured, opaqueToken } from '../token';
import { warnMixedTokenFormats } from '../notices';

export type TokenFormatSource = 'flag' | 'environment' | 'stored' | 'stored (mixed: newest tenant)' | 'signing key configured' | 'no signing key';

export interface TokenFormatChoice {
  format: TokenFormat;
  source: TokenFormatSource;
  /** Read only when they decide (or when asked for, as doctor does). */
  stored?: StoredTokenFormats;
}

export async function chooseTokenFormat(store: Store, deps: Pick<Deps, 'config' | 'warn' | 'warned' | 'quiet'>, options: { counts?: boolean } = {}): Promise<TokenFormatChoice> {
  const forced = deps.config.tokenFormat;
  const stored = options.counts ? await store.guard(() => store.tenants.tokenFormats()) : undefined;
  if (forced) return { format: forced.format, source: forced.source, ...(stored ? { stored } : {}) };
  // Two short reads (the newest token, one of the other format), however many tenants there are.
  const { newest, mixed } = await store.guard(() => store.tenants.newestTokenFormat());
  if (newest && mixed) {
    const counts = stored ?? (await store.guard(() => store.tenants.tokenFormats()));
    warnMixedTokenFormats(deps, counts, newest);
    return { format: newest, source: 'stored (mixed: newest tenant)', stored: counts };
  }
  if (newest) return { format: newest, source: 'stored', ...(stored ? { stored } : {}) };
  const keyed = keyConfigured(deps.config);
  return { format: keyed ? 'jwt' : 'opaque', source: keyed ? 'signing key configured' : 'no signing key', ...(stored ? { stored } : {}) };
}

/**
 * A maker of new tokens in the chosen format. A `jwt` needs the signing key (loaded now, so a
 * missing key is exit 2 before anything is written); an `opaque` one needs none. Both are
 * unique by construction (a random jti; 256 random bits).
 */
export async function tokenMaker(store: Store, deps: Deps): Promise<{ choice: TokenFormatChoice; make: (tenantId: string) => string }> {
  const choice = await chooseTokenFormat(store, deps);
  if (choice.format === 'opaque') return { choice, make: () => opaqueToken() };
  const sign = deps.signer();
  return { choice, make: sign };
}
