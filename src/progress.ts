/**
 * Progress on stderr for work that runs past about a second: one line that updates in place
 * (`\r` and erase), drawn only on a terminal and never with --quiet. stdout is never touched.
 * With TENANTADM_DEBUG each counter's final figure is printed, terminal or not, so tests and
 * people can see how much a command read.
 */

export interface Progress {
  /** `n` more items done (default 1). */
  tick(n?: number): void;
  /** Stop and erase the line. Safe to call more than once. */
  done(): void;
}

export interface ProgressOptions {
  /** Draw the line at all (stderr is a terminal and --quiet was not given). */
  enabled: boolean;
  /** Print each counter's final figure as a debug line. */
  debug: boolean;
  /** Nothing is drawn before this many ms (short commands stay silent). */
  delayMs?: number;
  /** Redraw at most this often. */
  intervalMs?: number;
}

interface Counter {
  label: string;
  count: number;
  total?: number;
  timer?: NodeJS.Timeout;
  /** What the line last showed: it is redrawn only when that changes. */
  drawn?: number;
}

const ERASE = '\r\u001b[K';

function figure(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Owns the one progress line of a run. `clear()` must be called before anything else is
 * written to stderr (warnings, errors), so messages never mix with the line.
 */
export class ProgressLine {
  private shown = false;
  private readonly active = new Set<Counter>();

  constructor(
    private readonly stderr: { write(s: string): unknown },
    private readonly options: ProgressOptions,
  ) {}

  /** A counter labelled `label` ("tenants", "plan entries"); `total` when it is known. */
  start(label: string, total?: number): Progress {
    const entry: Counter = { label, count: 0, ...(total !== undefined ? { total } : {}) };
    this.active.add(entry);
    if (this.options.enabled) {
      const every = this.options.intervalMs ?? 100;
      entry.timer = setTimeout(() => {
        this.draw(entry);
        entry.timer = setInterval(() => this.draw(entry), every);
        entry.timer.unref();
      }, this.options.delayMs ?? 1000);
      entry.timer.unref();
    }
    return {
      tick: (n = 1) => {
        entry.count += n;
      },
      done: () => {
        if (!this.active.has(entry)) return;
        this.stop(entry);
        this.clear();
      },
    };
  }

  private stop(entry: Counter): void {
    if (entry.timer) clearTimeout(entry.timer);
    this.active.delete(entry);
    if (this.options.debug) {
      this.clear();
      this.stderr.write(`tenantadm: debug: ${entry.label}: ${entry.count}\n`);
    }
  }

  /** Erase the line if it is drawn; the next redraw puts it back. */
  clear(): void {
    if (!this.shown) return;
    this.shown = false;
    this.stderr.write(ERASE);
  }

  /** Stop every counter still running (the run is over, whatever happened); debug figures are as far as they got. */
  stopAll(): void {
    for (const entry of [...this.active]) this.stop(entry);
    this.clear();
  }

  private draw(entry: Counter): void {
    if (!this.active.has(entry) || (this.shown && entry.drawn === entry.count)) return;
    entry.drawn = entry.count;
    const of = entry.total !== undefined ? ` of ${figure(entry.total)}` : '';
    this.stderr.write(`${ERASE}tenantadm: ${entry.label}: ${figure(entry.count)}${of}…`);
    this.shown = true;
  }
}

/** Pass `rows` through, ticking once per row; the counter stops when the rows end or the reader stops. */
export async function* counted<T>(rows: AsyncIterable<T> | Iterable<T>, progress: Progress): AsyncGenerator<T> {
  try {
    for await (const row of rows as AsyncIterable<T>) {
      progress.tick();
      yield row;
    }
  } finally {
    progress.done();
  }
}

/** Starts a counter labelled `label` (what `Deps.progress` is), for code below the commands. */
export type StartProgress = (label: string, total?: number) => Progress;
