/** The per-model training steps: weight decay, learning-rate changes, CD-1 and the AAE's two steps. */
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, ringImages } from '../../../../test/helpers/ring-images.js';
import { selectBackend, type Tf } from '../../backend/select.js';
import { buildAaeModel } from '../../models/aae.js';
import { buildRbmModel, rbmParts } from '../../models/rbm.js';
import { AAE_DISCRIMINATOR, aaeTrainer, descend, rbmSampleSeed, rbmTrainer, setLearningRate, type TrainerConfig } from './index.js';

let tf: Tf;
beforeAll(async () => {
  tf = (await selectBackend({ force: 'wasm', log: () => undefined })).tf;
});

const sgd = (lr: number, weightDecay = 0): TrainerConfig => ({ optimizer: 'sgd', learningRate: lr, weightDecay, seed: 1 });
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

describe('descend and setLearningRate', () => {
  it('adds weightDecay * w to the gradient, and the new rate applies to the next step (sgd and adam)', () => {
    const v = tf.variable(tf.tensor1d([1, -2, 4]));
    const opt = tf.train.sgd(0.5);
    // loss = sum(3 v): gradient 3; with decay 0.1: 3 + 0.1 v; step -0.5 * that.
    const loss = descend(tf, opt, [v], 0.1, () => tf.sum(tf.mul(v, 3)));
    expect(loss).toBeCloseTo(9, 5);
    expect(Array.from(v.dataSync())).toEqual([1, -2, 4].map((w) => Math.fround(w - 0.5 * (3 + 0.1 * w))).map((w) => expect.closeTo(w, 6) as number));
    const before = Array.from(v.dataSync());
    setLearningRate(opt, 0);
    descend(tf, opt, [v], 0, () => tf.sum(tf.mul(v, 3)));
    expect(Array.from(v.dataSync())).toEqual(before);
    const adam = tf.train.adam(1);
    setLearningRate(adam, 0);
    descend(tf, adam, [v], 0, () => tf.sum(tf.mul(v, 3)));
    expect(Array.from(v.dataSync())).toEqual(before);
    setLearningRate(adam, 0.25);
    descend(tf, adam, [v], 0, () => tf.sum(tf.mul(v, 3)));
    // Adam's first bias-corrected steps move each weight by about the learning rate.
    expect(maxAbsDiff(v.dataSync(), before.map((w) => w - 0.25))).toBeLessThan(0.02);
    for (const o of [opt, adam]) o.dispose();
    v.dispose();
  });
});

