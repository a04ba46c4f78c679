/**
 * The supervised ceiling end to end on a tiny, easily separable toy set (16x16, wasm): no_sub is a
 * smooth blob, spherical adds a bright point, vortex a short bright line. A working classifier must
 * separate them; a broken one (labels, weights, scoring) would not.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDarklensError, writeNpy } from '@darklens/core';
import { Rng } from '../simulate/rng.js';
import { supervisedCeiling, type CeilingOptions, type CeilingReport } from './ceiling.js';
import type { CeilingProgress } from './fit.js';
import type { CeilingClass, CeilingDataPaths } from './labelled-sets.js';
import { CEILING_JSON, writeCeilingReport } from './report-files.js';

const SIZE = 16;
let dir: string;
let data: CeilingDataPaths;

/** `count` toy lenses of one class: a Gaussian blob, plus a bright point (spherical) or line (vortex). */
function toySet(klass: CeilingClass, count: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const px = SIZE * SIZE;
  const out = new Float32Array(count * px);
  for (let n = 0; n < count; n++) {
    const img = out.subarray(n * px, (n + 1) * px);
    const cx = rng.range(5, 11);
    const cy = rng.range(5, 11);
    const s = rng.range(1.5, 3);
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) img[y * SIZE + x] = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s)) + 0.05 * rng.range(0, 1);
    if (klass === 'no_sub') continue;
    const x = 2 + Math.floor(rng.range(0, SIZE - 5));
    const y = 2 + Math.floor(rng.range(0, SIZE - 4));
    img[y * SIZE + x] = 2;
    if (klass === 'vortex') img[y * SIZE + x + 1] = img[y * SIZE + x + 2] = 2;
  }
  return out;
}

function write(name: string, klass: CeilingClass, count: number, seed: number): string {
  const path = join(dir, `${name}.npy`);
  writeFileSync(path, writeNpy(toySet(klass, count, seed), [count, 1, SIZE, SIZE]));
  return path;
}

const run = (more: Partial<CeilingOptions> = {}): Promise<CeilingReport> =>
  supervisedCeiling({ data, epochs: 6, batchSize: 16, learningRate: 3e-3, seed: 4, validationFraction: 0.2, backend: 'wasm', log: () => undefined, ...more });

let report: CeilingReport;
const progress: CeilingProgress[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'darklens-ceiling-'));
  data = {
    train: { no_sub: write('no_sub', 'no_sub', 40, 1), spherical: write('spherical', 'spherical', 40, 2), vortex: write('vortex', 'vortex', 40, 3) },
    test: { no_sub: write('t_no_sub', 'no_sub', 40, 11), spherical: write('t_spherical', 'spherical', 30, 12), vortex: write('t_vortex', 'vortex', 30, 13) },
  };
  report = await run({ onProgress: (e) => progress.push(e) });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('supervisedCeiling', () => {
  it('separates an easy toy set, with every metric in range', () => {
    const m = report.metrics;
    expect(m.aucPooled).toBeGreaterThan(0.8);
    expect(m.aucSpherical).toBeGreaterThan(0.8);
    expect(m.aucVortex).toBeGreaterThan(0.8);
    for (const p of [m.tprAt1, m.tprAt5]) {
      expect(p.tpr).toBeGreaterThanOrEqual(0);
      expect(p.tpr).toBeLessThanOrEqual(1);
      expect(p.fpr).toBeLessThanOrEqual(p.maxFpr);
    }
    expect(m.tprAt5.tpr).toBeGreaterThanOrEqual(m.tprAt1.tpr);
  });

  it('reports counts, epochs, seed, backend and what it is', () => {
    expect(report.counts.train).toEqual({ no_sub: 32, spherical: 32, vortex: 32 });
    expect(report.counts.validation).toEqual({ no_sub: 8, spherical: 8, vortex: 8 });
    expect(report.counts.test).toEqual({ no_sub: 40, spherical: 30, vortex: 30 });
    expect(report.classWeights.no_sub).toBeCloseTo(2 * report.classWeights.spherical, 9);
    expect([report.epochs, report.seed, report.backend, report.model.inputSize]).toEqual([6, 4, 'wasm', SIZE]);
    expect(report.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    const best = Math.min(...report.history.map((h) => h.valLoss));
    expect(report.history[report.bestEpoch - 1]!.valLoss).toBe(best);
    expect(report.history[0]!.loss).toBeGreaterThan(report.history[5]!.loss);
    expect(report.note).toMatch(/supervised upper reference.*labels.*never see/i);
  });

  it('reports progress within and at the end of every epoch', () => {
    const ends = progress.filter((e) => e.valLoss !== undefined);
    expect(ends.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ends.every((e) => e.images === 96 && e.trainImages === 96)).toBe(true);
    expect(progress.some((e) => e.valLoss === undefined && e.images < 96)).toBe(true);
  });

  it('writes ceiling.json and ceiling.md', async () => {
    const files = await writeCeilingReport(report, join(dir, 'out'));
    expect(files.json).toBe(join(dir, 'out', CEILING_JSON));
    expect((JSON.parse(await readFile(files.json, 'utf8')) as CeilingReport).metrics).toEqual(report.metrics);
    const md = await readFile(files.markdown, 'utf8');
    expect(md).toContain(`| ROC AUC pooled (no_sub vs spherical + vortex) | ${report.metrics.aucPooled.toFixed(3)} |`);
    expect(md).toContain('| test | 40 | 30 | 30 |');
  });

  it('owes that separation to training: the same network barely trained stays far below', async () => {
    const untrained = await run({ epochs: 1, learningRate: 1e-9 });
    expect(untrained.metrics.aucPooled).toBeLessThan(0.75);
  });

  it('is reproducible with the same seed', async () => {
    const again = await run({ epochs: 1 });
    const other = await run({ epochs: 1 });
    expect(other.history).toEqual(again.history);
    expect(other.metrics).toEqual(again.metrics);
  });

  it('refuses bad options before training', async () => {
    for (const more of [{ epochs: 0 }, { validationFraction: 1 }, { learningRate: -1 }, { batchSize: 0.5 }]) {
      const e: unknown = await run(more).then(() => undefined, (x: unknown) => x);
      expect(isDarklensError(e) && e.code, JSON.stringify(more)).toBe('invalid_argument');
    }
  });
});
