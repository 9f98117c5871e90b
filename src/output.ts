/**
 * Everything that reaches stdout goes through here: one JSON document, NDJSON, CSV for
 * spreadsheets or a borderless table for people. Lists are written as the cursor is read,
 * with backpressure, so memory does not grow with the result. A reader that goes away
 * (`| head -1`) stops the reading at once; an error after output began never leaves a
 * complete-looking JSON document behind.
 */
import type { Writable } from 'node:stream';

export type Format = 'json' | 'ndjson' | 'table' | 'csv';

export interface Column<T> {
  header: string;
  /** The cell of `row` (a method, so a command's Column<Row>[] is a Column<unknown>[] in a Result). */
  get(row: T): unknown;
  /** An identifier people copy (an id, an email, a time): a table never cuts it. */
  keep?: boolean;
  /** Left out of a table that does not fit the terminal otherwise (as kubectl's `-o wide` columns); --wide shows it. */
  optional?: boolean;
}

export type Result =
  /**
   * `exitCode`: a report that is printed whole and still fails (doctor: 5 when the tool cannot work).
   * `rows`: what a table or CSV shows, one row each (check: its findings), instead of the one object.
   */
  | { type: 'object'; data: unknown; columns?: Column<unknown>[]; rows?: unknown[]; exitCode?: number }
  /** `exitCode`: asked once every row is out (usage --warn-at: 10 when any row was over the line). */
  | { type: 'list'; rows: AsyncIterable<unknown> | Iterable<unknown>; columns: Column<unknown>[]; exitCode?: () => number | undefined }
  | { type: 'text'; text: string }
  | { type: 'none' };

/** How tables are drawn: for a terminal of `width` columns, cut to fit unless `wide`. */
export interface TableStyle {
  color: boolean;
  width: number;
  wide: boolean;
}

/** Thrown when the reader went away; main treats it as success. */
export class OutputClosed extends Error {
  constructor() {
    super('output closed');
  }
}

export class Sink {
  private closed = false;
  private failure: Error | undefined;
  /** Told when the reader goes away (EPIPE), so a stalled read can be abandoned. */
  onGone: (() => void) | undefined;

  constructor(private readonly out: Writable) {
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
        this.closed = true;
        this.onGone?.();
      } else {
        this.failure = err;
      }
    });
  }

  get gone(): boolean {
    return this.closed;
  }

  async write(chunk: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.closed) throw new OutputClosed();
    if (!this.out.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.out.off('drain', done);
          this.out.off('error', done);
          this.out.off('close', done);
          resolve();
        };
        this.out.on('drain', done);
        this.out.on('error', done);
        this.out.on('close', done);
      });
      if (this.closed) throw new OutputClosed();
    }
  }

  /** Resolve once everything written has been handed to the OS (never cut piped output short). */
  async flush(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      if (this.out.writableLength === 0) return resolve();
      this.out.once('drain', () => resolve());
      this.out.once('error', () => resolve());
    });
  }
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A plain number is data to a spreadsheet, even with a leading sign. */
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/**
 * One CSV field (RFC 4180 quoting). Text a spreadsheet would run as a formula (a leading
 * `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`, as OWASP recommends for
 * CSV injection; numbers stay numbers.
 */
export function csvField(value: unknown): string {
  let s = cell(value);
  if (typeof value !== 'number' && /^[=+\-@\t\r]/.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Batch small writes so a long list costs few syscalls but memory stays bounded. */
class Buffered {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly sink: Sink) {}
  get pending(): boolean {
    return this.parts.length > 0;
  }
  async add(s: string): Promise<void> {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 64 * 1024) await this.drain();
  }
  async drain(): Promise<void> {
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await this.sink.write(chunk);
  }
}

/** Rows buffered this long while the next one is still being read are written out. */
const STALL_FLUSH_MS = 50;

/**
 * Pull rows one by one. While the next row is being read, what is buffered goes out after a
 * short stall (people see rows as they come, and a reader that has gone is noticed); when the
 * reader goes away the read is abandoned at once and the source is closed (its cursor with it).
 */
