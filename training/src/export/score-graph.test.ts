/**
 * The scoring head computes what core's definitions say (onnx/contract.ts SCORES): each score of the
 * exported graph, run through core's one scoring path in onnxruntime-node and onnxruntime-web, equals
 * a float64 re-implementation of its definition evaluated on the graph's own reconstruction, for
 * cutouts with the estimated noise model, with masked pixels and with a variance plane.
 */
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareCutout, readContract, runScores, SCORE_NAMES, type Cutout, type ModelSession, type PreparedCutout, type Tensor } from '@darklens/core';
import { selectBackend } from '../backend/select.js';
import { buildModel } from '../models/registry.js';
import { renderRange } from '../simulate/job.js';
import { resolveSpec } from '../simulate/presets.js';
import { exportOnnx } from './export.js';
import { HEAD_SCORES, negativeLaplacianOfGaussian, unitNormGaussian } from './score-graph.js';

const SIZE = 32;
const GRID = { width: SIZE, height: SIZE, pixelScale: 0.1 };
const PSF_SIGMA_PX = 1;
let bytes: Uint8Array;
let prepared: PreparedCutout[];

type Ort = typeof ortNode | typeof ortWeb;

/** An onnxruntime InferenceSession as core's ModelSession. */
async function session(ort: Ort, model: Uint8Array): Promise<ModelSession & { close(): Promise<void> }> {
  const s = await ort.InferenceSession.create(model, ort === ortWeb ? { executionProviders: ['wasm'] } : {});
  return {
    inputNames: s.inputNames,
    outputNames: s.outputNames,
    async run(feeds, outputs) {
      const f: Record<string, ortNode.Tensor> = {};
      for (const [k, t] of Object.entries(feeds)) f[k] = new ort.Tensor('float32', t.data, [...t.dims]);
      const out = await s.run(f, outputs as string[]);
      const r: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(out)) r[k] = { dims: t.dims, data: t.data as Float32Array };
      return r;
    },
    release: () => s.release(),
    close: () => s.release(),
  };
}

/** Zero-padded 'same' convolution of an h*w image with a square kernel (float64). */
function convolve(img: Float64Array, h: number, w: number, k: { size: number; data: Float32Array }): Float64Array {
  const r = (k.size - 1) / 2;
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let s = 0;
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) {
      const yy = y + dy, xx = x + dx;
      if (yy >= 0 && yy < h && xx >= 0 && xx < w) s += k.data[(dy + r) * k.size + dx + r]! * img[yy * w + xx]!;
    }
    out[y * w + x] = s;
  }
  return out;
}

/** Every score's definition, in float64, from a cutout and a reconstruction. */
function reference(c: PreparedCutout, recon: Float32Array): Record<string, number> {
  const n = c.pixels.length;
  const d = new Float64Array(n);
  const z = new Float64Array(n);
  const m = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const variance = c.noise.variance[p]! + c.noise.gain * Math.max(recon[p]! - c.noise.background, 0);
    m[p] = Number.isFinite(variance) ? 1 : 0;
    d[p] = m[p] ? c.pixels[p]! - recon[p]! : 0;
    z[p] = m[p] ? d[p]! / Math.sqrt(variance) : 0;
  }
  // sharp: the template from the reconstruction above the background, zero-padded like the graph.
  const light = Float64Array.from(recon, (v) => v - c.noise.background);
  const t = convolve(light, SIZE, SIZE, negativeLaplacianOfGaussian(2 * PSF_SIGMA_PX));
  let dtw = 0, ttw = 0;
  for (let p = 0; p < n; p++) {
    if (!m[p]) continue;
    const w = 1 / (c.noise.variance[p]! + c.noise.gain * Math.max(recon[p]! - c.noise.background, 0));
    dtw += d[p]! * t[p]! * w;
    ttw += t[p]! * t[p]! * w;
  }
  const meanSq = (v: Float64Array): number => {
    let s = 0, k = 0;
    for (let p = 0; p < n; p++) if (m[p]) { s += v[p]! ** 2; k++; }
    return s / k;
  };
  return {
    mse: meanSq(d),
    chi2: meanSq(z),
    psf: meanSq(convolve(d, SIZE, SIZE, unitNormGaussian(PSF_SIGMA_PX))),
    mf: meanSq(convolve(z, SIZE, SIZE, unitNormGaussian(PSF_SIGMA_PX))),
    mf2: meanSq(convolve(z, SIZE, SIZE, unitNormGaussian(2 * PSF_SIGMA_PX))),
    sharp: dtw / Math.sqrt(ttw),
  };
}

