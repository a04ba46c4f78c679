/**
 * evaluateReport end to end on a tiny simulated set: 30 model-a images per class at 64x64, a DCAE
 * trained 1 epoch (batch 8, wasm) on a separate no_sub file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, SCORE_NAMES } from '@darklens/core';
import { rocAuc } from '../metrics/roc.js';
import { averagePrecision } from '../metrics/pr.js';
import { w1ColumnSums } from '../metrics/w1.js';
import { resolveSpec } from '../simulate/presets.js';
import { simulateToFiles } from '../simulate/output.js';
import { loadImages } from '../train/data.js';
import { train } from '../train/train.js';
import { evaluateReport, reportMarkdown, type EvaluationReport } from './report.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const N = 30;
const quiet = { log: (): void => undefined, backend: 'wasm' as const };
let dir: string;
let ck: string;
let report: EvaluationReport;
const files = { no_sub: '', spherical: '', vortex: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'darklens-report-'));
  const spec = resolveSpec('model-a');
  await simulateToFiles({ spec, klass: 'no_sub', count: 24, seed: 11, outDir: dir, name: 'train', threads: 0 });
  let seed = 21;
  for (const k of ['no_sub', 'spherical', 'vortex'] as const) {
    await simulateToFiles({ spec, klass: k, count: N, seed: seed++, outDir: dir, name: `test_${k}`, threads: 0 });
    files[k] = join(dir, `test_${k}.npy`);
  }
  ck = join(dir, 'ck');
  await train({ dataPath: join(dir, 'train.npy'), checkpointDir: ck, epochs: 1, batchSize: 8, seed: 1, validationFraction: 0.2, ...quiet });
  report = await evaluateReport({ checkpointDir: ck, sets: files, outDir: join(dir, 'report'), bins: 12, ...quiet });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('evaluateReport', () => {
  it('writes report.json with every field, consistent with the returned report', () => {
    const json = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')) as EvaluationReport;
    expect(json.counts).toEqual({ no_sub: N, spherical: N, vortex: N });
    expect(json.backend).toBe('onnxruntime-node');
    expect(json.onnx.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(json.score).toBe('mse');
    // Every score of the graph has its metrics and per-image values; the main ones are the mse's.
    expect(Object.keys(json.metricsByScore).sort()).toEqual([...SCORE_NAMES].sort());
    expect(json.metricsByScore.mse).toEqual(json.metrics);
    expect(json.scoresByName.mse).toEqual(json.scores);
    expect(json.scoresByName.chi2!.no_sub).toHaveLength(N);
    expect(json.checkpoint).toBe(ck);
    expect(json.training).toMatchObject({ model: 'dcae', inputSize: 64, epoch: 1 });
    expect(Number.isNaN(Date.parse(json.date))).toBe(false);
    expect(json.reference.aucModelA).toEqual({ AAE: 0.932, VAE: 0.899, DCAE: 0.73, RBM: 0.515 });
    const m = json.metrics!;
    for (const v of [m.aucPooled, m.aucSpherical!, m.aucVortex!, m.aupr, m.tprAt1.tpr, m.tprAt5.tpr, m.tprAt1.fpr, m.tprAt5.fpr]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(m.tprAt1.fpr).toBeLessThanOrEqual(0.01);
    expect(m.tprAt5.fpr).toBeLessThanOrEqual(0.05);
    expect(m.tprAt5.tpr).toBeGreaterThanOrEqual(m.tprAt1.tpr);
    for (const k of ['no_sub', 'spherical', 'vortex'] as const) {
      const c = json.classes[k]!;
      expect(c.count).toBe(N);
      expect(json.scores[k]).toHaveLength(N);
      expect(c.meanScore).toBeCloseTo(json.scores[k]!.reduce((a, b) => a + b, 0) / N, 6);
      expect(c.meanScores.chi2).toBeCloseTo(json.scoresByName.chi2![k]!.reduce((a, b) => a + b, 0) / N, 6);
      expect(c.w1).toBeGreaterThan(0);
    }
    expect(json.histograms.groups.map((g) => [g.name, g.total])).toEqual([['no_sub', N], ['spherical', N], ['vortex', N]]);
    expect(json.histograms.edges).toHaveLength(13);
    expect(json).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it('has a pooled AUC equal to rocAuc of the per-class scores, and per-class AUCs against no_sub', () => {
    const s = report.scores;
    const pooled = [...s.no_sub!, ...s.spherical!, ...s.vortex!];
    const labels = pooled.map((_, i) => (i < N ? 0 : 1));
    expect(report.metrics!.aucPooled).toBeCloseTo(rocAuc(pooled, labels), 12);
    expect(report.metrics!.aupr).toBeCloseTo(averagePrecision(pooled, labels), 12);
    const two = (k: 'spherical' | 'vortex'): number => rocAuc([...s.no_sub!, ...s[k]!], [...new Array<number>(N).fill(0), ...new Array<number>(N).fill(1)]);
    expect(report.metrics!.aucSpherical).toBeCloseTo(two('spherical'), 12);
    expect(report.metrics!.aucVortex).toBeCloseTo(two('vortex'), 12);
  });

  it('reports W1 equal to w1ColumnSums of the inputs and the written reconstructions', async () => {
    for (const k of ['no_sub', 'spherical', 'vortex'] as const) {
      const recon = readNpy(new Uint8Array(readFileSync(join(dir, 'report', `${k}_recon.npy`))));
      expect([recon.count, recon.height, recon.width]).toEqual([N, 64, 64]);
      const input = await loadImages(files[k]);
      expect(report.classes[k]!.w1).toBe(w1ColumnSums(input.data, recon.data, N, 64, 64).mean);
    }
  });

  it('writes report.md with the metrics table and the reference numbers', () => {
    const md = readFileSync(join(dir, 'report', 'report.md'), 'utf8');
    expect(md).toContain('| metric | this run (dcae) |');
    expect(md).toContain(`| ROC AUC, pooled (spherical + vortex vs no_sub) | ${report.metrics!.aucPooled.toFixed(3)} | 0.932 | 0.899 | 0.730 | 0.515 |`);
    expect(md).toContain(`| W1, no_sub (reference: 150-pixel columns) | ${report.classes.no_sub!.w1.toFixed(3)} | 0.221 | 0.225 | 0.266 | 1.271 |`);
    expect(md).toContain('150x150 images, 500 epochs on a GPU');
    expect(md).toContain('![ROC curves](roc.png)');
    // The preset comes from the simulator's manifest; model-b test sets get the Model B column.
    expect(report.preset).toBe('model-a');
    const b = reportMarkdown({ ...report, preset: 'model-b' });
    expect(b).toContain(`| ROC AUC, pooled (spherical + vortex vs no_sub) | ${report.metrics!.aucPooled.toFixed(3)} | 0.769 | 0.735 | 0.670 | 0.509 |`);
    expect(b).toContain('Model B numbers');
  });

  it('writes roc.png and scores.png', () => {
    for (const f of ['roc.png', 'scores.png']) {
      const p = join(dir, 'report', f);
      expect(existsSync(p)).toBe(true);
      expect([...readFileSync(p).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    }
  });

  it('works with one substructure class, and with no_sub alone (no metrics, no ROC)', async () => {
    const one = await evaluateReport({ checkpointDir: ck, sets: { no_sub: files.no_sub, vortex: files.vortex }, outDir: join(dir, 'one'), maxImages: 10, ...quiet });
    expect(one.counts).toEqual({ no_sub: 10, spherical: 0, vortex: 10 });
    expect(one.metrics!.aucSpherical).toBeNull();
    expect(one.metrics!.aucVortex).toBe(one.metrics!.aucPooled);
    expect(one.metrics!.aucPooled).toBe(rocAuc([...one.scores.no_sub!, ...one.scores.vortex!], [...new Array<number>(10).fill(0), ...new Array<number>(10).fill(1)]));
    expect(existsSync(join(dir, 'one', 'roc.png'))).toBe(true);
    const alone = await evaluateReport({ checkpointDir: ck, sets: { no_sub: files.no_sub }, outDir: join(dir, 'alone'), maxImages: 5, ...quiet });
    expect(alone.metrics).toBeNull();
    expect(alone.files.roc).toBeNull();
    expect(existsSync(join(dir, 'alone', 'roc.png'))).toBe(false);
    expect(existsSync(join(dir, 'alone', 'scores.png'))).toBe(true);
    expect(readFileSync(join(dir, 'alone', 'report.md'), 'utf8')).toContain('Only no_sub images were given');
  });
});