describe('rbmTrainer (CD-1)', () => {
  it('updates W, c and b by the contrastive-divergence estimate and keeps W^T tied', () => {
    const size = 16;
    const m = buildRbmModel(tf, { size, seed: 2, latent: 16 });
    // 256 visible, 16 hidden; W large enough for varied hidden probabilities.
    const p = rbmParts(m);
    p.w.assign(tf.randomNormal([256, 16], 0, 0.3, 'float32', 9));
    p.wT.assign(tf.transpose(p.w));
    const W0 = p.w.arraySync() as number[][];
    const c0 = Array.from(p.c.dataSync());
    const b0 = Array.from(p.b.dataSync());
    const v = ringImages(2, size);
    const x = tf.tensor4d(v, [2, size, size, 1]);
    const s = { seed: 4, epoch: 1, batch: 3 };
    const u = tf.randomUniform([2, 16], 0, 1, 'float32', rbmSampleSeed(s, 0)).arraySync() as number[][];
    const lr = 0.1;
    const t = rbmTrainer(tf, m, sgd(lr));
    const loss = t.step(x, s);

    // The same step in float64 JavaScript.
    const H = 16;
    const V = 256;
    const h0: number[][] = [];
    const v1: number[][] = [];
    const h1: number[][] = [];
    for (let n = 0; n < 2; n++) {
      const vn = Array.from(v.subarray(n * V, (n + 1) * V));
      h0.push(c0.map((c, j) => sigmoid(c + vn.reduce((a, vi, i) => a + vi * W0[i]![j]!, 0))));
      const hs = h0[n]!.map((pj, j) => (u[n]![j]! < pj ? 1 : 0));
      v1.push(b0.map((b, i) => sigmoid(b + hs.reduce((a: number, hj, j) => a + hj * W0[i]![j]!, 0))));
      h1.push(c0.map((c, j) => sigmoid(c + v1[n]!.reduce((a, vi, i) => a + vi * W0[i]![j]!, 0))));
    }
    const W1 = p.w.arraySync() as number[][];
    let worst = 0;
    for (let i = 0; i < V; i++) {
      for (let j = 0; j < H; j++) {
        let d = 0;
        for (let n = 0; n < 2; n++) d += v[n * V + i]! * h0[n]![j]! - v1[n]![i]! * h1[n]![j]!;
        worst = Math.max(worst, Math.abs(W1[i]![j]! - (W0[i]![j]! + (lr * d) / 2)));
      }
    }
    expect(worst).toBeLessThan(1e-5);
    const c1 = Array.from(p.c.dataSync());
    const b1 = Array.from(p.b.dataSync());
    for (let j = 0; j < H; j++) expect(c1[j]!).toBeCloseTo(c0[j]! + (lr * (h0[0]![j]! - h1[0]![j]! + h0[1]![j]! - h1[1]![j]!)) / 2, 5);
    for (const i of [0, 27, 100, 255]) expect(b1[i]!).toBeCloseTo(b0[i]! + (lr * (v[i]! - v1[0]![i]! + v[V + i]! - v1[1]![i]!)) / 2, 5);
    let mse = 0;
    for (let n = 0; n < 2; n++) for (let i = 0; i < V; i++) mse += (v[n * V + i]! - v1[n]![i]!) ** 2;
    expect(loss).toBeCloseTo(mse / (2 * V), 5);
    // Tied: the visible layer's kernel is the new W^T.
    expect(maxAbsDiff(p.wT.dataSync(), tf.transpose(p.w).dataSync())).toBe(0);
    t.dispose();
    m.dispose();
    x.dispose();
  });

  it('lowers the mean-field reconstruction error over a few hundred steps', () => {
    const m = buildRbmModel(tf, { size: 16, seed: 1, latent: 16 });
    const x = tf.tensor4d(ringImages(8, 16), [8, 16, 16, 1]);
    const mse = (): number => tf.tidy(() => tf.mean(tf.squaredDifference(x, m.predict(x) as ReturnType<Tf['zeros']>)).dataSync()[0]!);
    const start = mse();
    const t = rbmTrainer(tf, m, { optimizer: 'adam', learningRate: 1e-2, weightDecay: 0, seed: 1 });
    for (let k = 0; k < 300; k++) t.step(x, { seed: 1, epoch: 1, batch: k });
    expect(mse()).toBeLessThan(start / 4);
    t.dispose();
    m.dispose();
    x.dispose();
  });
});

describe('aaeTrainer', () => {
  it('trains the discriminator to tell prior draws from codes, and the autoencoder to reconstruct', () => {
    const m = buildAaeModel(tf, { size: 16, seed: 3, latent: 8 });
    const x = tf.tensor4d(ringImages(8, 16), [8, 16, 16, 1]);
    const t = aaeTrainer(tf, m, { optimizer: 'adam', learningRate: 2e-3, weightDecay: 1e-5, seed: 3 });
    expect(Object.keys(t.optimizers).sort()).toEqual([AAE_DISCRIMINATOR, 'main'].sort());
    const disc = t.extras[AAE_DISCRIMINATOR]!;
    const d0 = disc.getLayer('disc_logit').getWeights()[0]!.dataSync().slice();
    const losses: number[] = [];
    for (let k = 0; k < 60; k++) losses.push(t.step(x, { seed: 3, epoch: 1, batch: k }));
    expect(losses[59]!).toBeLessThan(losses[0]! / 2);
    expect(maxAbsDiff(disc.getLayer('disc_logit').getWeights()[0]!.dataSync(), d0)).toBeGreaterThan(0);
    t.dispose();
    m.dispose();
    x.dispose();
  });

  it('is reproducible from its seeds, and refuses a discriminator of the wrong latent size', () => {
    const run = (): number[] => {
      const m = buildAaeModel(tf, { size: 16, seed: 5, latent: 8 });
      const x = tf.tensor4d(ringImages(4, 16), [4, 16, 16, 1]);
      const t = aaeTrainer(tf, m, { optimizer: 'adam', learningRate: 2e-3, weightDecay: 0, seed: 5 });
      const out = [0, 1, 2].map((k) => t.step(x, { seed: 5, epoch: 2, batch: k }));
      t.dispose();
      m.dispose();
      x.dispose();
      return out;
    };
    expect(run()).toEqual(run());
    const m = buildAaeModel(tf, { size: 16, seed: 5, latent: 8 });
    const wrong = buildAaeModel(tf, { size: 16, seed: 5, latent: 9 });
    const t9 = aaeTrainer(tf, wrong, sgd(0.1));
    expect(() => aaeTrainer(tf, m, sgd(0.1), t9.extras[AAE_DISCRIMINATOR])).toThrow(/discriminator takes 9 latent units, the model has 8/);
    t9.optimizers.main!.dispose();
    m.dispose();
    wrong.dispose();
  });
});
