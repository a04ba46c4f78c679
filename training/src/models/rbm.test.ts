import { beforeAll, describe, expect, it } from 'vitest';
import { ringImages } from '../../../test/helpers/ring-images.js';
import { selectBackend, type Tf } from '../backend/select.js';
import { buildDcae } from './dcae.js';
import { buildRbmModel, rbmParts, RBM_INIT_STD } from './rbm.js';
import { buildModel } from './registry.js';

type Tensor = ReturnType<Tf['zeros']>;

let tf: Tf;
beforeAll(async () => {
  tf = (await selectBackend({ force: 'wasm', log: () => undefined })).tf;
});

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

describe('buildRbmModel', () => {
  it('has 4096 visible and 182 hidden units at 64x64, W^T tied in the visible layer', () => {
    const m = buildModel('rbm', tf, { size: 64, seed: 0 });
    expect(m.name).toBe('rbm');
    expect(m.outputs[0]!.shape).toEqual([null, 64, 64, 1]);
    const p = rbmParts(m);
    expect([p.pixels, p.hidden]).toEqual([4096, 182]);
    expect(p.w.shape).toEqual([4096, 182]);
    expect(p.wT.shape).toEqual([182, 4096]);
    expect(m.countParams()).toBe(2 * 4096 * 182 + 182 + 4096);
    const w = p.w.arraySync() as number[][];
    const wT = p.wT.arraySync() as number[][];
    for (const [i, j] of [[0, 0], [4095, 181], [1234, 77]] as const) expect(wT[j]![i]).toBe(w[i]![j]);
    // N(0, 0.01^2) initial weights, zero biases.
    const flat = p.w.dataSync();
    let s2 = 0;
    for (const v of flat) s2 += v * v;
    expect(Math.sqrt(s2 / flat.length)).toBeGreaterThan(RBM_INIT_STD * 0.9);
    expect(Math.sqrt(s2 / flat.length)).toBeLessThan(RBM_INIT_STD * 1.1);
    expect(Math.max(...p.c.dataSync().map(Math.abs))).toBe(0);
    m.dispose();
  });

  it('reconstructs by mean field: sigmoid(W sigmoid(W^T v + c) + b), deterministically', () => {
    const size = 16;
    const m = buildRbmModel(tf, { size, seed: 3, latent: 20 });
    const p = rbmParts(m);
    // Non-trivial biases, and W^T kept equal to W.
    p.c.assign(tf.randomNormal([20], 0, 0.5, 'float32', 1));
    p.b.assign(tf.randomNormal([256], 0, 0.5, 'float32', 2));
    p.w.assign(tf.randomNormal([256, 20], 0, 0.3, 'float32', 3));
    p.wT.assign(tf.transpose(p.w));
    const v = ringImages(2, size);
    const x = tf.tensor4d(v, [2, size, size, 1]);
    const got = (m.predict(x) as Tensor).dataSync();
    expect((m.predict(x) as Tensor).dataSync()).toEqual(got);
    const W = p.w.arraySync() as number[][];
    const c = p.c.arraySync() as number[];
    const b = p.b.arraySync() as number[];
    for (let n = 0; n < 2; n++) {
      const h = c.map((cj, j) => sigmoid(cj + v.subarray(n * 256, (n + 1) * 256).reduce((s, vi, i) => s + vi * W[i]![j]!, 0)));
      for (const i of [0, 17, 128, 255]) {
        const want = sigmoid(b[i]! + h.reduce((s, hj, j) => s + hj * W[i]![j]!, 0));
        expect(Math.abs(got[n * 256 + i]! - want)).toBeLessThan(1e-5);
      }
    }
    m.dispose();
    x.dispose();
  });

  it('refuses models that are not RBMs', () => {
    const d = buildDcae(tf, { size: 16, seed: 0 });
    expect(() => rbmParts(d)).toThrow(/not a darklens RBM \(no layer rbm_hidden\)/);
    d.dispose();
  });
});