async function* pull(rows: AsyncIterable<unknown> | Iterable<unknown>, sink: Sink, buf: Buffered): AsyncGenerator<unknown> {
  const source: AsyncIterator<unknown> | Iterator<unknown> =
    Symbol.asyncIterator in rows ? (rows as AsyncIterable<unknown>)[Symbol.asyncIterator]() : (rows as Iterable<unknown>)[Symbol.iterator]();
  let finished = false;
  // One timer for the whole listing (not one per row): it flushes when a read has been pending a while.
  let waitingSince: number | undefined;
  const watch = setInterval(() => {
    if (waitingSince !== undefined && Date.now() - waitingSince >= STALL_FLUSH_MS && buf.pending) void buf.drain().catch(() => undefined);
  }, STALL_FLUSH_MS);
  watch.unref();
  // While a read is pending, the reader's departure settles it at once as 'gone'.
  let abandon: (() => void) | undefined;
  sink.onGone = () => abandon?.();
  try {
    for (;;) {
      if (sink.gone) throw new OutputClosed();
      const next = Promise.resolve(source.next());
      waitingSince = Date.now();
      const step = await new Promise<IteratorResult<unknown> | 'gone'>((resolve, reject) => {
        abandon = () => resolve('gone');
        next.then(resolve, reject);
      });
      abandon = undefined;
      waitingSince = undefined;
      if (step === 'gone') {
        // The pending read may still settle (or fail once the store closes): nobody waits for it.
        next.catch(() => undefined);
        throw new OutputClosed();
      }
      if (step.done) {
        finished = true;
        return;
      }
      yield step.value;
    }
  } finally {
    clearInterval(watch);
    sink.onGone = undefined;
    // Stop the source early (its `finally` closes the cursor). Not awaited: a source busy
    // with a read handles the request when that read ends, and the store is closed anyway.
    if (!finished) void Promise.resolve(source.return?.()).catch(() => undefined);
  }
}

/**
 * Write a result. For lists, rows read completely are written even when reading fails later
 * (each NDJSON line and CSV row is whole), but a JSON array is closed only after its last row:
 * a failed listing never looks complete.
 */
