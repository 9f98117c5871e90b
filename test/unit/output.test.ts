/** Unit tests of stdout rendering: JSON, NDJSON, CSV and tables, failures after output began, readers that go away. */
import { PassThrough, Writable } from 'node:stream';
import { Sink, render, csvField, fit, OutputClosed, type Result, type TableStyle } from '../../src/output';
import { ProgressLine } from '../../src/progress';

const plain: TableStyle = { color: false, width: 80, wide: false };

async function rendered(result: Result, format: 'json' | 'ndjson' | 'table' | 'csv', style: TableStyle = plain): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  await render(result, format, new Sink(out), style);
  return text;
}

/** Render into a stream, keeping what was written even when rendering fails. */
async function renderedUntilFailure(result: Result, format: 'json' | 'ndjson' | 'csv'): Promise<{ text: string; error: unknown }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const error = await render(result, format, new Sink(out), plain).then(
    () => undefined,
    (err: unknown) => err,
  );
  return { text, error };
}

async function* gen<T>(items: T[]): AsyncGenerator<T> {
  for (const i of items) yield i;
}

/** Rows, then a failure (a server lost in the middle of a read). */
async function* failingAfter<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
  throw new Error('connection lost');
}

const columns = [
  { header: 'ID', get: (r: any) => r.id },
  { header: 'NAME', get: (r: any) => r.name },
];
const rows = [
  { id: '1', name: 'a, "quoted"' },
  { id: '2', name: 'b\nline' },
];

