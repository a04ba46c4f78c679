/**
 * /v1/score and /v1/score/batch in-process on the shipped models (onnxruntime-node): scores equal the
 * graph's own on the same preprocessed pixels, calibrated read-outs are consistent, every input kind
 * and every refusal behaves as documented.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combinePValues, encodePngGray, minMaxScale, quantileThreshold, readPng, writeNpy, type Cutout, type QuantileRule } from '@darklens/core';
import type { BatchLine, ScoreResult } from '@darklens/functions';
import { blob, fitsOf, json, npyStack, post, shippedService, simulatedLenses, SHIPPED_MODELS, SHIPPED_REGISTRY, SHIPPED_VERSION, DEFAULT_SET_MODELS, type TestService } from '../helpers/service.js';

const MODELS = ['dcae', 'vae', 'aae', 'rbm'];
let svc: TestService;
let lenses: Cutout[];

/**
 * The graph's own MSE score of a [0,1]-scaled image, straight from onnxruntime (no service code). A
 * noise-aware graph also takes the noise model, which its MSE output ignores but for masking: unit
 * variance everywhere masks nothing.
 */
async function graphScore(model: string, scaled: Float32Array): Promise<number> {
  const s = await ort.InferenceSession.create(readFileSync(join(SHIPPED_MODELS, model, SHIPPED_VERSION, 'model.onnx')));
  const feeds: Record<string, ort.Tensor> = { input: new ort.Tensor('float32', scaled, [1, 1, 64, 64]) };
  if (s.inputNames.includes('variance')) {
    feeds.variance = new ort.Tensor('float32', new Float32Array(scaled.length).fill(1), [1, 1, 64, 64]);
    feeds.noise = new ort.Tensor('float32', new Float32Array(2), [1, 2]);
  }
  const out = await s.run(feeds);
  await s.release();
  return (out.score!.data as Float32Array)[0]!;
}

async function score(body: BodyInit | Uint8Array, query = '', headers: Record<string, string> = {}): Promise<Response> {
  return post(svc.app, `/v1/score${query}`, body, headers);
}

beforeAll(async () => {
  svc = await shippedService();
  lenses = [...simulatedLenses('no_sub', 3), ...simulatedLenses('vortex', 3)];
});
afterAll(() => svc.store.close());