export async function render(result: Result, format: Format, sink: Sink, style: TableStyle): Promise<void> {
  switch (result.type) {
    case 'none':
      return;
    case 'text':
      await sink.write(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
      return;
    case 'object':
      if (format === 'table' || format === 'csv') {
        const columns = result.columns ?? objectColumns(result.data);
        const rows = result.rows ?? [result.data];
        await sink.write(format === 'csv' ? csvLines(rows, columns, true) : new TableLayout(columns, style, rows).page(rows, true));
      } else {
        // One document either way; NDJSON of one object is one line.
        await sink.write(format === 'ndjson' ? `${JSON.stringify(result.data)}\n` : `${JSON.stringify(result.data, null, 2)}\n`);
      }
      return;
    case 'list': {
      const buf = new Buffered(sink);
      try {
        await renderList(result, format, buf, sink, style);
      } catch (err) {
        // Whole rows read before the failure still reach the reader; the array stays open.
        if (!(err instanceof OutputClosed)) await buf.drain().catch(() => undefined);
        throw err;
      }
      await buf.drain();
      return;
    }
  }
}

async function renderList(result: Extract<Result, { type: 'list' }>, format: Format, buf: Buffered, sink: Sink, style: TableStyle): Promise<void> {
  const columns = result.columns;
  const rows = pull(result.rows, sink, buf);
  if (format === 'ndjson') {
    for await (const row of rows) await buf.add(`${JSON.stringify(row)}\n`);
    return;
  }
  if (format === 'json') {
    // `[` goes out with the first row, so a read that fails at once prints nothing.
    let first = true;
    for await (const row of rows) {
      await buf.add(`${first ? '[\n' : ',\n'}${indent(JSON.stringify(row, null, 2))}`);
      first = false;
    }
    await buf.add(first ? '[]\n' : '\n]\n');
    return;
  }
  if (format === 'csv') {
    await buf.add(csvLines([], columns, true));
    for await (const row of rows) await buf.add(csvLines([row], columns, false));
    return;
  }
  // A table sizes its columns from the first page of rows, prints the header once, and keeps
  // those widths for the rest, so memory stays bounded on long lists.
  let layout: TableLayout | undefined;
  let page: unknown[] = [];
  for await (const row of rows) {
    page.push(row);
    if (page.length >= TABLE_PAGE) {
      const first = !layout;
      layout ??= new TableLayout(columns, style, page);
      await buf.add(layout.page(page, first));
      page = [];
    }
  }
  if (!layout) {
    await buf.add(new TableLayout(columns, style, page).page(page, true));
  } else if (page.length > 0) {
    await buf.add(layout.page(page, false));
  }
}

const TABLE_PAGE = 1000;

function indent(s: string): string {
  return s.replace(/^/gm, '  ');
}

function objectColumns(data: unknown): Column<unknown>[] {
  return Object.keys((data ?? {}) as object).map((k) => ({ header: k, get: (r) => (r as Record<string, unknown>)[k] }));
}

function csvLines(rows: unknown[], columns: Column<unknown>[], header: boolean): string {
  const lines = header ? [columns.map((c) => csvField(c.header)).join(',')] : [];
  for (const row of rows) lines.push(columns.map((c) => csvField(c.get(row))).join(','));
  return lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`;
}

/** Control characters (a newline or an escape sequence in a name) are shown, never obeyed, on a terminal. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

function chars(s: string): string[] {
  return Array.from(s);
}

const GAP = '  ';
/** No column is cut narrower than its header, nor than this. */
const MIN_WIDTH = 6;

/**
 * A borderless table: a header line, then one line a row, columns two spaces apart. Columns
 * are as wide as their widest value; when that is wider than the terminal (and not `wide`),
 * optional columns are left out, right to left, until the rest can fit, then the widest
 * columns are cut (with an ellipsis) until the table fits.
 */
export class TableLayout {
  readonly widths: number[];
  readonly columns: Column<unknown>[];

  constructor(
    columns: Column<unknown>[],
    private readonly style: TableStyle,
    sample: unknown[] = [],
  ) {
    const measured = columns.map((column) => {
      const natural = Math.max(chars(column.header).length, ...sample.map((r) => chars(printable(cell(column.get(r)))).length));
      // A kept column's floor is its whole width; any other's is its header (or MIN_WIDTH).
      const floor = Math.min(natural, column.keep ? natural : Math.max(MIN_WIDTH, chars(column.header).length));
      return { column, natural, floor };
    });
    let shown = measured;
    if (!style.wide) {
      const needs = (ms: typeof measured) => ms.reduce((sum, m) => sum + m.floor, 0) + GAP.length * Math.max(ms.length - 1, 0);
      while (needs(shown) > style.width) {
        const drop = shown.map((m) => m.column.optional === true).lastIndexOf(true);
        if (drop < 0) break;
        shown = shown.filter((_, i) => i !== drop);
      }
    }
    this.columns = shown.map((m) => m.column);
    const natural = shown.map((m) => m.natural);
    this.widths = style.wide ? natural : fit(natural, shown.map((m) => m.floor), style.width);
  }

  /** The lines for `rows`, with the header first when `header`. */
  page(rows: unknown[], header: boolean): string {
    const lines: string[] = [];
    if (header) {
      const line = this.line(this.columns.map((c) => c.header));
      lines.push(this.style.color ? `\u001b[1m${line}\u001b[22m` : line);
    }
    for (const row of rows) lines.push(this.line(this.columns.map((c) => printable(cell(c.get(row))))));
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  private line(values: string[]): string {
    const last = values.length - 1;
    return values
      .map((v, i) => {
        const width = this.widths[i]!;
        let text = chars(v);
        if (text.length > width && !this.style.wide) text = [...text.slice(0, Math.max(width - 1, 0)), '…'];
        // The last column is not padded: no trailing blanks.
        return i === last ? text.join('') : text.join('') + ' '.repeat(Math.max(width - text.length, 0));
      })
      .join(GAP)
      .trimEnd();
  }
}

/**
 * Column widths that fit `total` terminal columns: every column keeps its natural width up to
 * a common cap, found as the largest cap that fits; none goes below its floor. When the floors
 * alone are too wide, the table is wider than the terminal.
 */
export function fit(natural: number[], floors: number[], total: number): number[] {
  const room = total - GAP.length * Math.max(natural.length - 1, 0);
  const floor = natural.map((n, i) => Math.min(n, floors[i]!));
  const widthsAt = (cap: number) => natural.map((n, i) => Math.max(floor[i]!, Math.min(n, cap)));
  const sum = (ws: number[]) => ws.reduce((a, b) => a + b, 0);
  if (sum(natural) <= room) return natural;
  let lo = 0;
  let hi = Math.max(...natural);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (sum(widthsAt(mid)) <= room) lo = mid;
    else hi = mid - 1;
  }
  const widths = widthsAt(lo);
  // Hand out what the cap left unused, left to right.
  let spare = room - sum(widths);
  for (let i = 0; spare > 0 && i < widths.length; i++) {
    const more = Math.min(spare, natural[i]! - widths[i]!);
    widths[i]! += more;
    spare -= more;
  }
  return widths;
}
