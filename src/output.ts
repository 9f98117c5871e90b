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
  /** The cell as a table shows it to people, when that differs from CSV's (roles by their short name). */
  show?(row: T): unknown;
  /** Rows whose cell in this column is never cut, though the column may be (a key/value table's ids and names). */
  keepIf?(row: T): boolean;
}

export type Result =
  /**
   * `exitCode`: a report that is printed whole and still fails (doctor: 5 when the tool cannot work).
   * `rows`: what a table or CSV shows, one row each (check: its findings), instead of the one object.
   */
  | { type: 'object'; data: unknown; columns?: Column<unknown>[]; rows?: unknown[]; exitCode?: number }
  /**
   * `noun`: what the rows are ("tenants"), for the "No tenants found" a person sees when there are none.
   * `exitCode`: asked once every row is out (usage --warn-at: 10 when any row was over the line).
   */
  | { type: 'list'; rows: AsyncIterable<unknown> | Iterable<unknown>; columns: Column<unknown>[]; noun?: string; exitCode?: () => number | undefined }
  | { type: 'text'; text: string }
  | { type: 'none' };

/**
 * How tables are drawn. On a terminal (`terminal`) of `width` columns a table is fitted unless
 * `wide`; anywhere else (a pipe, a file) every value is printed whole. `notice` hears what a
 * person should know about the table on stderr (columns left out, nothing found).
 */
export interface TableStyle {
  color: boolean;
  width: number;
  wide: boolean;
  /** stdout is a terminal, so the table is fitted to `width` (absent: it is). */
  terminal?: boolean;
  /** A line for stderr (main's writer: it clears the progress line first). */
  notice?: (line: string) => void;
}

/** Whether a table is fitted to the terminal's width (never when piped, nor with --wide). */
function fitted(style: TableStyle): boolean {
  return style.terminal !== false && !style.wide;
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
  /** Called before each write (main erases the progress line on a terminal). */
  beforeWrite: (() => void) | undefined;

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
    this.beforeWrite?.();
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
      if (format === 'table' && result.rows === undefined) {
        // One object is shown as KEY and VALUE lines: its columns when it has them (the view people
        // read: roles by name), else its fields, nested parts by their dotted path.
        const pairs = result.columns ? columnPairs(result.columns, result.data) : keyValueRows(result.data);
        const layout = new TableLayout(keyValueColumns, style, pairs);
        await sink.write(layout.page(pairs, true));
        layout.report(style);
      } else if (format === 'table' || format === 'csv') {
        const columns = result.columns ?? objectColumns(result.data);
        const rows = result.rows ?? [result.data];
        if (format === 'csv') {
          await sink.write(csvLines(rows, columns, true));
        } else {
          const layout = new TableLayout(columns, style, rows);
          await sink.write(layout.page(rows, true));
          layout.report(style);
        }
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
    if (page.length === 0) {
      // As kubectl: nothing on stdout, and a person is told on stderr.
      style.notice?.(`No ${result.noun ?? 'results'} found`);
      return;
    }
    layout = new TableLayout(columns, style, page);
    await buf.add(layout.page(page, true));
  } else if (page.length > 0) {
    await buf.add(layout.page(page, false));
  }
  await buf.drain();
  layout.report(style);
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

let stringWidth: ((s: string) => number) | undefined;
/**
 * How many terminal columns `s` takes: its length for plain ASCII (almost every value), else
 * string-width's count (wide characters take two, combining marks none), loaded only then.
 */
function widthOf(s: string): number {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7e]*$/.test(s)) return s.length;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  stringWidth ??= require('string-width') as (s: string) => number;
  return stringWidth(s);
}

/** `s` cut to `width` columns, its last one an ellipsis. */
function cutTo(s: string, width: number): string {
  let out = '';
  for (const c of s) {
    if (widthOf(out + c) > width - 1) break;
    out += c;
  }
  return `${out}…`;
}

/** One line of a key/value table. */
interface KeyValue {
  key: string;
  value: string;
}

/** Keys whose values people copy (ids, names, emails, roles): a key/value table never cuts them. */
const KEPT_KEY = /(^|\.)(id|name|email|roles?|[a-z_]*_id|parent)$/i;

const keyValueColumns: Column<unknown>[] = [
  { header: 'KEY', get: (r) => (r as KeyValue).key, keep: true },
  { header: 'VALUE', get: (r) => (r as KeyValue).value, keepIf: (r) => KEPT_KEY.test((r as KeyValue).key) },
];

function scalar(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * An object as key/value lines: nested objects by their dotted path, a list of values on one
 * line, a list of objects one line per item (its fields as `key=value`), an empty list "none".
 */
export function keyValueRows(data: unknown, prefix = ''): KeyValue[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [{ key: prefix || 'value', value: listOrScalar(data) }];
  const out: KeyValue[] = [];
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v) && v.some((item) => item !== null && typeof item === 'object')) {
      v.forEach((item, i) => out.push({ key: `${key}[${i}]`, value: inline(item) }));
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const inner = keyValueRows(v, key);
      out.push(...(inner.length > 0 ? inner : [{ key, value: 'none' }]));
    } else {
      out.push({ key, value: listOrScalar(v) });
    }
  }
  return out;
}

