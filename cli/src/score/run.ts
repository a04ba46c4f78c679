/**
 * The scoring loop of `darklens score`: fixed steps of the input sequence, a few in flight at once
 * (the main thread decodes and prepares one while the inference threads run another), written in
 * input order. After each step the results file is flushed and then the progress file records it, so
 * a run killed at any moment resumes at the last recorded step, and the steps it scores again are the
 * same steps (same cutouts per inference batch): the output equals an uninterrupted run's, byte for byte.
 */
import { stat } from 'node:fs/promises';
import { DarklensError } from '@darklens/core';
import type { BatchLine } from '@darklens/functions';
import { OutputFile, type LineWriter } from './output-file.js';
import { fingerprintDifference, readState, removeState, statePath, writeState, type Fingerprint, type RunState } from './run-state.js';
import type { Scorer } from './scorer.js';
import { countLine, emptyTally, type Tally } from './tally.js';
import type { WorkSource } from './work-source.js';

/** Cutouts per step: never depends on the machine (see the module comment). */
export const STEP = 256;

export interface RunOptions {
  source: WorkSource;
  scorer: Scorer;
  writer: LineWriter;
  out: string;
  fingerprint: Fingerprint;
  /** Start over even when a run of other inputs or options left its progress. */
  restart: boolean;
  signal: AbortSignal;
  step?: number;
  /** Called once the starting point is known (before any scoring). */
  onStart?(resumedAt: number, total: number): void;
  /** Called with each step's lines once they are written. */
  onLines?(lines: readonly BatchLine[]): void;
}

export interface RunOutcome {
  complete: boolean;
  resumedAt: number;
  /** Cutouts with a line in the results. */
  done: number;
  tally: Tally;
  /** Cutouts this run scored, and how long that took. */
  scoredNow: number;
  seconds: number;
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/**
 * The state a run continues from (undefined: it starts over), or a usage error when the results file
 * may not be written: another run's part, or finished results (without `restart`). Cheap: the command
 * checks it before loading any model.
 */
export async function resumeState(out: string, fingerprint: Fingerprint, restart: boolean): Promise<RunState | undefined> {
  const was = restart ? undefined : await readState(statePath(out));
  if (was !== undefined) {
    const diff = fingerprintDifference(was.fingerprint, fingerprint);
    if (diff !== undefined) throw new DarklensError('invalid_argument', `${out} holds part of another run (${diff}); rerun that command to finish it, or add --restart to score these inputs from the start (the file is overwritten)`);
    const there = await exists(out);
    if (was.done > 0 && !there) throw new DarklensError('invalid_argument', `${out} is gone but its progress file says ${was.done} cutouts were scored into it; add --restart to score everything again`);
    return was.done > 0 || there ? was : undefined;
  }
  if (!restart && (await exists(out))) throw new DarklensError('invalid_argument', `${out} already exists and has no progress file beside it (a finished run?); add --restart to score again and overwrite it`);
  return undefined;
}

/** The results file to write into and the state it continues from. */
async function openOutput(o: RunOptions): Promise<{ file: OutputFile; state: RunState }> {
  const was = await resumeState(o.out, o.fingerprint, o.restart);
  if (was !== undefined) return { file: await OutputFile.resume(o.out, was.bytes), state: { ...was, fingerprint: o.fingerprint } };
  // The progress file first: a run killed before its first step then starts over cleanly.
  const state: RunState = { version: 1, fingerprint: o.fingerprint, done: 0, bytes: Buffer.byteLength(o.writer.head), tally: emptyTally() };
  await writeState(statePath(o.out), state);
  return { file: await OutputFile.create(o.out, o.writer.head), state };
}

export async function runScoring(o: RunOptions): Promise<RunOutcome> {
  const step = o.step ?? STEP;
  const total = o.source.total;
  const { file, state } = await openOutput(o);
  const resumedAt = state.done;
  o.onStart?.(resumedAt, total);
  const t0 = performance.now();
  const inFlight: Promise<BatchLine[]>[] = [];
  let next = resumedAt;
  const launch = (): void => {
    const start = next;
    const end = Math.min(total, start + step);
    next = end;
    const lines = o.source.pieces(start, end).then((pieces) => o.scorer.score(pieces, start));
    lines.catch(() => undefined); // a later step may fail while an earlier one is awaited: handled in turn
    inFlight.push(lines);
  };
  try {
    while (next < total || inFlight.length > 0) {
      while (!o.signal.aborted && next < total && inFlight.length < o.scorer.concurrency) launch();
      if (inFlight.length === 0) break; // stopped: nothing left running
      const lines = await inFlight.shift()!;
      if (lines.length > 0 && lines[0]!.index !== state.done) throw new Error(`step lines start at ${lines[0]!.index}, expected ${state.done}`);
      await file.append(lines.map((l) => o.writer.line(l)).join(''));
      await file.sync();
      for (const l of lines) countLine(state.tally, l);
      state.done += lines.length;
      state.bytes = file.size;
      await writeState(statePath(o.out), state);
      o.onLines?.(lines);
    }
  } catch (e) {
    // Steps still running must not end as unhandled rejections; the progress stays at the last step written.
    await Promise.allSettled(inFlight);
    await file.close();
    throw e;
  }
  await file.close();
  const complete = state.done === total;
  if (complete) await removeState(statePath(o.out));
  return { complete, resumedAt, done: state.done, tally: state.tally, scoredNow: state.done - resumedAt, seconds: (performance.now() - t0) / 1000 };
}