describe('POST /v1/score', () => {
  it('scores a FITS lens with every model, exactly as the graph scores the same pixels', async () => {
    const r = await json<ScoreResult>(await score(fitsOf(lenses[0]!), '?score=mse'));
    expect(Object.keys(r.models)).toEqual(MODELS);
    expect(r.input).toMatchObject({ format: 'fits', width: 64, height: 64, masked: 0, resampled: null, assumedPixelScale: false });
    const scaled = minMaxScale(lenses[0]!.data);
    for (const m of MODELS) {
      const s = r.models[m]!;
      expect(s.version).toBe(SHIPPED_VERSION);
      expect(s.score).toBe('mse');
      expect(s.loss).toBeCloseTo(await graphScore(m, scaled), 7);
      expect(s.flagged).toBe(s.loss > s.threshold.value);
      expect(s.threshold).toMatchObject({ name: 'fpr-0.05', fpr: 0.05 });
      expect(s.pValue).toBeGreaterThan(0);
      expect(s.pValue).toBeLessThanOrEqual(1);
      expect(s.normalizedScore).toBeGreaterThanOrEqual(0);
      expect(s.normalizedScore).toBeLessThanOrEqual(1);
      expect(s.normalizedScore > 0.5).toBe(s.flagged);
    }
    const ps = MODELS.map((m) => r.models[m]!.pValue);
    expect(r.ensemble).toEqual({
      method: 'cauchy',
      name: null,
      members: MODELS.map((m, i) => ({ model: m, score: 'mse', weight: 1, pValue: ps[i] })),
      pValue: combinePValues(ps, 'cauchy'),
      alpha: 0.05,
      flagged: combinePValues(ps, 'cauchy') <= 0.05,
      models: MODELS,
    });
  });

  it('gives the same scores for the same image as FITS, NPY, multipart and gzip; PNG scores the 8-bit image', async () => {
    const c = lenses[1]!;
    const fits = await json<ScoreResult>(await score(fitsOf(c)));
    const npy = await json<ScoreResult>(await score(writeNpy(c.data, [64, 64])));
    const form = new FormData();
    form.append('file', blob(fitsOf(c)), 'lens.fits');
    form.append('models', 'dcae,rbm');
    const multi = await json<ScoreResult>(await score(form));
    const { gzipSync } = await import('fflate');
    const gz = await json<ScoreResult>(await score(gzipSync(fitsOf(c))));
    expect(npy.input).toMatchObject({ format: 'npy', assumedPixelScale: true });
    expect(Object.keys(multi.models)).toEqual(['dcae', 'rbm']);
    for (const m of MODELS) {
      expect(npy.models[m]!.loss).toBe(fits.models[m]!.loss);
      expect(gz.models[m]!.loss).toBe(fits.models[m]!.loss);
    }
    expect(multi.models.dcae!.loss).toBe(fits.models.dcae!.loss);
    const scaled = minMaxScale(c.data);
    const png = encodePngGray(64, 64, Uint8Array.from(scaled, (v) => Math.round(255 * v)));
    const viaPng = await json<ScoreResult>(await score(png, '?score=mse'));
    expect(viaPng.input.format).toBe('png');
    expect(viaPng.models.dcae!.loss).toBeCloseTo(await graphScore('dcae', minMaxScale(readPng(png).data)), 7);
  });

  it('resamples a cutout at another pixel scale onto the model grid, conserving flux', async () => {
    const c = lenses[2]!;
    const big = new Float32Array(128 * 128); // each pixel split into 2x2 at half the scale, same flux
    for (let y = 0; y < 128; y++) for (let x = 0; x < 128; x++) big[y * 128 + x] = c.data[(y >> 1) * 64 + (x >> 1)]! / 4;
    const base = await json<ScoreResult>(await score(fitsOf(c), '?models=dcae'));
    const r = await json<ScoreResult>(await score(fitsOf({ width: 128, height: 128, data: big, pixelScale: 0.05 }), '?models=dcae'));
    expect(r.input.resampled).toEqual({ fromScale: 0.05, toScale: 0.1 });
    expect(Math.abs(r.models.dcae!.loss - base.models.dcae!.loss)).toBeLessThan(1e-6 * base.models.dcae!.loss + 1e-9);
  });

  it('refuses with 422 a cutout whose field is far smaller than the model\'s', async () => {
    const small = { width: 16, height: 16, data: new Float32Array(256).fill(1), pixelScale: 0.1 };
    const r = await json<{ error: { code: string; message: string } }>(await score(fitsOf(small)), 422);
    expect(r.error.code).toBe('bad_shape');
    expect(r.error.message).toMatch(/field/);
  });

  it('fills masked pixels and leaves them out of the loss; refuses a mostly masked cutout', async () => {
    const c = lenses[3]!;
    const holed = c.data.slice();
    for (let k = 0; k < 40; k++) holed[64 * 10 + k] = NaN;
    const r = await json<ScoreResult>(await score(fitsOf({ ...c, data: holed })));
    expect(r.input.masked).toBe(40);
    for (const m of MODELS) expect(Number.isFinite(r.models[m]!.loss)).toBe(true);
    const mostly = c.data.slice().fill(NaN, 0, 3000);
    const bad = await json<{ error: { code: string; message: string } }>(await score(fitsOf({ ...c, data: mostly })), 422);
    expect(bad.error.message).toMatch(/mask/i);
  });

  it('returns the residual and reconstruction as PNG and arrays, residual = reconstruction - input', async () => {
    const r = await json<ScoreResult>(await score(fitsOf(lenses[4]!), '?models=vae&score=mse&outputs=input,reconstruction,residual&encoding=both'));
    const o = r.models.vae!.outputs!;
    const input = o.input!.array!.data;
    const rec = o.reconstruction!.array!.data;
    const res = o.residual!.array!.data;
    expect(res).toHaveLength(4096);
    for (let k = 0; k < 4096; k += 97) expect(res[k]).toBeCloseTo(rec[k]! - input[k]!, 6);
    const mse = rec.reduce((s, v, k) => s + (v - input[k]!) ** 2, 0) / 4096;
    expect(r.models.vae!.loss).toBeCloseTo(mse, 6);
    const png = readPng(Uint8Array.from(atob(o.residual!.png!.split(',')[1]!), (ch) => ch.charCodeAt(0)));
    expect([png.width, png.height]).toEqual([64, 64]);
    expect(o.residual!.scale).toBeCloseTo(Math.max(...res.map(Math.abs)), 6);
  });

  it('applies thresholds by name, by FPR and by value, and the ensemble alpha', async () => {
    const body = fitsOf(lenses[5]!);
    const named = await json<ScoreResult>(await score(body, '?threshold=fpr-0.01'));
    const byFpr = await json<ScoreResult>(await score(body, '?fpr=0.01'));
    for (const m of MODELS) expect(byFpr.models[m]!.threshold.value).toBe(named.models[m]!.threshold.value);
    expect(named.ensemble.alpha).toBe(0.01);
    const loss = named.models.dcae!.loss;
    const above = await json<ScoreResult>(await score(body, `?models=dcae&threshold=${loss * 0.5}`));
    const below = await json<ScoreResult>(await score(body, `?models=dcae&threshold=${loss * 2}`));
    expect([above.models.dcae!.flagged, below.models.dcae!.flagged]).toEqual([true, false]);
    expect(above.models.dcae!.threshold).toEqual({ name: null, value: loss * 0.5, fpr: null });
    const bonf = await json<ScoreResult>(await score(body, `?models=${MODELS.join(',')}&combine=bonferroni&alpha=0.2`));
    expect(bonf.ensemble.pValue).toBe(Math.min(1, 4 * Math.min(...MODELS.map((m) => bonf.models[m]!.pValue))));
    expect(bonf.ensemble.alpha).toBe(0.2);
  });

  it.each([
    ['?models=nope', 404, 'not_found'],
    ['?threshold=0.01', 400, 'invalid_argument'],
    ['?threshold=fpr-0.5', 404, 'not_found'],
    ['?fpr=2', 400, 'invalid_argument'],
    ['?combine=fisher', 400, 'invalid_argument'],
    ['?outputs=everything', 400, 'invalid_argument'],
    ['?colour=red', 400, 'invalid_argument'],
  ])('refuses %s with %i', async (query, status, code) => {
    const r = await json<{ error: { code: string; message: string } }>(await score(fitsOf(lenses[0]!), query), status);
    expect(r.error.code).toBe(code);
    expect(r.error.message.length).toBeGreaterThan(10);
  });

  it('refuses what is not a cutout: 415 for unknown content, 422 for a broken file, 400 for a form without one file', async () => {
    expect((await json<{ error: { code: string } }>(await score('{"a":1}', '', { 'content-type': 'application/json' }), 415)).error.code).toBe('unsupported_format');
    expect((await json<{ error: { code: string } }>(await score(fitsOf(lenses[0]!).slice(0, 3000)), 422)).error.code).toBe('truncated');
    const empty = new FormData();
    empty.append('models', 'dcae');
    expect((await json<{ error: { code: string } }>(await score(empty), 400)).error.code).toBe('invalid_argument');
    const stack = writeNpy(new Float32Array(2 * 4096), [2, 64, 64]);
    expect((await json<{ error: { message: string } }>(await score(stack), 422)).error.message).toMatch(/batch/);
  });

  it('answers 413 beyond the body limit, before reading it all', async () => {
    const small = await shippedService({ limits: { maxBodyBytes: 10_000, maxBatchBodyBytes: 10_000, maxBatchItems: 3, maxSide: 4096, maxGunzipBytes: 1 << 20 } });
    const r = await json<{ error: { code: string } }>(await post(small.app, '/v1/score', fitsOf(lenses[0]!)), 413);
    expect(r.error.code).toBe('too_large');
    const many = await json<{ error: { code: string; message: string } }>(await post(small.app, '/v1/score/batch', writeNpy(new Float32Array(4 * 16 * 16), [4, 16, 16])), 413);
    expect(many.error.message).toMatch(/at most 3/);
    small.store.close();
  });
});

