/**
 * The output contract of list-tenants end to end: a reader that goes away stops the read,
 * tables fit the terminal, CSV is safe to open in a spreadsheet.
 */
import { spawnSync } from 'node:child_process';
import { BIN, cliEnv, run, runJson } from '../../../test/support/harness';
import { csvObjects } from '../../../test/support/csv';
import { commandTest } from '../../../test/support/command-test';
import { onTerminal } from '../../../test/support/terminal';
import { seedBulkTenants } from '../../../test/support/cases';

const ctx = commandTest();
const seedTenants = (n: number) => seedBulkTenants(ctx.dbs, n);

/** How many rows the listing read, from the final figure its progress counter prints with TENANTADM_DEBUG. */
function rowsRead(stderr: string): number {
  const m = /tenantadm: debug: tenants: (\d+)/.exec(stderr);
  if (!m) throw new Error(`no row count on stderr: ${stderr}`);
  return Number(m[1]);
}

describe('a reader that goes away', () => {
  it('stops the listing at once, exit 0, having read only what it wrote (| head -1)', async () => {
    await seedTenants(3000);
    const env = cliEnv(ctx.dbs, { TENANTADM_DEBUG: '1' });
    const cut = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" list-tenants --ndjson | head -1; echo "status=\${PIPESTATUS[0]}"`], {
      env,
      encoding: 'utf8',
    });
    const out = cut.stdout.trim().split('\n');
    expect(JSON.parse(out[0]!).name).toMatch(/^bulk-0-/);
    expect(out.slice(1)).toEqual(['status=0']);
    expect(cut.stderr.replace(/^tenantadm: debug: .*\n/gm, '')).toBe('');
    // A pipe holds 64 KB and head reads one buffer: the reader's departure is seen within a few
    // 64 KB chunks (about 160 rows each), far from the 3,000 a full read takes.
    expect(rowsRead(cut.stderr)).toBeLessThan(1500);

    const full = await run(ctx.dbs, ['list-tenants', '--ndjson'], { env: { TENANTADM_DEBUG: '1' } });
    expect(full.code).toBe(0);
    expect(full.stdout.trim().split('\n')).toHaveLength(3000);
    expect(rowsRead(full.stderr)).toBe(3000);
  });
});

describe('tables for people and CSV for spreadsheets', () => {
  it('escapes formulas in CSV and gives devices and limit their own columns', async () => {
    const formula = '=HYPERLINK("http://evil.example","click")';
    const t = await runJson(ctx.dbs, ['create-tenant', '--name', formula, '--device-limit', '100']);
    await runJson(ctx.dbs, ['create-tenant', '--name', '@SUM(1+1)']);
    const csv = await run(ctx.dbs, ['list-tenants', '-o', 'csv']);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\r\n')[0]).toBe('ID,NAME,STATUS,PLAN,SP,PARENT,DEVICES,LIMIT,ADD-ONS,CREATED');
    expect(csv.stdout).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    const rows = csvObjects(csv.stdout);
    expect(rows.map((r) => r.NAME)).toEqual([`'${formula}`, "'@SUM(1+1)"]);
    expect(rows[0]).toMatchObject({ ID: t.id, DEVICES: '0', LIMIT: '100' });
    expect(rows[1]).toMatchObject({ DEVICES: '0', LIMIT: 'unlimited' });
  });

  it('fits a table to the terminal by leaving out columns, never cutting a name, and shows all with --wide', async () => {
    const long = `Globex Oslo a-very-long-organisation-name-${'y'.repeat(40)}`;
    const t = await runJson(ctx.dbs, ['create-tenant', '--name', long]);
    const fitted = await run(ctx.dbs, ['list-tenants', '-o', 'table'], { terminalColumns: 120, env: { NO_COLOR: '1' } });
    const lines = fitted.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +STATUS +PLAN +SP +DEVICES +LIMIT$/);
    expect(lines).toHaveLength(2);
    // The id and the name are whole; only a less useful value may give way.
    expect(lines[1]!.startsWith(`${t.id}  ${long}  `)).toBe(true);
    expect(fitted.stderr).toBe('tenantadm: left out PARENT, ADD-ONS, CREATED to fit 120 columns; --wide shows every column\n');

    const wide = await run(ctx.dbs, ['list-tenants', '-o', 'table', '--wide'], { terminalColumns: 120 });
    expect(wide.stdout).toContain(long);
    // On a terminal the header is bold.
    expect(wide.stdout.startsWith('\u001b[1mID ')).toBe(true);
    expect(wide.stdout).toMatch(/CREATED/);
    expect(wide.stderr).toBe('');
    // Piped (| grep), a table is never cut and leaves nothing out, whatever $COLUMNS says.
    const piped = await run(ctx.dbs, ['list-tenants', '-o', 'table'], { env: { COLUMNS: '40' } });
    expect(piped.stdout.split('\n')[0]).toMatch(/CREATED$/);
    expect(piped.stdout.split('\n').filter((l) => l.includes('Globex Oslo'))).toHaveLength(1);
    expect(piped.stdout).toContain(long);
    expect(piped.stderr).toBe('');
  });

  it('says "No tenants found" on stderr for an empty table, and -q silences it', async () => {
    const none = await run(ctx.dbs, ['list-tenants', '-o', 'table', '--name', 'nobody']);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'tenantadm: No tenants found\n' });
    const quiet = await run(ctx.dbs, ['list-tenants', '-o', 'table', '--name', 'nobody', '-q']);
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('takes its default format from TENANTADM_OUTPUT on a terminal only; piped output stays JSON', async () => {
    await runJson(ctx.dbs, ['create-tenant', '--name', 'acme']);
    const onTerminal = await run(ctx.dbs, ['list-tenants'], { terminalColumns: 100, env: { TENANTADM_OUTPUT: 'table', NO_COLOR: '1' } });
    expect(onTerminal.stdout).toMatch(/^ID +NAME/);
    const piped = await run(ctx.dbs, ['list-tenants'], { env: { TENANTADM_OUTPUT: 'table' } });
    expect(JSON.parse(piped.stdout)[0].name).toBe('acme');
    const given = await run(ctx.dbs, ['list-tenants', '-o', 'csv'], { terminalColumns: 100, env: { TENANTADM_OUTPUT: 'table' } });
    expect(given.stdout.startsWith('ID,NAME')).toBe(true);
    const wrong = await run(ctx.dbs, ['list-tenants'], { terminalColumns: 100, env: { TENANTADM_OUTPUT: 'yaml' } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('TENANTADM_OUTPUT');
  });

  it('on a real terminal: TENANTADM_OUTPUT=table gives a fitted table and its footer, a name never cut', async () => {
    const long = `Globex Oslo ${'z'.repeat(50)}`;
    const t = await runJson(ctx.dbs, ['create-tenant', '--name', long]);
    const r = onTerminal(ctx.dbs, ['list-tenants'], [], { TENANTADM_OUTPUT: 'table', COLUMNS: '100' });
    expect(r.code).toBe(0);
    const lines = r.screen.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +STATUS/);
    expect(lines.find((l) => l.startsWith(t.id))).toContain(long);
    expect(r.screen).toMatch(/tenantadm: left out .*CREATED to fit 100 columns; --wide shows every column/);
  });

  it('draws no progress line when stderr is not a terminal, nor with --quiet', async () => {
    await seedTenants(300);
    const piped = await run(ctx.dbs, ['list-tenants', '-o', 'table']);
    expect(piped.stderr).toBe('');
    const quiet = await run(ctx.dbs, ['list-tenants', '--quiet', '--ndjson'], { terminalColumns: 80 });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });
});
