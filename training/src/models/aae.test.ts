import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, ringImages } from '../../../test/helpers/ring-images.js';
import { selectBackend, type Tf } from '../backend/select.js';
import { aaeParts, AAE_DISCRIMINATOR_UNITS, buildAaeDiscriminator, buildAaeModel } from './aae.js';
import { buildDcae } from './dcae.js';
import { buildModel } from './registry.js';

type Tensor = ReturnType<Tf['zeros']>;

let tf: Tf;
beforeAll(async () => {
  tf = (await selectBackend({ force: 'wasm', log: () => undefined })).tf;
});

describe('buildAaeModel', () => {
  it('maps 64x64x1 to 64x64x1 through the DCAE encoder, a 182-unit code with BatchNorm and the DCAE decoder', () => {
    const m = buildModel('aae', tf, { size: 64, seed: 0 });
    expect(m.name).toBe('aae');
    expect(m.inputs[0]!.shape).toEqual([null, 64, 64, 1]);
    expect(m.outputs[0]!.shape).toEqual([null, 64, 64, 1]);
    expect(m.getLayer('aae_z').outputShape).toEqual([null, 182]);
    expect(m.getLayer('aae_bn').outputShape).toEqual([null, 182]);
    // The DCAE's network layer for layer (1,748,559 parameters).
    expect(m.countParams()).toBe(1_748_559);
    expect(aaeParts(m).latent).toBe(182);
    m.dispose();
  });

  it('scores an image independently of its batch (BatchNorm on moving statistics), as decode(encode(x))', () => {
    const m = buildAaeModel(tf, { size: 32, seed: 2 });
    const x = tf.tensor4d(ringImages(3, 32), [3, 32, 32, 1]);
    const all = (m.predict(x) as Tensor).dataSync();
    // Image 0 next to other images in a batch of the same size: bit-identical output.
    const others = tf.concat([tf.slice(x, [0, 0, 0, 0], [1, 32, 32, 1]), tf.reverse(tf.slice(x, [1, 0, 0, 0], [2, 32, 32, 1]), 1)]);
    const again = (m.predict(others) as Tensor).dataSync();
    expect(maxAbsDiff(again.subarray(0, 1024), all.subarray(0, 1024))).toBe(0);
    // Alone (another kernel path for a batch of one): equal within float rounding.
    const one = (m.predict(tf.slice(x, [1, 0, 0, 0], [1, 32, 32, 1])) as Tensor).dataSync();
    expect(maxAbsDiff(one, all.subarray(1024, 2048))).toBeLessThan(1e-4);
    const p = aaeParts(m);
    expect(maxAbsDiff(tf.tidy(() => p.decode(p.encode(x, false), false).dataSync()), all)).toBeLessThan(1e-6);
    // Training mode normalizes with the batch's statistics (last: it also moves the moving ones).
    expect(maxAbsDiff((m.apply(x, { training: true }) as Tensor).dataSync(), all)).toBeGreaterThan(1e-4);
    m.dispose();
    x.dispose();
  });

  it('has a seeded discriminator z -> 256 -> 256 -> logit, distinct from the network weights', () => {
    const d = buildAaeDiscriminator(tf, 16, 5);
    expect(d.outputs[0]!.shape).toEqual([null, 1]);
    expect(d.countParams()).toBe(16 * 256 + 256 + 256 * 256 + 256 + 256 + 1);
    expect(AAE_DISCRIMINATOR_UNITS).toBe(256);
    const again = buildAaeDiscriminator(tf, 16, 5);
    const other = buildAaeDiscriminator(tf, 16, 6);
    const w = (m: typeof d): Float32Array => m.getLayer('disc_dense1').getWeights()[0]!.dataSync() as Float32Array;
    expect(w(again)).toEqual(w(d));
    expect(w(other)).not.toEqual(w(d));
    for (const m of [d, again, other]) m.dispose();
    expect(() => buildAaeDiscriminator(tf, 0, 1)).toThrow(/latent/);
  });

  it('refuses models that are not AAEs', () => {
    const d = buildDcae(tf, { size: 16, seed: 0 });
    expect(() => aaeParts(d)).toThrow(/not a darklens AAE \(no layer aae_z\)/);
    d.dispose();
  });
});