async function batchLines(r: Response): Promise<BatchLine[]> {
  const text = await r.text();
  expect(r.status, text).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/ndjson/);
  return text.trimEnd().split('\n').map((l) => JSON.parse(l) as BatchLine);
}

describe('POST /v1/score/batch', () => {
  it('streams one line per image of an NPY stack, in order, equal to single scoring', async () => {
    const n = 70; // more than one streaming step
    const lines = await batchLines(await post(svc.app, '/v1/score/batch?models=dcae,rbm', npyStack(lenses, n)));
    expect(lines.map((l) => l.index)).toEqual([...Array(n).keys()]);
    const single = await json<ScoreResult>(await score(fitsOf(lenses[1]!), '?models=dcae,rbm'));
    const line = lines[1 + lenses.length] as ScoreResult & { name: string };
    expect(line.name).toBe(`body[${1 + lenses.length}]`);
    expect(line.models.dcae!.loss).toBeCloseTo(single.models.dcae!.loss, 7);
    expect(line.models.rbm!.loss).toBeCloseTo(single.models.rbm!.loss, 7);
  });

  it('keeps going past a broken item of a multipart batch, with its error on its own line', async () => {
    const form = new FormData();
    form.append('a', blob(fitsOf(lenses[0]!)), 'a.fits');
    form.append('b', blob(new TextEncoder().encode('not a cutout')), 'b.txt');
    form.append('c', blob(writeNpy(lenses[1]!.data, [64, 64])), 'c.npy');
    const lines = await batchLines(await post(svc.app, '/v1/score/batch?models=aae', form));
    expect(lines.map((l) => l.name)).toEqual(['a.fits', 'b.txt', 'c.npy']);
    expect('error' in lines[1]! && lines[1].error.code).toBe('unsupported_format');
    expect('models' in lines[0]! && lines[0].models.aae!.loss).toBeGreaterThan(0);
    expect('models' in lines[2]! && lines[2].models.aae!.loss).toBeGreaterThan(0);
  });
});

