/** Unit tests of tenant domain rules: device limits, add-ons, tenant ids, names, emails and passwords (no database). */
import { applyAddons, normalizeEmail, parseAddonFlags, parseDeviceLimit, parseTenantId, validatePassword, validateTenantName } from '../../src/domain/tenant';
import { UsageError } from '../../src/errors';

describe('device limits', () => {
  it.each([
    ['unlimited', -1],
    ['UNLIMITED', -1],
    ['-1', -1],
    ['0', 0],
    ['17', 17],
    [' 100 ', 100],
  ])('%j -> %d', (raw, value) => expect(parseDeviceLimit(raw)).toBe(value));

  it.each(['-2', '1.5', 'ten', '', '1e3', '99999999999999999999'])('rejects %j', (raw) => {
    expect(() => parseDeviceLimit(raw)).toThrow(UsageError);
  });

  it('never reads 0 as unlimited (the pre-2.0.2 trap)', () => {
    expect(parseDeviceLimit('0')).not.toBe(-1);
  });
});

describe('add-ons', () => {
  it('parses NAME, NAME=on and NAME=off', () => {
    expect([...parseAddonFlags(['monitor', 'configure=off', 'troubleshoot=on'])]).toEqual([
      ['monitor', true],
      ['configure', false],
      ['troubleshoot', true],
    ]);
  });
  it('rejects unknown add-ons and values', () => {
    expect(() => parseAddonFlags(['telepathy'])).toThrow(UsageError);
    expect(() => parseAddonFlags(['monitor=maybe'])).toThrow(UsageError);
  });
  it('switches add-ons keeping unknown entries and order', () => {
    const current = [
      { name: 'custom', enabled: true },
      { name: 'monitor', enabled: false },
    ];
    expect(applyAddons(current, new Map([['monitor', true], ['configure', true]] as const))).toEqual([
      { name: 'custom', enabled: true },
      { name: 'monitor', enabled: true },
      { name: 'configure', enabled: true },
    ]);
    expect(current[1]!.enabled).toBe(false); // input untouched
  });
});

describe('identifiers and names', () => {
  it('accepts 24-hex tenant ids in any case and rejects others', () => {
    expect(parseTenantId('673A03E3C9ECA7A440F2F444')).toBe('673a03e3c9eca7a440f2f444');
    expect(() => parseTenantId('673a03e3')).toThrow(UsageError);
  });
  it('lower-cases and checks emails', () => {
    expect(normalizeEmail(' Admin@Example.COM ')).toBe('admin@example.com');
    expect(() => normalizeEmail('admin')).toThrow(UsageError);
  });
  it('checks names and passwords', () => {
    expect(validateTenantName('  Acme ')).toBe('Acme');
    expect(() => validateTenantName('   ')).toThrow(UsageError);
    expect(() => validateTenantName('a\u0007b')).toThrow(UsageError);
    expect(() => validatePassword('short')).toThrow(UsageError);
    expect(() => validatePassword('x'.repeat(73))).toThrow(UsageError);
    expect(validatePassword('long enough')).toBe('long enough');
  });
});
