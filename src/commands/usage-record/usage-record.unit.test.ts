/** usage record's day and a device's tier, without a database. */
import { parseDay } from './run';
import { tierOf } from '../../store/usage-history';
import { elapsedDays, periodDays } from '../../domain/usage-report';

describe('usage record', () => {
  it('files under a real calendar day only', () => {
    expect(parseDay(' 2026-11-30 ')).toBe('2026-11-30');
    for (const bad of ['2026-02-30', '2026-11', '30.11.2026', '2026-13-01', '']) expect(() => parseDay(bad)).toThrow(/invalid --day/);
  });

  it("counts a device against its tier's limit, and one without a tier as standard", () => {
    expect(tierOf({ tier: 'micro' })).toBe('max_micro_devices');
    expect(tierOf({ tier: 'system' })).toBe('max_system_devices');
    expect(tierOf({ tier: 'standard' })).toBe('max_devices');
    expect(tierOf({})).toBeUndefined();
    expect(tierOf({ tier: 'gold' })).toBeUndefined();
  });

  it('reports a month as its days, and only the ones that have begun as missable', () => {
    expect(periodDays('2024-02')).toHaveLength(29);
    expect(periodDays('2026-11')[29]).toBe('2026-11-30');
    expect(elapsedDays(periodDays('2026-12'), new Date('2026-12-07T10:00:00Z'))).toHaveLength(7);
    expect(() => periodDays('2026-11-01')).toThrow(/invalid --period/);
  });
});