describe('GET /v1/models', () => {
  it('lists the served models with calibration histograms that add up, and the sorted scores of one', async () => {
    const list = await json<{ models: { name: string; version: string; histogram: { counts: number[] }; calibration: { count: number } }[] }>(await svc.app.request('/v1/models'));
    expect(list.models.map((m) => m.name)).toEqual(Object.keys(SHIPPED_REGISTRY.models));
    expect(DEFAULT_SET_MODELS).toEqual(MODELS);
    for (const m of list.models) expect(m.histogram.counts.reduce((a, b) => a + b, 0)).toBe(m.calibration.count);
    const one = await json<{ scores: number[]; thresholds: { quantileRule: QuantileRule; items: { name: string; value: number }[] } }>(await svc.app.request('/v1/models/vae'));
    // What a client (the web page) computes from the served scores and rule is the calibration's own threshold.
    expect(quantileThreshold(one.scores, 0.05, one.thresholds.quantileRule)).toBe(one.thresholds.items.find((i) => i.name === 'fpr-0.05')!.value);
    expect(quantileThreshold(one.scores, 0.01, one.thresholds.quantileRule)).toBe(one.thresholds.items.find((i) => i.name === 'fpr-0.01')!.value);
    expect(one.scores).toHaveLength(list.models.find((m) => m.name === 'vae')!.calibration.count);
    expect(one.scores.every((s, i) => i === 0 || s >= one.scores[i - 1]!)).toBe(true);
    const t = one.thresholds.items.find((i) => i.name === 'fpr-0.05')!;
    expect(one.scores.filter((s) => s > t.value).length / one.scores.length).toBeLessThanOrEqual(0.05);
    expect((await json<{ error: { code: string } }>(await svc.app.request('/v1/models/nope'), 404)).error.code).toBe('not_found');
    expect((await json<{ error: { code: string } }>(await svc.app.request('/v1/models/vae?version=v9'), 404)).error.code).toBe('not_found');
  });
});
