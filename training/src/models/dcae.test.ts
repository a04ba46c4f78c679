import { beforeAll, describe, expect, it } from 'vitest';
import { isDarklensError } from '@darklens/core';
import { selectBackend, type Tf } from '../backend/select.js';
import { buildDcae, dcaeShapes, defaultDcaeLatent } from './dcae.js';
import { buildModel, MODEL_NAMES } from './registry.js';

let tf: Tf;
beforeAll(async () => {
  tf = (await selectBackend({ force: 'wasm', log: () => undefined })).tf;
});

describe('buildDcae', () => {
  it('maps 64x64x1 to 64x64x1 through 22, 8 and a 182-unit latent', () => {
    const m = buildDcae(tf, { size: 64, seed: 0 });
    expect(m.inputs[0]!.shape).toEqual([null, 64, 64, 1]);
    expect(m.outputs[0]!.shape).toEqual([null, 64, 64, 1]);
    expect(dcaeShapes(64)).toEqual({ s0: 64, s1: 22, s2: 8 });
    expect(defaultDcaeLatent(64)).toBe(182);
    expect(m.getLayer('enc_conv1').outputShape).toEqual([null, 22, 22, 16]);
    expect(m.getLayer('enc_conv2').outputShape).toEqual([null, 8, 8, 32]);
    expect(m.getLayer('enc_dense').outputShape).toEqual([null, 182]);
    expect(m.getLayer('dec_crop2').outputShape).toEqual([null, 22, 22, 16]);
    expect(m.countParams()).toBe(1_748_559);
    m.dispose();
  });

  it('gives exactly size x size for other sizes', () => {
    for (const size of [16, 50, 150]) {
      const m = buildDcae(tf, { size, seed: 1, latent: 8 });
      expect(m.outputs[0]!.shape).toEqual([null, size, size, 1]);
      m.dispose();
    }
  });

  it('is seeded: same seed same weights, other seed other weights', () => {
    const w = (seed: number): Float32Array => {
      const m = buildDcae(tf, { size: 32, seed });
      const v = m.getLayer('enc_conv1').getWeights()[0]!.dataSync() as Float32Array;
      m.dispose();
      return v;
    };
    expect(w(5)).toEqual(w(5));
    expect(w(5)).not.toEqual(w(6));
  });

  it('reconstructs an image independently of the other images in its batch (BatchNorm at inference)', () => {
    const m = buildDcae(tf, { size: 32, seed: 3 });
    // Move the moving statistics away from their initial values, as training would.
    const bn = m.getLayer('latent_bn');
    const [gamma, beta, mean, variance] = bn.getWeights();
    bn.setWeights([gamma!, beta!, tf.fill(mean!.shape, 0.3), tf.fill(variance!.shape, 2)]);
    const x = tf.randomUniform([4, 32, 32, 1], 0, 1, 'float32', 11);
    const batch = (m.predict(x) as TfNamespaceTensor).arraySync() as number[][][][];
    for (let i = 0; i < 4; i++) {
      const one = tf.slice(x, [i, 0, 0, 0], [1, 32, 32, 1]);
      const alone = (m.predict(one) as TfNamespaceTensor).arraySync() as number[][][][];
      const a = alone[0]!.flat(2);
      const b = batch[i]!.flat(2);
      let maxDiff = 0;
      for (let k = 0; k < a.length; k++) maxDiff = Math.max(maxDiff, Math.abs(a[k]! - b[k]!));
      expect(maxDiff).toBeLessThan(1e-6);
    }
    m.dispose();
  });

  it('rejects bad sizes and seeds', () => {
    for (const o of [{ size: 8, seed: 0 }, { size: 64.5, seed: 0 }, { size: 64, seed: -1 }, { size: 64, seed: 0, latent: 0 }]) {
      let err: unknown;
      try {
        buildDcae(tf, o);
      } catch (e) {
        err = e;
      }
      expect(isDarklensError(err) && err.code === 'invalid_argument').toBe(true);
    }
  });
});

describe('model registry', () => {
  it('builds dcae and names the available models for an unknown one', () => {
    expect(MODEL_NAMES).toEqual(['dcae', 'vae', 'aae', 'rbm']);
    const m = buildModel('dcae', tf, { size: 16, seed: 0 });
    expect(m.name).toBe('dcae');
    m.dispose();
    expect(() => buildModel('gan', tf, { size: 16, seed: 0 })).toThrow(/unknown model "gan"; available: dcae, vae, aae, rbm/);
  });
});

type TfNamespaceTensor = ReturnType<Tf['zeros']>;
