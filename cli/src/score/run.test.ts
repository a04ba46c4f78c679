import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DarklensError } from '@darklens/core';
import type { BatchLine } from '@darklens/functions';
import { lineWriter } from './output-file.js';
import { runScoring, type RunOptions } from './run.js';
import { readState, statePath, type Fingerprint } from './run-state.js';
import { pieceNames, type Piece, type Scorer } from './scorer.js';
import type { WorkSource } from './work-source.js';

const dir = mkdtempSync(join(tmpdir(), 'darklens-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOTAL = 23;
const STEP = 4;

/** One stack of TOTAL images; every seventh cutout fails to read. */
const source: WorkSource = {
  total: TOTAL,
  pieces: (start, end) => Promise.resolve([{ name: 'stack.npy', first: start, count: end - start, bytes: new Uint8Array(0) }]),
};

function fakeLine(index: number, name: string): BatchLine {
  if (index % 7 === 3) return { index, name, error: { code: 'truncated', message: `cutout ${index}, "cut", short` } };
  const model = { model: 'rbm', version: 'v2', score: 'mf', loss: index / 3, threshold: { name: null, value: 1, fpr: null }, pValue: 1 / (index + 2), percentile: 0.5, normalizedScore: 0.5, flagged: index % 5 === 0 };
  return {
    index,
    name,
    input: { format: 'npy', width: 4, height: 4, pixelScale: null, psfFwhm: null, assumedPixelScale: true, masked: 0, resampled: null, noise: 'estimated' },
    set: { name: 'model-a', routedBy: 'default', note: '' },
    domain: { outOfDomain: index % 6 === 1, reasons: [], stats: { radius: 1, sharpness: 1, noise: 1, relativeWidth: 1 } },
    verdict: 'smooth',
    models: { rbm: model },
    ensemble: { method: 'cauchy', name: null, members: [], pValue: 1 / (index + 3), alpha: 0.05, flagged: index % 5 === 0, models: ['rbm'] },
  };
}

/** A scorer whose lines depend only on the cutout; it records each call's range and may fail on one. */
function fakeScorer(failAt?: number): Scorer & { calls: [number, number][] } {
  const calls: [number, number][] = [];
  return {
    calls,
    roles: ['rbm'],
    concurrency: 2,
    calibrations: { reference: () => undefined, domain: () => undefined },
    async score(pieces: readonly Piece[], index: number) {
      const names = pieces.flatMap(pieceNames);
      calls.push([index, names.length]);
      await new Promise((r) => setTimeout(r, (index * 7) % 5)); // steps finish out of order
      if (index === failAt) throw new Error('the inference pool died');
      return names.map((n, j) => fakeLine(index + j, n));
    },
    close: () => Promise.resolve(),
  };
}

const fingerprint = (options: Record<string, string> = {}): Fingerprint => ({ inputs: 'abc', files: 1, cutouts: TOTAL, options, registry: 'r1', format: 'csv' });

function options(out: string, o: Partial<RunOptions> = {}): RunOptions {
  return { source, scorer: fakeScorer(), writer: lineWriter('csv', ['rbm']), out, fingerprint: fingerprint(), restart: false, signal: new AbortController().signal, step: STEP, ...o };
}

/** The output of one uninterrupted run. */
async function reference(): Promise<string> {
  const out = join(dir, 'reference.csv');
  const r = await runScoring(options(out, { restart: true }));
  expect(r.complete).toBe(true);
  return readFileSync(out, 'utf8');
}

describe('runScoring', () => {
  it('writes every line in input order, sums them, and removes its progress file when complete', async () => {
    const out = join(dir, 'whole.csv');
    const r = await runScoring(options(out));
    const rows = readFileSync(out, 'utf8').split('\r\n').filter((l) => l !== '');
    expect(rows).toHaveLength(TOTAL + 1);
    expect(rows.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([...Array(TOTAL).keys()]);
    expect(r.tally).toMatchObject({ scored: 20, failed: 3, flagged: 4, outOfDomain: 4 });
    expect(r.tally.failures.truncated).toEqual({ count: 3, name: 'stack.npy[3]', message: 'cutout 3, "cut", short' });
    expect(existsSync(statePath(out))).toBe(false);
  });

  it('stops when asked, keeps its place, and continues to the same bytes as one uninterrupted run, over the same steps', async () => {
    const want = await reference();
    const out = join(dir, 'stopped.csv');
    const stop = new AbortController();
    let steps = 0;
    const first = await runScoring(options(out, { signal: stop.signal, onLines: () => ++steps === 2 && stop.abort() }));
    expect(first.complete).toBe(false);
    expect(first.done % STEP).toBe(0);
    expect(first.done).toBeLessThan(TOTAL);
    expect((await readState(statePath(out)))!.done).toBe(first.done);
    const scorer = fakeScorer();
    const second = await runScoring(options(out, { scorer }));
    expect(second).toMatchObject({ complete: true, resumedAt: first.done });
    expect(scorer.calls.map(([i]) => i).sort((a, b) => a - b)).toEqual([...Array(Math.ceil((TOTAL - first.done) / STEP)).keys()].map((k) => first.done + k * STEP));
    expect(readFileSync(out, 'utf8')).toBe(want);
    // The tally covers both runs.
    expect(second.tally).toMatchObject({ scored: 20, failed: 3 });
  });

  it('after a crash mid-write, cuts the results back to what the progress file recorded', async () => {
    const want = await reference();
    const out = join(dir, 'crashed.csv');
    const stop = new AbortController();
    await runScoring(options(out, { signal: stop.signal, onLines: () => stop.abort() }));
    appendFileSync(out, '12,stack.npy[12],model-a,smo'); // a step written in part when the process died
    const r = await runScoring(options(out));
    expect(r.complete).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe(want);
  });

  it('when scoring breaks, fails with the progress at the last step written, and a rerun finishes it', async () => {
    const want = await reference();
    const out = join(dir, 'broken.csv');
    await expect(runScoring(options(out, { scorer: fakeScorer(12) }))).rejects.toThrow(/pool died/);
    const state = (await readState(statePath(out)))!;
    expect(state.done).toBeLessThanOrEqual(12);
    expect(readFileSync(out).length).toBe(state.bytes);
    await runScoring(options(out));
    expect(readFileSync(out, 'utf8')).toBe(want);
  });

  it('refuses to continue another run\'s results, or to overwrite finished results, unless told to restart', async () => {
    const out = join(dir, 'other.csv');
    const stop = new AbortController();
    await runScoring(options(out, { signal: stop.signal, onLines: () => stop.abort() }));
    const e = await runScoring(options(out, { fingerprint: fingerprint({ fpr: '0.01' }) })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DarklensError);
    expect((e as Error).message).toMatch(/another run \(its options were none, now --fpr 0\.01\).*--restart/);
    await runScoring(options(out, { fingerprint: fingerprint({ fpr: '0.01' }), restart: true }));
    await expect(runScoring(options(out))).rejects.toThrow(/already exists.*--restart/);
    const again = await runScoring(options(out, { restart: true }));
    expect(again).toMatchObject({ complete: true, resumedAt: 0 });
  });

  it('refuses results shorter than the progress file says, and a progress file that is not one', async () => {
    const out = join(dir, 'short.csv');
    const stop = new AbortController();
    await runScoring(options(out, { signal: stop.signal, onLines: () => stop.abort() }));
    truncateSync(out, 10);
    await expect(runScoring(options(out))).rejects.toThrow(/shorter/);
    writeFileSync(statePath(out), '{"not": "mine"}');
    await expect(runScoring(options(out))).rejects.toThrow(/not a darklens progress file/);
  });
});
