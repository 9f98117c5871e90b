/** doctor and repair as tables: one object is KEY/VALUE lines, with no JSON in a cell. */
import { run } from '../../../test/support/harness';
import { commandTest } from '../../../test/support/command-test';

const ctx = commandTest();

describe('one report as a table', () => {
  it.each([[['doctor']], [['repair']]])('%j -o table has no {…} or [] cells', async (args) => {
    const r = await run(ctx.dbs, [...args, '-o', 'table'], { terminalColumns: 100, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KEY +VALUE$/);
    expect(r.stdout).not.toMatch(/\{"|\[\]/);
    if (args[0] === 'doctor') {
      expect(r.stdout).toMatch(/^schema\.profile +v2$/m);
      expect(r.stdout).toMatch(/^problems +none$/m);
      expect(r.stdout).toMatch(/^indexes\[0\] +database=/m);
    }
  });
});
