import { beforeAll, describe, expect, it } from 'vitest';
import { isDarklensError } from '@darklens/core';
import { selectBackend, type Tf } from '../backend/select.js';
import { deserializeModel, serializeModel } from '../train/checkpoint.js';
import { buildDcae } from './dcae.js';
import { maxAbsDiff, ringImages } from '../../../test/helpers/ring-images.js';
import { VAE_BETA, vaeLossTerms, vaeTrainer } from '../train/objectives/index.js';
import { buildModel } from './registry.js';
import { buildVae, buildVaeModel, vaeParts } from './vae.js';

type Tensor = ReturnType<Tf['zeros']>;
type Tensor4D = ReturnType<Tf['tensor4d']>;

let tf: Tf;
beforeAll(async () => {
  tf = (await selectBackend({ force: 'wasm', log: () => undefined })).tf;
});

/** Smooth ring-like test images in [0, 1]. */
const rings = (n: number, size: number): Tensor4D => tf.tensor4d(ringImages(n, size), [n, size, size, 1]);

describe('buildVae', () => {
  it('maps 64x64x1 to 64x64x1 through the DCAE encoder, [mu | logVar] heads and the DCAE decoder', () => {
    const { model, latent } = buildVae(tf, { size: 64, seed: 0 });
    expect(latent).toBe(182);
    expect(model.name).toBe('vae');
    expect(model.inputs[0]!.shape).toEqual([null, 64, 64, 1]);
    expect(model.outputs).toHaveLength(1);
    expect(model.outputs[0]!.shape).toEqual([null, 64, 64, 1]);
    expect(model.getLayer('enc_conv2').outputShape).toEqual([null, 8, 8, 32]);
    expect(model.getLayer('vae_heads').outputShape).toEqual([null, 364]);
    expect(model.getLayer('vae_mu').outputShape).toEqual([null, 182]);
    expect(model.getLayer('dec_dense').outputShape).toEqual([null, 4096]);
    expect(model.getLayer('dec_crop2').outputShape).toEqual([null, 22, 22, 16]);
    expect(model.countParams()).toBe(2_493_485);
    model.dispose();
    for (const size of [16, 50]) {
      const m = buildVaeModel(tf, { size, seed: 1, latent: 8 });
      expect(m.outputs[0]!.shape).toEqual([null, size, size, 1]);
      m.dispose();
    }
    const viaRegistry = buildModel('vae', tf, { size: 16, seed: 0 });
    expect(viaRegistry.name).toBe('vae');
    viaRegistry.dispose();
  });

  it('infers deterministically from the mean, independently of the rest of the batch, as decode(mu)', () => {
    const parts = buildVae(tf, { size: 32, seed: 3 });
    const x = rings(4, 32);
    const a = (parts.model.predict(x) as Tensor).dataSync();
    const b = (parts.model.apply(x, { training: false }) as Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    const c = (parts.model.apply(x, { training: true }) as Tensor).dataSync();
    expect(Array.from(c)).toEqual(Array.from(a)); // no sampling and no BatchNorm in the inference network
    const px = 32 * 32;
    for (let i = 0; i < 4; i++) {
      const one = tf.slice(x, [i, 0, 0, 0], [1, 32, 32, 1]);
      const alone = (parts.model.predict(one) as Tensor).dataSync();
      expect(maxAbsDiff(alone, a.subarray(i * px, (i + 1) * px))).toBeLessThan(1e-6);
    }
    const viaParts = tf.tidy(() => parts.decode(parts.encode(x, false).mu, false).dataSync());
    expect(maxAbsDiff(viaParts, a)).toBeLessThan(1e-6);
    parts.model.dispose();
  });

  it('is seeded: same seed same weights, other seed other weights', () => {
    const w = (seed: number): Float32Array => {
      const m = buildVaeModel(tf, { size: 32, seed });
      const v = m.getLayer('vae_heads').getWeights()[0]!.dataSync() as Float32Array;
      m.dispose();
      return v;
    };
    expect(w(5)).toEqual(w(5));
    expect(w(5)).not.toEqual(w(6));
  });

  it('has a training loss MSE + beta * KL with KL > 0, seeded by (seed, epoch, batch)', () => {
    const parts = buildVae(tf, { size: 32, seed: 4 });
    const x = rings(4, 32);
    const terms = (step: { seed: number; epoch: number; batch: number }, beta?: number): { mse: number; kl: number; loss: number } =>
      tf.tidy(() => {
        const t = vaeLossTerms(tf, parts, x, step, beta);
        return { mse: t.mse.dataSync()[0]!, kl: t.kl.dataSync()[0]!, loss: t.loss.dataSync()[0]! };
      });
    const step = { seed: 1, epoch: 1, batch: 0 };
    const t = terms(step);
    expect(t.kl).toBeGreaterThan(0);
    expect(t.loss).not.toBe(t.mse);
    expect(Math.abs(t.loss - (t.mse + VAE_BETA * t.kl))).toBeLessThan(1e-6);
    // The sampled reconstruction is not the mean one.
    const meanMse = tf.tidy(() => tf.mean(tf.squaredDifference(x, parts.model.predict(x) as Tensor)).dataSync()[0]!);
    expect(t.mse).not.toBe(meanMse);
    expect(terms(step)).toEqual(t);
    expect(terms({ ...step, batch: 1 }).mse).not.toBe(t.mse);
    // The VAE trainer's step minimizes this loss (it reports the value before its update).
    const trainer = vaeTrainer(tf, parts.model, { optimizer: 'sgd', learningRate: 1e-9, weightDecay: 0, seed: 0 });
    expect(trainer.step(x, step)).toBe(t.loss);
    trainer.dispose();
    // beta (the objective's weight, default VAE_BETA) scales the KL term.
    expect(Math.abs(terms(step, 1).loss - (t.mse + t.kl))).toBeLessThan(1e-5);
    parts.model.dispose();
  });

  it('rebuilds the training parts by layer name from a saved inference model, with identical losses', async () => {
    const parts = buildVae(tf, { size: 32, seed: 8 });
    const loaded = await deserializeModel(tf, await serializeModel(tf, parts.model));
    const again = vaeParts(tf, loaded);
    expect(again.latent).toBe(parts.latent);
    const x = rings(2, 32);
    const step = { seed: 2, epoch: 3, batch: 1 };
    const loss = (p: typeof parts): number => tf.tidy(() => vaeLossTerms(tf, p, x, step).loss.dataSync()[0]!);
    expect(loss(again)).toBe(loss(parts));
    const r0 = (parts.model.predict(x) as Tensor).dataSync();
    const r1 = (loaded.predict(x) as Tensor).dataSync();
    expect(Array.from(r1)).toEqual(Array.from(r0));
    parts.model.dispose();
    loaded.dispose();
  });

  it('rejects bad options and models that are not VAEs', () => {
    for (const o of [{ size: 8, seed: 0 }, { size: 64, seed: -1 }, { size: 64, seed: 0, latent: 0 }]) {
      let err: unknown;
      try {
        const p = buildVae(tf, o);
        p.model.dispose();
      } catch (e) {
        err = e;
      }
      expect(isDarklensError(err) && err.code === 'invalid_argument').toBe(true);
    }
    const d = buildDcae(tf, { size: 16, seed: 0 });
    expect(() => vaeParts(tf, d)).toThrow(/not a darklens VAE/);
    d.dispose();
    // A negative KL weight is refused by the objective (the network has none).
    const v = buildVaeModel(tf, { size: 16, seed: 0, latent: 8 });
    let err: unknown;
    try {
      vaeTrainer(tf, v, { optimizer: 'sgd', learningRate: 1e-3, weightDecay: 0, seed: 0 }, -1);
    } catch (e) {
      err = e;
    }
    expect(isDarklensError(err) && err.code === 'invalid_argument').toBe(true);
    v.dispose();
  });

  it('computes its loss without leaking tensors', () => {
    const parts = buildVae(tf, { size: 16, seed: 0, latent: 8 });
    const x = rings(2, 16);
    const once = (batch: number): void => {
      tf.tidy(() => {
        vaeLossTerms(tf, parts, x, { seed: 0, epoch: 1, batch });
      });
    };
    const before = tf.memory().numTensors;
    for (let b = 0; b < 3; b++) once(b);
    expect(tf.memory().numTensors).toBe(before);
    parts.model.dispose();
    x.dispose();
  });
});
