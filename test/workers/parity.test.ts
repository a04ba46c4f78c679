/**
 * The same inputs give the same scores on the Worker (onnxruntime-web's wasm in workerd, models from
 * R2) as on the Node server's app (onnxruntime-node, models from the folder): every model's loss within
 * 1e-5 relative, and the read-outs that follow from it, for every input kind, batches and OIP infer.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minMaxScale, writeNpy, type Cutout } from '@darklens/core';
import type { BatchLine, ScoreResult } from '@darklens/functions';
import { fitsOf, post, shippedService, simulatedLenses, type TestService } from '../helpers/service.js';
import { startWorkerd, type WorkerdRuntime } from '../helpers/workerd.js';

const RELATIVE = 1e-5;
let node: TestService;
let worker: WorkerdRuntime;
let lenses: Cutout[];

beforeAll(async () => {
  [node, worker] = await Promise.all([shippedService(), startWorkerd()]);
  lenses = [...simulatedLenses('no_sub', 2, 11), ...simulatedLenses('spherical', 2, 11), ...simulatedLenses('vortex', 2, 11)];
});
afterAll(async () => {
  node.store.close();
  await worker.close();
});

async function both(path: string, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<[string, string]> {
  const [a, b] = await Promise.all([
    post(node.app, path, body, headers),
    worker.fetch(new Request(`http://worker${path}`, { method: 'POST', body: body as BodyInit, headers })),
  ]);
  const [ta, tb] = await Promise.all([a.text(), b.text()]);
  expect(a.status, ta).toBe(200);
  expect(b.status, tb).toBe(200);
  return [ta, tb];
}

function expectRelClose(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(RELATIVE * Math.abs(expected));
}

/** Worker result `w` against Node's `n`: losses within 1e-5, p-values within one calibration rank. */
function expectSameScores(w: ScoreResult, n: ScoreResult, what: string): void {
  expect(Object.keys(w.models)).toEqual(Object.keys(n.models));
  expect(w.input).toEqual(n.input);
  for (const [m, ns] of Object.entries(n.models)) {
    const ws = w.models[m]!;
    expectRelClose(ws.loss, ns.loss, `${what} ${m} loss`);
    expect(ws.threshold).toEqual(ns.threshold);
    expect(Math.abs(ws.pValue - ns.pValue), `${what} ${m} p-value`).toBeLessThanOrEqual(1 / 2501 + 1e-12);
    expect(ws.flagged === ns.flagged || Math.abs(ns.loss - ns.threshold.value) <= RELATIVE * ns.threshold.value, `${what} ${m} verdict`).toBe(true);
  }
  expect(Math.abs(w.ensemble.pValue - n.ensemble.pValue), `${what} ensemble`).toBeLessThanOrEqual(1e-3);
}

describe('Worker and Node server score alike', () => {
  it('single cutouts as FITS, FITS.gz and NPY', async () => {
    for (const [i, c] of lenses.entries()) {
      for (const [kind, body] of [['fits', fitsOf(c)], ['fits.gz', gzipSync(fitsOf(c))], ['npy', writeNpy(c.data, [64, 64])]] as const) {
        const [n, w] = await both('/v1/score', body);
        expectSameScores(JSON.parse(w) as ScoreResult, JSON.parse(n) as ScoreResult, `lens ${i} ${kind}`);
      }
    }
  });

  it('cutouts that are resampled (another pixel scale) or have masked pixels', async () => {
    const c = lenses[4]!;
    const holed = c.data.slice();
    for (let k = 0; k < 200; k++) holed[64 * 30 + k] = NaN;
    for (const [what, body] of [
      ['resampled', fitsOf({ ...c, pixelScale: 0.08 })],
      ['masked', fitsOf({ ...c, data: holed })],
    ] as const) {
      const [n, w] = await both('/v1/score?outputs=residual&encoding=array', body);
      const ws = JSON.parse(w) as ScoreResult;
      const ns = JSON.parse(n) as ScoreResult;
      expectSameScores(ws, ns, what);
      const wr = ws.models.vae!.outputs!.residual!.array!.data;
      const nr = ns.models.vae!.outputs!.residual!.array!.data;
      expect(Math.max(...wr.map((v, k) => Math.abs(v - nr[k]!))), `${what} residual`).toBeLessThan(1e-5);
    }
  });

  it('a batch, line by line', async () => {
    const data = new Float32Array(lenses.length * 4096);
    lenses.forEach((c, i) => data.set(c.data, i * 4096));
    const [n, w] = await both('/v1/score/batch', writeNpy(data, [lenses.length, 64, 64]));
    const lines = (t: string): (BatchLine & ScoreResult)[] => t.trimEnd().split('\n').map((l) => JSON.parse(l) as BatchLine & ScoreResult);
    const [nl, wl] = [lines(n), lines(w)];
    expect(wl).toHaveLength(lenses.length);
    wl.forEach((l, i) => expectSameScores(l, nl[i]!, `batch line ${i}`));
  });

  it('Open Inference Protocol infer on the raw graph: score and reconstruction', async () => {
    const pixels = Array.from(minMaxScale(lenses[5]!.data));
    for (const model of ['dcae', 'vae', 'aae', 'rbm']) {
      const request = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1, 64, 64], datatype: 'FP32', data: pixels }] });
      const [n, w] = await both(`/v2/models/${model}/infer`, request, { 'content-type': 'application/json' });
      type Out = { outputs: { name: string; data: number[] }[] };
      const out = (t: string, name: string): number[] => (JSON.parse(t) as Out).outputs.find((o) => o.name === name)!.data;
      expectRelClose(out(w, 'score')[0]!, out(n, 'score')[0]!, `${model} infer score`);
      const [wr, nr] = [out(w, 'reconstruction'), out(n, 'reconstruction')];
      expect(Math.max(...wr.map((v, k) => Math.abs(v - nr[k]!))), `${model} reconstruction`).toBeLessThan(1e-5);
    }
  });
});