beforeAll(async () => {
  const { tf } = await selectBackend({ force: 'wasm', log: () => undefined });
  const net = buildModel('rbm', tf, { size: SIZE, seed: 3 });
  bytes = exportOnnx(net, { psfSigmaPx: PSF_SIGMA_PX, residual: true });
  net.dispose();
  const spec = resolveSpec('model-a', { grid: SIZE });
  const { raw } = renderRange({ spec, klass: 'vortex', seed: 4, count: 4, keepRaw: true }, 0, 4);
  const cutouts: Cutout[] = Array.from({ length: 4 }, (_, i) => ({ width: SIZE, height: SIZE, data: raw!.slice(i * SIZE * SIZE, (i + 1) * SIZE * SIZE), masked: 0, pixelScale: 0.1, format: 'fits', meta: {} }));
  // A masked block, and a variance plane (Poisson-like: sky + the pixel's own light).
  for (let y = 3; y < 9; y++) for (let x = 20; x < 27; x++) cutouts[1]!.data[y * SIZE + x] = NaN;
  cutouts[2]!.variance = Float32Array.from(cutouts[2]!.data, (v) => 0.002 + 0.01 * Math.max(v, 0));
  prepared = cutouts.map((c) => prepareCutout(c, GRID));
});

describe('the scoring head of an exported graph', () => {
  it('declares the contract: noise inputs, every score, residual', async () => {
    const s = await session(ortNode, bytes);
    expect(readContract('rbm', s.inputNames, s.outputNames)).toEqual({ scores: [...HEAD_SCORES], noiseAware: true, residual: true });
    expect([...HEAD_SCORES].sort()).toEqual([...SCORE_NAMES].sort());
    await s.close();
  });

  it.each([['onnxruntime-node', ortNode], ['onnxruntime-web', ortWeb]] as const)('computes every score as defined, in %s', async (_label, ort) => {
    if (ort === ortWeb) ortWeb.env.wasm.numThreads = 1;
    const s = await session(ort, bytes);
    const contract = readContract('rbm', s.inputNames, s.outputNames);
    const got = await runScores(s, contract, GRID, prepared, { scores: [...HEAD_SCORES], reconstructions: true, batch: 3 });
    expect(prepared[1]!.masked).toBeGreaterThan(0);
    expect(prepared[2]!.noise.source).toBe('variance-plane');
    prepared.forEach((c, i) => {
      const ref = reference(c, got.reconstructions![i]!);
      for (const name of HEAD_SCORES) {
        const v = got.scores.get(name)![i]!;
        if (name !== 'sharp') expect(v, `${name} of cutout ${i}`).toBeGreaterThan(0);
        expect(Math.abs(v - ref[name]!) / Math.max(Math.abs(ref[name]!), 1e-3), `${name} of cutout ${i}`).toBeLessThan(2e-6);
      }
    });
    await s.close();
  });

  it('leaves masked pixels out (counting them would change the MSE by far more than the tolerance)', async () => {
    const s = await session(ortNode, bytes);
    const c = prepared[1]!;
    const got = await runScores(s, readContract('rbm', s.inputNames, s.outputNames), GRID, [c], { scores: ['mse'], reconstructions: true });
    const recon = got.reconstructions![0]!;
    let all = 0;
    for (let p = 0; p < recon.length; p++) all += (c.pixels[p]! - recon[p]!) ** 2;
    all /= recon.length;
    const masked = got.scores.get('mse')![0]!;
    expect(Math.abs(all - masked) / masked).toBeGreaterThan(1e-3);
    expect(Math.abs(reference(c, recon).mse! - masked) / masked).toBeLessThan(2e-6);
    await s.close();
  });
});

