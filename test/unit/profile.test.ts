/** Unit tests of schema profiles (what each Mender version reads and stores) and of the audit actor. */
import { chooseProfile, profileForVersion } from '../../src/store/profile';
import { readStored, toStored } from '../../src/store/limits';
import { auditActor } from '../../src/store/audit';
import { RuleError } from '../../src/errors';

describe('schema profiles', () => {
  it.each([
    [[2, 0, 2], 'v2'],
    [[2, 1, 0], 'v2'],
    [[3, 0, 0], 'v2'],
    [[2, 0, 1], 'legacy'],
    [[2, 0, 0], 'legacy'],
    [[1, 11, 0], 'legacy'],
  ])('deviceauth %j reads limits as %s', (version, profile) => {
    expect(profileForVersion(version)).toBe(profile);
  });

  it('prefers the override, and refuses to guess when nothing is known', () => {
    expect(chooseProfile({ name: 'v2', deviceauthVersion: '2.0.2' }, 'legacy', 'deviceauth')).toEqual({ name: 'legacy', source: 'override', deviceauthVersion: '2.0.2' });
    expect(chooseProfile({ name: 'legacy', deviceauthVersion: '2.0.0' }, undefined, 'deviceauth')).toEqual({ name: 'legacy', source: 'detected', deviceauthVersion: '2.0.0' });
    expect(() => chooseProfile({}, undefined, 'deviceauth')).toThrow(RuleError);
    try {
      chooseProfile({}, undefined, 'deviceauth');
    } catch (err) {
      expect((err as RuleError).hint).toMatch(/--mender-schema legacy\|v2 \(TENANTADM_MENDER_SCHEMA\)/);
    }
    expect.assertions(4);
  });

  it('reads stored values as each version does', () => {
    expect(readStored(0, 'legacy')).toEqual({ value: -1, invalid: false });
    expect(readStored(-1, 'legacy')).toEqual({ value: -1, invalid: true });
    expect(readStored(5, 'legacy')).toEqual({ value: 5, invalid: false });
    expect(readStored(0, 'v2')).toEqual({ value: 0, invalid: false });
    expect(readStored(-1, 'v2')).toEqual({ value: -1, invalid: false });
  });

  it('stores what each version reads back as asked, and refuses what it cannot say', () => {
    const legacy = { name: 'legacy' as const, source: 'detected' as const, deviceauthVersion: '2.0.0' };
    const v2 = { name: 'v2' as const, source: 'detected' as const, deviceauthVersion: '2.0.2' };
    expect(toStored(-1, 'max_devices', legacy)).toBe(0);
    expect(toStored(7, 'max_devices', legacy)).toBe(7);
    expect(() => toStored(0, 'max_devices', legacy)).toThrow(/deviceauth 2\.0\.0: it reads 0 as unlimited/);
    expect(toStored(-1, 'max_devices', v2)).toBe(-1);
    expect(toStored(0, 'max_devices', v2)).toBe(0);
  });
});

describe('audit actor', () => {
  it("is a Mender user with email when it is an email address, else the system", () => {
    expect(auditActor('Ops@Example.com')).toEqual({ id: 'Ops@Example.com', type: 'user', email: 'ops@example.com' });
    expect(auditActor('root@host')).toEqual({ id: 'root@host', type: 'system' });
    expect(auditActor('nightly-job')).toEqual({ id: 'nightly-job', type: 'system' });
  });
});
