/**
 * calibrate on a tiny simulated set: a DCAE trained 1 epoch on 40 model-a no_sub 64x64 images (wasm,
 * batch 8), calibrated on 30 separate held-out no_sub images, with 20 spherical images as anomalies.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Calibrator, isDarklensError, parseModelCalibration, scoreFile, SCORE_NAMES } from '@darklens/core';
import { resolveSpec } from '../simulate/presets.js';
import { simulateToFiles } from '../simulate/output.js';
import { train } from '../train/train.js';
import { calibrate, type CalibrateOptions } from './calibrate.js';

const quiet = { log: (): void => undefined, backend: 'wasm' as const };
let dir: string;
let ck: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'darklens-calibrate-'));
  const spec = resolveSpec('model-a');
  await simulateToFiles({ spec, klass: 'no_sub', count: 40, seed: 7, outDir: dir, name: 'train', threads: 0 });
  await simulateToFiles({ spec, klass: 'no_sub', count: 30, seed: 8, outDir: dir, name: 'heldout', threads: 0 });
  await simulateToFiles({ spec, klass: 'spherical', count: 20, seed: 9, outDir: dir, name: 'spherical', threads: 0 });
  ck = join(dir, 'ck');
  await train({ dataPath: join(dir, 'train.npy'), checkpointDir: ck, epochs: 1, batchSize: 8, seed: 1, ...quiet });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = (more: Partial<CalibrateOptions> = {}): CalibrateOptions => ({
  checkpointDir: ck,
  dataPath: join(dir, 'heldout.npy'),
  resamples: 100,
  ...quiet,
  ...more,
});

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  return isDarklensError(e) ? { code: e.code, message: e.message } : { code: `not a DarklensError: ${String(e)}`, message: '' };
}

describe('calibrate', () => {
  it('writes a valid calibration.json from the held-out normal images', async () => {
    const r = await calibrate(base({ defaultScore: 'mf' }));
    expect(r.outPath).toBe(join(ck, 'calibration.json'));
    expect(r.backend).toBe('onnxruntime-node');
    const whole = parseModelCalibration(JSON.parse(readFileSync(r.outPath, 'utf8')));
    expect(whole).toEqual(r.file);
    // Every score of the exported graph is calibrated, on the ONNX file beside the checkpoint.
    expect(Object.keys(whole.scores).sort()).toEqual([...SCORE_NAMES].sort());
    expect(whole.defaultScore).toBe('mf');
    expect(whole.model.onnxSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(join(ck, 'model.onnx'))).toBe(true);
    const file = scoreFile(whole, 'mse');
    expect(file.calibration.count).toBe(30);
    expect(file.calibration.set).toBe('heldout.npy');
    expect(file.calibration.seed).toBe(0);
    expect(file.model.name).toBe('dcae');
    expect(file.input).toMatchObject({ width: 64, height: 64, pixelScale: 0.1, normalization: 'minmax' });
    expect(file.input.psfFwhm).toBeCloseTo(0.1 * 2 * Math.sqrt(2 * Math.LN2), 12);
    expect(file.thresholds.default).toBe('fpr-0.05');
    expect(file.thresholds.items.map((t) => t.name)).toEqual(['fpr-0.01', 'fpr-0.05', 'mean+3sigma']);
    expect(file.thresholds.bootstrap).toEqual({ resamples: 100, level: 0.95 });
    const cal = new Calibrator(file);
    expect(cal.thresholdValue('fpr-0.01')).toBeGreaterThanOrEqual(cal.thresholdValue('fpr-0.05'));
    for (const t of file.thresholds.items.filter((i) => i.method === 'quantile')) {
      expect(t.ci![0]).toBeLessThanOrEqual(t.ci![1]);
    }
    // p = (1 + #{s >= x}) / (n + 1): the largest calibration score counts itself, anything above it gets 1/(n+1)
    const max = file.calibration.scores[29]!;
    expect(cal.pValue(max)).toBeCloseTo(2 / 31, 12);
    expect(cal.pValue(max * 1.5 + 1)).toBeCloseTo(1 / 31, 12);
    // written atomically: no temporary file left behind
    expect(readdirSync(ck).filter((n) => n.includes('.tmp-'))).toEqual([]);
  }, 60_000);

  it('refuses the training data, by path and by content', async () => {
    const same = await failure(calibrate(base({ dataPath: join(dir, 'train.npy') })));
    expect(same.code).toBe('invalid_argument');
    expect(same.message).toMatch(/trained on.*held-out/);
    copyFileSync(join(dir, 'train.npy'), join(dir, 'copy-of-train.npy'));
    const copy = await failure(calibrate(base({ dataPath: join(dir, 'copy-of-train.npy'), outPath: join(dir, 'x.json') })));
    expect(copy.code).toBe('invalid_argument');
    expect(copy.message).toContain('fingerprint');
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });

  it('fits F1 / Youden thresholds only with labelled anomalies', async () => {
    const noAnomalies = await failure(calibrate(base({ metric: 'f1', outPath: join(dir, 'f1.json') })));
    expect(noAnomalies.code).toBe('invalid_argument');
    expect(existsSync(join(dir, 'f1.json'))).toBe(false);

    const r = await calibrate(
      base({
        labelled: [{ path: join(dir, 'spherical.npy'), label: 1 }],
        metric: 'f1',
        manual: [0.012],
        kSigmas: [2, 3],
        defaultThreshold: 'f1',
        resamples: 0,
        seed: 5,
        outPath: join(dir, 'out', 'f1.json'),
      }),
    );
    const file = scoreFile(parseModelCalibration(JSON.parse(readFileSync(join(dir, 'out', 'f1.json'), 'utf8'))), 'mse');
    expect(file.thresholds.items.map((t) => t.name)).toEqual(['fpr-0.01', 'fpr-0.05', 'mean+2sigma', 'mean+3sigma', 'manual', 'f1']);
    expect(file.thresholds.default).toBe('f1');
    expect(file.thresholds.bootstrap).toBeUndefined();
    expect(file.calibration.count).toBe(30); // the anomalies are not calibration scores
    expect(file.calibration.seed).toBe(5);
    const f1 = file.thresholds.items.find((t) => t.name === 'f1')!;
    expect(f1.metricValue).toBeGreaterThan(0);
    expect(f1.metricValue).toBeLessThanOrEqual(1);
    expect(file.thresholds.items.find((t) => t.name === 'manual')!.value).toBe(0.012);
    // Manual values are in the default score's units: the other scores do not get them.
    expect(scoreFile(r.file, 'chi2').thresholds.items.map((t) => t.name)).not.toContain('manual');
  }, 60_000);

  it('needs the pixel scale when no simulation manifest says it', async () => {
    copyFileSync(join(dir, 'heldout.npy'), join(dir, 'bare.npy'));
    const e = await failure(calibrate(base({ dataPath: join(dir, 'bare.npy'), outPath: join(dir, 'bare.json') })));
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toContain('pixel scale');
    const r = await calibrate(base({ dataPath: join(dir, 'bare.npy'), pixelScale: 0.05, outPath: join(dir, 'bare.json'), resamples: 0 }));
    expect(r.file.input.pixelScale).toBe(0.05);
    expect(r.file.input.psfFwhm).toBeUndefined();
  }, 60_000);
});
