/**
 * A terminal progress bar for long jobs (simulation, training epochs, batch scoring).
 *
 * On a TTY it redraws one line in place with `\r`, at most every REDRAW_MS (10 times a second):
 *
 *   simulate [██████████░░░░░░░░░░░░░░░]  42% 420/1000 12.3 img/s ETA 47s  loss 0.031
 *
 * Anywhere else (CI logs, pipes, files) it never redraws: it prints one plain line each time the
 * job crosses another 10% (10%, 20%, ... 90%), and done() prints the final line, so logs stay
 * readable:
 *
 *   simulate  40% 400/1000 12.3 img/s ETA 49s
 */
import { DarklensError } from '@darklens/core';

/** The part of a writable stream the bar uses; process.stderr and process.stdout fit. */
export interface ProgressStream {
  write(s: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  /** Number of units in the whole job (>= 0). */
  total: number;
  /** Shown first on every line. */
  label?: string;
  /** Where to draw. Default process.stderr, so progress never mixes with a command's stdout data. */
  stream?: NodeJS.WriteStream | ProgressStream;
  /** Name of one unit in the rate, e.g. 'img' -> "12.3 img/s". Default 'it'. */
  unit?: string;
  /** Clock in milliseconds, for tests. Default Date.now. */
  now?: () => number;
}

/** Minimum time between two redraws on a TTY. */
export const REDRAW_MS = 100;
const MAX_BAR_WIDTH = 25;
const MIN_BAR_WIDTH = 5;
const DEFAULT_COLUMNS = 80;

/** Human duration: "3.2s" under 10 s, "47s", "3m05s", "2h07m"; "--" when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  if (seconds < 9.95) return `${seconds.toFixed(1)}s`;
  const t = Math.round(seconds);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  const m = Math.round(t / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Rate with about three significant digits: "1234", "12.3", "0.42"; "--" when unknown. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return '--';
  if (perSecond >= 99.5) return perSecond.toFixed(0);
  if (perSecond >= 9.995) return perSecond.toFixed(1);
  return perSecond.toFixed(2);
}

export class ProgressBar {
  readonly total: number;
  private readonly label: string;
  private readonly unit: string;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly start: number;
  private n = 0;
  private lastDraw = -Infinity;
  private lastLength = 0;
  private lastDecile = 0;
  private finished = false;
  private info = '';

  constructor(opts: ProgressBarOptions) {
    if (!Number.isFinite(opts.total) || opts.total < 0) {
      throw new DarklensError('invalid_argument', `progress total must be a finite number >= 0, got ${String(opts.total)}`);
    }
    this.total = opts.total;
    this.label = opts.label ?? '';
    this.unit = opts.unit ?? 'it';
    this.stream = opts.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.now = opts.now ?? Date.now;
    this.start = this.now();
  }

  /** Units done so far. */
  get count(): number {
    return this.n;
  }

  /**
   * Records `n` more units done (default 1) and, when given, replaces the info text shown at the
   * end of the line. Ignored after done().
   */
  tick(n = 1, info?: string): void {
    if (this.finished) return;
    if (!Number.isFinite(n) || n < 0) {
      throw new DarklensError('invalid_argument', `progress tick must be a finite number >= 0, got ${String(n)}`);
    }
    this.n += n;
    if (info !== undefined) this.info = info;
    const t = this.now();
    if (this.tty) {
      const complete = this.n >= this.total;
      if (t - this.lastDraw >= REDRAW_MS || (complete && this.lastDraw !== Infinity)) {
        this.redraw(t, false);
        // Draw the 100% state once even when it arrives within REDRAW_MS of the last frame.
        this.lastDraw = complete ? Infinity : t;
      }
    } else {
      const decile = this.total > 0 ? Math.min(10, Math.floor((this.n * 10) / this.total)) : 10;
      if (decile > this.lastDecile && decile < 10) {
        this.lastDecile = decile;
        this.stream.write(this.line(t, false, false) + '\n');
      }
    }
  }

  /** Prints the final line (with the elapsed time instead of the ETA) and ends the bar. Idempotent. */
  done(info?: string): void {
    if (this.finished) return;
    this.finished = true;
    if (info !== undefined) this.info = info;
    const t = this.now();
    if (this.tty) {
      this.redraw(t, true);
      this.stream.write('\n');
    } else {
      this.stream.write(this.line(t, true, false) + '\n');
    }
  }

  private redraw(t: number, final: boolean): void {
    const line = this.line(t, final, true);
    const pad = Math.max(0, this.lastLength - line.length);
    this.stream.write('\r' + line + ' '.repeat(pad));
    this.lastLength = line.length;
  }

  /** One status line, without line ending. `withBar` adds the bar and fits the line to the terminal. */
  private line(t: number, final: boolean, withBar: boolean): string {
    const elapsed = (t - this.start) / 1000;
    const rate = elapsed > 0 ? this.n / elapsed : NaN;
    const frac = this.total > 0 ? Math.min(1, this.n / this.total) : 1;
    const pct = `${Math.floor(frac * 100)}%`.padStart(4);
    const remaining = Math.max(0, this.total - this.n);
    const eta = remaining === 0 ? 0 : rate > 0 ? remaining / rate : NaN;
    const timing = final ? `in ${formatDuration(elapsed)}` : `ETA ${formatDuration(eta)}`;
    const stats = `${pct} ${this.n}/${this.total} ${formatRate(rate)} ${this.unit}/s ${timing}`;
    const head = this.label ? `${this.label} ` : '';
    if (!withBar) return head + stats + (this.info ? `  ${this.info}` : '');

    const columns = this.stream.columns && this.stream.columns > 0 ? this.stream.columns : DEFAULT_COLUMNS;
    // Stay one short of the last column: writing into it makes some terminals wrap, breaking `\r`.
    const room = columns - 1;
    const barWidth = Math.min(MAX_BAR_WIDTH, room - head.length - stats.length - 3);
    let line = head;
    if (barWidth >= MIN_BAR_WIDTH) {
      const full = Math.round(frac * barWidth);
      line += `[${'█'.repeat(full)}${'░'.repeat(barWidth - full)}] `;
    }
    line += stats;
    if (this.info) line += `  ${this.info}`;
    return line.length > room ? line.slice(0, Math.max(0, room)) : line;
  }
}

/** Adapts a "done so far" callback to a bar's tick(delta); tolerates an absent bar. */
export function progressTo(bar: ProgressBar | undefined): (done: number) => void {
  let last = 0;
  return (done) => {
    if (done > last) bar?.tick(done - last);
    last = done;
  };
}
