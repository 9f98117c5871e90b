/**
 * A Service Provider's policy of the add-ons its children may use: a list stored on the
 * SP as `child_features`. No list means no restriction; an empty list allows none.
 */
import { RuleError, UsageError } from '../errors';
import { ADDONS, type Addon, type AddonName, type Tenant } from './tenant';

/** `a,b` sets the list, `none` allows no add-on, `all` removes the policy (null). */
export function parseChildFeatures(raw: string): AddonName[] | null {
  const text = raw.trim().toLowerCase();
  if (text === 'all') return null;
  if (text === 'none') return [];
  const out: AddonName[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (!(ADDONS as readonly string[]).includes(part)) {
      throw new UsageError(`invalid child feature "${part}"`, `give a comma list of ${ADDONS.join(', ')}, or "none", or "all"`);
    }
    if (!out.includes(part as AddonName)) out.push(part as AddonName);
  }
  // Stored in the canonical add-on order, so equal policies compare equal.
  return ADDONS.filter((a) => out.includes(a));
}

/** The SP's policy, or null when its children may use every add-on. */
export function childFeaturePolicy(parent: Tenant | null | undefined): string[] | null {
  return parent && Array.isArray(parent.child_features) ? parent.child_features.map(String) : null;
}

/** Enabled add-ons that a policy does not allow. */
export function forbiddenAddons(policy: string[] | null, addons: Addon[]): string[] {
  if (policy === null) return [];
  return addons.filter((a) => a.enabled && !policy.includes(a.name)).map((a) => a.name);
}

/**
 * Refuse (exit 5) to give a child of `parent` an add-on outside the parent's policy.
 * create-tenant --parent and update-tenant --addon call this inside the `sp:<parent>` lock.
 */
export function assertChildAddonsAllowed(parent: Tenant | null | undefined, addons: Addon[], childLabel = 'a child'): void {
  const policy = childFeaturePolicy(parent);
  const forbidden = forbiddenAddons(policy, addons);
  if (forbidden.length > 0 && parent) {
    throw new RuleError(
      `the Service Provider ${parent.id} does not allow ${forbidden.join(', ')} for ${childLabel} (allowed: ${policy!.length ? policy!.join(', ') : 'none'})`,
      `ask the Service Provider to allow it: tenantadm update-tenant --tenant ${parent.id} --child-features ${[...policy!, ...forbidden].join(',')}`,
      { forbidden, allowed: policy },
    );
  }
}
