/**
 * Everything that reaches stdout goes through here: one JSON document, NDJSON, CSV or a
 * table for people. Lists are written as the cursor is read, with backpressure, so memory
 * does not grow with the result. A closed pipe (`| head -1`) ends output quietly.
 */
import type { Writable } from 'node:stream';

export type Format = 'json' | 'ndjson' | 'table' | 'csv';

export interface Column<T> {
  header: string;
  get: (row: T) => unknown;
}

export type Result =
  /**
   * `exitCode`: a report that is printed whole and still fails (doctor: 5 when the tool cannot work).
   * `rows`: what a table or CSV shows, one row each (check: its findings), instead of the one object.
   */
  | { type: 'object'; data: unknown; columns?: Column<never>[]; rows?: unknown[]; exitCode?: number }
  | { type: 'list'; rows: AsyncIterable<unknown> | Iterable<unknown>; columns: Column<never>[] }
  | { type: 'text'; text: string }
  | { type: 'none' };

/** Thrown when the reader went away; main treats it as success. */
export class OutputClosed extends Error {
  constructor() {
    super('output closed');
  }
}

export class Sink {
  private closed = false;
  private failure: Error | undefined;

  constructor(private readonly out: Writable) {
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') this.closed = true;
      else this.failure = err;
    });
  }

  get isClosed(): boolean {
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

export function csvField(value: unknown): string {
  const s = cell(value);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function* rowsOf(rows: AsyncIterable<unknown> | Iterable<unknown>): AsyncGenerator<unknown> {
  for await (const row of rows as AsyncIterable<unknown>) yield row;
}

/** Batch small writes so a long list costs few syscalls but memory stays bounded. */
class Buffered {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly sink: Sink) {}
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

export async function render(result: Result, format: Format, sink: Sink, color: boolean): Promise<void> {
  switch (result.type) {
    case 'none':
      return;
    case 'text':
      await sink.write(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
      return;
    case 'object':
      if (format === 'table' || format === 'csv') {
        await renderTable(
          result.rows ?? [result.data],
          (result.columns as Column<unknown>[] | undefined) ?? objectColumns(result.data),
          format,
          sink,
          color,
        );
      } else {
        // One document either way; NDJSON of one object is one line.
        await sink.write(format === 'ndjson' ? `${JSON.stringify(result.data)}\n` : `${JSON.stringify(result.data, null, 2)}\n`);
      }
      return;
    case 'list': {
      const buf = new Buffered(sink);
      if (format === 'ndjson') {
        for await (const row of rowsOf(result.rows)) await buf.add(`${JSON.stringify(row)}\n`);
        await buf.drain();
        return;
      }
      if (format === 'json') {
        let first = true;
        await buf.add('[');
        for await (const row of rowsOf(result.rows)) {
          await buf.add(`${first ? '\n' : ',\n'}${indent(JSON.stringify(row, null, 2))}`);
          first = false;
        }
        await buf.add(first ? ']\n' : '\n]\n');
        await buf.drain();
        return;
      }
      if (format === 'csv') {
        const cols = result.columns as Column<unknown>[];
        await buf.add(`${cols.map((c) => csvField(c.header)).join(',')}\r\n`);
        for await (const row of rowsOf(result.rows)) {
          await buf.add(`${cols.map((c) => csvField(c.get(row))).join(',')}\r\n`);
        }
        await buf.drain();
        return;
      }
      // A table needs its rows to size columns: print pages, so memory stays bounded on long lists.
      let page: unknown[] = [];
      let printed = false;
      for await (const row of rowsOf(result.rows)) {
        page.push(row);
        if (page.length >= TABLE_PAGE) {
          await renderTable(page, result.columns as Column<unknown>[], format, sink, color);
          page = [];
          printed = true;
        }
      }
      if (page.length > 0 || !printed) await renderTable(page, result.columns as Column<unknown>[], format, sink, color);
      return;
    }
  }
}

const TABLE_PAGE = 1000;

function indent(s: string): string {
  return s.replace(/^/gm, '  ');
}

function objectColumns(data: unknown): Column<unknown>[] {
  return Object.keys((data ?? {}) as object).map((k) => ({ header: k, get: (r) => (r as Record<string, unknown>)[k] }));
}

async function renderTable(rows: unknown[], columns: Column<unknown>[], format: Format, sink: Sink, color: boolean): Promise<void> {
  if (format === 'csv') {
    const lines = [columns.map((c) => csvField(c.header)).join(',')];
    for (const row of rows) lines.push(columns.map((c) => csvField(c.get(row))).join(','));
    await sink.write(`${lines.join('\r\n')}\r\n`);
    return;
  }
  // Loaded only for people: scripts never pay for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Table = require('cli-table3') as typeof import('cli-table3');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const chalk = require('chalk') as typeof import('chalk');
  const paint = new chalk.Instance({ level: color ? 1 : 0 });
  const table = new Table({
    head: columns.map((c) => paint.bold(c.header)),
    style: { head: [], border: [] },
  });
  for (const row of rows) table.push(columns.map((c) => cell(c.get(row))));
  await sink.write(`${table.toString()}\n`);
}
