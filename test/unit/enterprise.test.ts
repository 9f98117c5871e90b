/** Unit tests of the Mender Enterprise 4.x pieces that need no database: token formats and what a child inherits. */
import { formatOf, tokenHash, validateGivenToken } from '../../src/domain/token-format';
import { differencesFromSp, inheritedAddons, inheritedFeatures } from '../../src/domain/child-features';
import { opaqueToken } from '../../src/token';
import { UsageError } from '../../src/errors';
import type { Tenant } from '../../src/domain/tenant';

describe('token formats', () => {
  it('tells a JWT from an opaque token', () => {
    expect(formatOf('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).toBe('jwt');
    expect(formatOf('mQDYRCr-tGbDuJhPp7fArbfTA5htVTWE9G204AzhDUM')).toBe('opaque');
    expect(formatOf('a.b')).toBe('opaque');
  });

  it('makes opaque tokens of 43 URL-safe characters, each new', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => opaqueToken()));
    expect(tokens.size).toBe(100);
    for (const t of tokens) {
      expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(formatOf(t)).toBe('opaque');
    }
  });

  it('validates a given token without quoting it', () => {
    expect(validateGivenToken('mQDYRCr-tGbDuJhPp7fArbfTA5htVTWE9G204AzhDUM\n')).toBe('mQDYRCr-tGbDuJhPp7fArbfTA5htVTWE9G204AzhDUM');
    for (const bad of ['', 'short-one', 'has a space in it, somewhere', 'x'.repeat(2049), 'ctrl\u0001characters-are-out']) {
      expect(() => validateGivenToken(bad)).toThrow(UsageError);
      try {
        validateGivenToken(bad);
      } catch (err) {
        if (bad.length > 0) expect((err as Error).message).not.toContain(bad);
      }
    }
  });

  it('names a token by its SHA-256 (for lock names), never by itself', () => {
    expect(tokenHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe("what a child has: its SP's plan and add-ons, narrowed by the SP's policy (MEN-7493, MEN-7511)", () => {
  const sp = (addons: string[], childFeatures?: string[]): Tenant => ({
    id: 'a'.repeat(24),
    name: 'sp',
    status: 'active',
    plan: 'professional',
    service_provider: true,
    addons: ['troubleshoot', 'configure', 'monitor'].map((name) => ({ name, enabled: addons.includes(name) })),
    ...(childFeatures ? { child_features: childFeatures } : {}),
  });

  it('never more than the SP has, never one the policy withholds', () => {
    expect(inheritedFeatures(sp(['configure', 'monitor']))).toEqual({ plan: 'professional', addons: ['configure', 'monitor'] });
    expect(inheritedFeatures(sp(['configure', 'monitor'], ['monitor', 'troubleshoot']))).toEqual({ plan: 'professional', addons: ['monitor'] });
    expect(inheritedFeatures(sp([], ['monitor'])).addons).toEqual([]);
  });

  it('names each difference, and inheritedAddons removes them (unknown add-ons switched off)', () => {
    const provider = sp(['monitor']);
    const child = [
      { name: 'configure', enabled: true },
      { name: 'gadget', enabled: true },
    ];
    expect(differencesFromSp(provider, 'os', child)).toEqual([
      "plan os (its Service Provider's: professional)",
      "add-on configure on (its Service Provider's: off)",
      "add-on monitor off (its Service Provider's: on)",
      "add-on gadget on (its Service Provider's: off)",
    ]);
    const fixed = inheritedAddons(provider, child);
    expect(differencesFromSp(provider, 'professional', fixed)).toEqual([]);
    expect(fixed.find((a) => a.name === 'gadget')).toEqual({ name: 'gadget', enabled: false });
  });
});