describe('render', () => {
  it('streams a JSON array that parses back, and [] for nothing', async () => {
    expect(JSON.parse(await rendered({ type: 'list', rows: gen(rows), columns }, 'json'))).toEqual(rows);
    expect(await rendered({ type: 'list', rows: gen([]), columns }, 'json')).toBe('[]\n');
  });
  it('writes one object per line for NDJSON', async () => {
    const text = await rendered({ type: 'list', rows: gen(rows), columns }, 'ndjson');
    expect(text.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(rows);
  });
  it('quotes CSV fields per RFC 4180', async () => {
    const text = await rendered({ type: 'list', rows: gen(rows), columns }, 'csv');
    expect(text).toBe('ID,NAME\r\n1,"a, ""quoted"""\r\n2,"b\nline"\r\n');
    expect(csvField(' lead')).toBe('" lead"');
  });
  it('prints one object as a key/value table', async () => {
    expect(await rendered({ type: 'object', data: { id: '673a03e3c9eca7a440f2f444', name: 'acme' }, columns }, 'table')).toBe(
      'KEY   VALUE\nID    673a03e3c9eca7a440f2f444\nNAME  acme\n',
    );
    expect(await rendered({ type: 'object', data: { id: '673a03e3c9eca7a440f2f444', name: 'acme' } }, 'table')).toBe(
      'KEY   VALUE\nid    673a03e3c9eca7a440f2f444\nname  acme\n',
    );
  });
  it('erases the progress line before each write to a terminal (the table never starts after it)', async () => {
    const screen: string[] = [];
    const err = { write: (s: string) => screen.push(`err:${s}`) };
    const progress = new ProgressLine(err, { enabled: true, debug: false, delayMs: 0, intervalMs: 5 });
    const counter = progress.start('tenants');
    await new Promise((r) => setTimeout(r, 30));
    expect(screen.some((l) => l.includes('tenants: 0'))).toBe(true);
    const out = new Writable({
      write(chunk, _enc, done) {
        screen.push(`out:${String(chunk)}`);
        done();
      },
    });
    const sink = new Sink(out);
    sink.beforeWrite = () => progress.clear();
    await render({ type: 'list', rows: gen(rows), columns }, 'table', sink, plain);
    counter.done();
    const first = screen.findIndex((l) => l.startsWith('out:'));
    expect(screen[first - 1]).toBe('err:\r\u001b[K');
    expect(screen[first]).toMatch(/^out:ID +NAME/);
  });
  it('shows nested parts of one object by their path, lists of objects a line each, empty lists as none (doctor, repair)', async () => {
    const report = {
      ok: true,
      schema: { profile: 'v2', source: null },
      indexes: [{ database: 'useradm', present: true }],
      problems: [],
      removed: { tenants: [], databases: ['a', 'b'] },
    };
    const text = await rendered({ type: 'object', data: report }, 'table');
    expect(text).not.toMatch(/[{}]|\[\]/);
    expect(text).toBe(
      [
        'KEY                VALUE',
        'ok                 true',
        'schema.profile     v2',
        'schema.source',
        'indexes[0]         database=useradm present=true',
        'problems           none',
        'removed.tenants    none',
        'removed.databases  a, b',
        '',
      ].join('\n'),
    );
  });
  it('shows the rows an object names in a table or CSV, the object itself as JSON', async () => {
    const report: Result = { type: 'object', data: { ok: false, findings: rows }, columns, rows };
    expect(await rendered(report, 'csv')).toBe('ID,NAME\r\n1,"a, ""quoted"""\r\n2,"b\nline"\r\n');
    expect(JSON.parse(await rendered(report, 'json'))).toEqual({ ok: false, findings: rows });
  });
  it('prints objects and text', async () => {
    expect(JSON.parse(await rendered({ type: 'object', data: { a: 1 } }, 'json'))).toEqual({ a: 1 });
    expect(await rendered({ type: 'object', data: { a: 1 } }, 'ndjson')).toBe('{"a":1}\n');
    expect(await rendered({ type: 'text', text: 'id' }, 'json')).toBe('id\n');
    expect(await rendered({ type: 'none' }, 'json')).toBe('');
  });
});

describe('CSV for spreadsheets', () => {
  it('escapes cells a spreadsheet would run as a formula, as OWASP recommends', () => {
    expect(csvField('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(csvField('+cmd')).toBe("'+cmd");
    expect(csvField('-2+3+cmd')).toBe("'-2+3+cmd");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('\rx')).toBe(`"'\rx"`);
  });
  it('leaves numbers and ordinary text alone', () => {
    expect(csvField(-1)).toBe('-1');
    expect(csvField('-1')).toBe('-1');
    expect(csvField('+5')).toBe('+5');
    expect(csvField(100)).toBe('100');
    expect(csvField('acme')).toBe('acme');
    expect(csvField('a=b')).toBe('a=b');
  });
});

describe('tables for people', () => {
  const wideRows = [
    { id: '673a03e3c9eca7a440f2f444', name: 'a rather long organisation name that goes on and on', plan: 'enterprise' },
    { id: '673a03e3c9eca7a440f2f445', name: 'short', plan: 'os' },
  ];
  const wideColumns = [
    { header: 'ID', get: (r: any) => r.id },
    { header: 'NAME', get: (r: any) => r.name },
    { header: 'PLAN', get: (r: any) => r.plan },
  ];

  it('draws borderless aligned columns with the header once and no rules', async () => {
    const text = await rendered({ type: 'list', rows: gen(rows.map((r) => ({ ...r, name: r.id === '1' ? 'acme' : 'globex' }))), columns }, 'table');
    expect(text).toBe('ID  NAME\n1   acme\n2   globex\n');
  });

  it('cuts the widest values with an ellipsis to fit the terminal width', async () => {
    const text = await rendered({ type: 'list', rows: gen(wideRows), columns: wideColumns }, 'table', { ...plain, width: 60 });
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(60);
    expect(lines[1]).toContain('…');
    expect(lines[1]).toMatch(/enterprise$/);
    expect(lines[2]).toMatch(/short +os$/);
  });

  it('never cuts a kept column (an id people copy), cutting the others instead', async () => {
    const kept = [{ ...wideColumns[0]!, keep: true }, ...wideColumns.slice(1)];
    const text = await rendered({ type: 'list', rows: gen(wideRows), columns: kept }, 'table', { ...plain, width: 50 });
    const lines = text.trimEnd().split('\n');
    expect(lines[1]!.startsWith(`${wideRows[0]!.id}  `)).toBe(true);
    expect(lines[1]).toContain('…');
    for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(50);
  });

  it('leaves out optional columns, right to left, only when the rest could not fit', async () => {
    const cols = [
      { header: 'ID', get: (r: any) => r.id, keep: true },
      { header: 'NAME', get: (r: any) => r.name },
      { header: 'CREATED', get: () => '2025-01-01T00:00:00.000Z', optional: true },
      { header: 'PLAN', get: (r: any) => r.plan, optional: true },
    ];
    const at = async (width: number, wide = false) =>
      (await rendered({ type: 'list', rows: gen(wideRows), columns: cols }, 'table', { ...plain, width, wide })).split('\n')[0];
    expect(await at(200)).toMatch(/^ID +NAME +CREATED +PLAN$/);
    expect(await at(60)).toMatch(/^ID +NAME +CREATED +PLAN$/);
    expect(await at(45)).toMatch(/^ID +NAME +CREATED$/);
    expect(await at(38)).toMatch(/^ID +NAME$/);
    expect(await at(38, true)).toMatch(/^ID +NAME +CREATED +PLAN$/);
  });

  it('never cuts a value when stdout is not a terminal (| grep finds it)', async () => {
    const text = await rendered({ type: 'list', rows: gen(wideRows), columns: wideColumns }, 'table', { ...plain, width: 20, terminal: false });
    expect(text).toContain(wideRows[0]!.name);
    expect(text).not.toContain('…');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +PLAN$/);
  });

  it('says on stderr which columns it left out and that --wide shows them', async () => {
    const cols = [
      { header: 'ID', get: (r: any) => r.id, keep: true },
      { header: 'NAME', get: (r: any) => r.name, keep: true },
      { header: 'PLAN', get: (r: any) => r.plan, optional: true },
    ];
    const notices: string[] = [];
    const text = await rendered({ type: 'list', rows: gen(wideRows), columns: cols }, 'table', { ...plain, width: 70, notice: (l) => notices.push(l) });
    expect(text).toContain(wideRows[0]!.name);
    expect(text.split('\n')[0]).toMatch(/^ID +NAME$/);
    expect(notices).toEqual(['left out PLAN to fit 70 columns; --wide shows every column']);
  });

  it('says "No tenants found" on stderr and prints nothing for an empty table (as kubectl)', async () => {
    const notices: string[] = [];
    const text = await rendered({ type: 'list', rows: gen([]), columns, noun: 'tenants' }, 'table', { ...plain, notice: (l) => notices.push(l) });
    expect(text).toBe('');
    expect(notices).toEqual(['No tenants found']);
    // CSV keeps its header for a spreadsheet; JSON is [].
    expect(await rendered({ type: 'list', rows: gen([]), columns, noun: 'tenants' }, 'csv')).toBe('ID,NAME\r\n');
  });

  it('aligns wide characters by the columns they take on screen', async () => {
    const text = await rendered({ type: 'list', rows: gen([{ id: '1', name: '東京' }, { id: '2', name: 'ab' }]), columns: [...columns, { header: 'X', get: () => 'x' }] }, 'table');
    expect(text).toBe('ID  NAME  X\n1   東京  x\n2   ab    x\n');
  });

  it('shows every value whole with --wide', async () => {
    const text = await rendered({ type: 'list', rows: gen(wideRows), columns: wideColumns }, 'table', { ...plain, width: 40, wide: true });
    expect(text).toContain(wideRows[0]!.name);
    expect(text).toContain(wideRows[0]!.id);
    expect(text).not.toContain('…');
  });

  it('prints the header once on a long list', async () => {
    const many = Array.from({ length: 2500 }, (_, i) => ({ id: String(i), name: `n${i}` }));
    const text = await rendered({ type: 'list', rows: gen(many), columns }, 'table');
    expect(text.split('\n').filter((l) => l.startsWith('ID '))).toHaveLength(1);
    expect(text.trimEnd().split('\n')).toHaveLength(2501);
  });

  it('paints the header only when colour is asked for', async () => {
    const painted = await rendered({ type: 'list', rows: gen(rows), columns }, 'table', { ...plain, color: true });
    const bare = await rendered({ type: 'list', rows: gen(rows), columns }, 'table');
    expect(painted.split('\n')[0]).toBe('\u001b[1mID  NAME\u001b[22m');
    expect(bare).not.toMatch(/\u001b\[/);
  });

  it('shows control characters in values instead of sending them to the terminal', async () => {
    const text = await rendered({ type: 'list', rows: gen([{ id: '1', name: 'x\u001b[31my' }]), columns }, 'table');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('x\\u001b[31my');
  });

  it('fits widths: natural when they fit, the cap on the widest otherwise, never below a header', () => {
    expect(fit([2, 4], [2, 4], 80)).toEqual([2, 4]);
    const widths = fit([24, 50, 10], [2, 4, 4], 60);
    expect(widths.reduce((a, b) => a + b, 0) + 4).toBeLessThanOrEqual(60);
    expect(widths[2]).toBe(10);
    expect(fit([30, 30], [20, 20], 10)).toEqual([20, 20]);
  });
});

describe('failures after output began', () => {
  it('leaves a JSON array open, so the output is never valid JSON', async () => {
    const { text, error } = await renderedUntilFailure({ type: 'list', rows: failingAfter(rows), columns }, 'json');
    expect((error as Error).message).toBe('connection lost');
    expect(text.startsWith('[\n')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
    expect(JSON.parse(`${text}\n]`)).toEqual(rows);
  });

  it('prints nothing at all when the first read fails', async () => {
    const { text, error } = await renderedUntilFailure({ type: 'list', rows: failingAfter([]), columns }, 'json');
    expect(error).toBeInstanceOf(Error);
    expect(text).toBe('');
  });

  it('writes whole NDJSON lines and CSV rows read before the failure', async () => {
    const nd = await renderedUntilFailure({ type: 'list', rows: failingAfter(rows), columns }, 'ndjson');
    expect(nd.text.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(rows);
    const csv = await renderedUntilFailure({ type: 'list', rows: failingAfter(rows), columns }, 'csv');
    expect(csv.text.split('\r\n')).toHaveLength(4);
  });
});

describe('a reader that goes away', () => {
  it('stops pulling rows and closes the source while a read is pending', async () => {
    let pulled = 0;
    let closed = false;
    let stall: () => void = () => undefined;
    async function* source(): AsyncGenerator<{ id: string; name: string }> {
      try {
        for (let i = 0; ; i++) {
          pulled++;
          // The tenth read hangs (a slow query) until the test lets it go.
          if (i === 10) await new Promise<void>((resolve) => (stall = resolve));
          yield { id: String(i), name: 'x'.repeat(100) };
        }
      } finally {
        closed = true;
      }
    }
    // A pipe whose reader has gone: every write fails with EPIPE.
    const out = new Writable({
      write(_chunk, _enc, done) {
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const outcome = render({ type: 'list', rows: source(), columns }, 'ndjson', new Sink(out), plain).then(
      () => 'finished',
      (err: unknown) => err,
    );
    // The rows before the stall are flushed once the read stalls; that write meets EPIPE and the render ends.
    expect(await outcome).toBeInstanceOf(OutputClosed);
    expect(pulled).toBe(11);
    // The source is asked to stop; it does so as soon as its pending read returns.
    stall();
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(true);
    expect(pulled).toBe(11);
  });
});