/** A cell as a table shows it. */
function shown(c: Column<unknown>, row: unknown): unknown {
  return c.show ? c.show(row) : c.get(row);
}

/** One object's cells as key/value lines, each column's header its key. */
function columnPairs(columns: Column<unknown>[], data: unknown): KeyValue[] {
  return columns.flatMap((c) => {
    const value = shown(c, data);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return keyValueRows(value, c.header);
    return [{ key: c.header, value: listOrScalar(value) }];
  });
}

function listOrScalar(v: unknown): string {
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.map(scalar).join(', ');
  return scalar(v);
}

/** An object in one cell: `key=value` pairs, nested ones by their dotted path. */
function inline(item: unknown): string {
  if (item === null || typeof item !== 'object') return scalar(item);
  return keyValueRows(item)
    .map((kv) => `${kv.key}=${kv.value}`)
    .join(' ');
}

const GAP = '  ';
/** No column is cut narrower than its header, nor than this. */
const MIN_WIDTH = 6;

/**
 * A borderless table: a header line, then one line a row. Piped, or with --wide, every value
 * is whole. On a terminal a table wider than the screen leaves out its optional columns, right
 * to left, until the rest fit (said on stderr, with --wide to show all); then the widest
 * columns that are not kept (ids, names, emails, roles are kept) are cut with an ellipsis.
 */
export class TableLayout {
  readonly widths: number[];
  readonly columns: Column<unknown>[];
  /** Headers of the columns left out to fit the terminal. */
  readonly leftOut: string[];
  private cut = false;

  constructor(
    columns: Column<unknown>[],
    private readonly style: TableStyle,
    sample: unknown[] = [],
  ) {
    const measured = columns.map((column) => {
      const natural = Math.max(widthOf(column.header), ...sample.map((r) => widthOf(printable(cell(shown(column, r))))));
      // A kept column's floor is its whole width; any other's is its header (or MIN_WIDTH).
      const kept = column.keep || (column.keepIf !== undefined && sample.some((r) => column.keepIf!(r)));
      const floor = Math.min(natural, kept ? natural : Math.max(MIN_WIDTH, widthOf(column.header)));
      return { column, natural, floor };
    });
    let visible = measured;
    if (fitted(style)) {
      const needs = (ms: typeof measured) => ms.reduce((sum, m) => sum + m.floor, 0) + GAP.length * Math.max(ms.length - 1, 0);
      while (needs(visible) > style.width) {
        const drop = visible.map((m) => m.column.optional === true).lastIndexOf(true);
        if (drop < 0) break;
        visible = visible.filter((_, i) => i !== drop);
      }
    }
    this.columns = visible.map((m) => m.column);
    this.leftOut = measured.filter((m) => !visible.includes(m)).map((m) => m.column.header);
    const natural = visible.map((m) => m.natural);
    this.widths = fitted(style) ? fit(natural, visible.map((m) => m.floor), style.width) : natural;
  }

  /** The lines for `rows`, with the header first when `header`. */
  page(rows: unknown[], header: boolean): string {
    const lines: string[] = [];
    if (header) {
      const line = this.line(this.columns.map((c) => c.header), () => true);
      lines.push(this.style.color ? bold(line) : line);
    }
    for (const row of rows) {
      lines.push(this.line(this.columns.map((c) => printable(cell(shown(c, row)))), (i) => this.columns[i]!.keepIf?.(row) === true));
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  /** One line; a value wider than its column is cut only when the table is fitted and the value is not kept. */
  private line(values: string[], kept: (i: number) => boolean): string {
    const last = values.length - 1;
    return values
      .map((v, i) => {
        const width = this.widths[i]!;
        let text = v;
        let w = widthOf(text);
        if (w > width && fitted(this.style) && !this.columns[i]!.keep && !kept(i)) {
          text = cutTo(text, width);
          w = widthOf(text);
          this.cut = true;
        }
        // The last column is not padded: no trailing blanks.
        return i === last ? text : text + ' '.repeat(Math.max(width - w, 0));
      })
      .join(GAP)
      .trimEnd();
  }

  /** Say on stderr what the fitting left out, once the table is printed. */
  report(style: TableStyle): void {
    if (!style.notice) return;
    if (this.leftOut.length > 0) {
      style.notice(`left out ${this.leftOut.join(', ')} to fit ${style.width} columns; --wide shows every column`);
    } else if (this.cut) {
      style.notice(`long values were cut (…) to fit ${style.width} columns; --wide shows them whole`);
    }
  }
}

/** Bold with chalk (loaded only when a table is painted). */
function bold(text: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const chalk = require('chalk') as typeof import('chalk');
  return new chalk.Instance({ level: 1 }).bold(text);
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
