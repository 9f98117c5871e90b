/** Unit tests of the progress line on stderr: when it shows, how it updates and erases itself, its debug figure. */
import { ProgressLine, counted } from '../../src/progress';

function capture(): { write: (s: string) => void; text: () => string } {
  let text = '';
  return { write: (s) => void (text += s), text: () => text };
}

describe('the progress line', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('says nothing for work shorter than a second, then updates one line in place', () => {
    const err = capture();
    const line = new ProgressLine(err, { enabled: true, debug: false });
    const p = line.start('tenants');
    p.tick(5);
    jest.advanceTimersByTime(900);
    expect(err.text()).toBe('');
    p.tick(1995);
    jest.advanceTimersByTime(100);
    expect(err.text()).toBe('\r\u001b[Ktenantadm: tenants: 2,000…');
    p.tick(1000);
    jest.advanceTimersByTime(100);
    expect(err.text()).toBe('\r\u001b[Ktenantadm: tenants: 2,000…\r\u001b[Ktenantadm: tenants: 3,000…');
    // Nothing new, nothing redrawn.
    jest.advanceTimersByTime(500);
    expect(err.text()).toBe('\r\u001b[Ktenantadm: tenants: 2,000…\r\u001b[Ktenantadm: tenants: 3,000…');
    p.done();
    expect(err.text().endsWith('\r\u001b[K')).toBe(true);
    const after = err.text();
    jest.advanceTimersByTime(1000);
    expect(err.text()).toBe(after);
  });

  it('shows the total when it is known', () => {
    const err = capture();
    const p = new ProgressLine(err, { enabled: true, debug: false }).start('plan entries', 2000);
    p.tick(10);
    jest.advanceTimersByTime(1000);
    expect(err.text()).toBe('\r\u001b[Ktenantadm: plan entries: 10 of 2,000…');
    p.done();
  });

  it('is silent when disabled (not a terminal, or --quiet), and erases itself before a message', () => {
    const err = capture();
    const p = new ProgressLine(err, { enabled: false, debug: false }).start('tenants');
    p.tick(100);
    jest.advanceTimersByTime(5000);
    p.done();
    expect(err.text()).toBe('');

    const shown = capture();
    const line = new ProgressLine(shown, { enabled: true, debug: false });
    line.start('tenants').tick(3);
    jest.advanceTimersByTime(1000);
    line.clear();
    expect(shown.text()).toBe('\r\u001b[Ktenantadm: tenants: 3…\r\u001b[K');
    line.stopAll();
  });

  it('reports the final figure as a debug line when asked', async () => {
    const err = capture();
    const rows = counted([1, 2, 3], new ProgressLine(err, { enabled: false, debug: true }).start('tenants'));
    const seen: number[] = [];
    for await (const r of rows) seen.push(r);
    expect(seen).toEqual([1, 2, 3]);
    expect(err.text()).toBe('tenantadm: debug: tenants: 3\n');
  });
});
