import { describe, expect, it } from 'vitest';
import { SeededRng } from '../random.js';
import { estimateNoise, estimatedNoiseModel, MIN_VARIANCE, planeNoiseModel } from './noise.js';

const W = 64;
const H = 64;

/** A smooth "lens" (a bright core and a ring) with white noise of variance sky + gain * light. */
function synthetic(seed: number, sky: number, gain: number): { image: Float32Array; light: Float64Array } {
  const rng = new SeededRng(seed);
  const light = new Float64Array(W * H);
  const image = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const r = Math.hypot(x - 31.5, y - 31.5);
      const v = 1.0 * Math.exp(-(r * r) / (2 * 3 * 3)) + 0.4 * Math.exp(-((r - 12) ** 2) / (2 * 2 * 2));
      light[y * W + x] = v;
      image[y * W + x] = v + 0.02 + Math.sqrt(sky + gain * v) * rng.normal();
    }
  }
  return { image, light };
}

describe('estimateNoise', () => {
  it('recovers the sky variance, background and Poisson gain of white noise over smooth light', () => {
    const sky = 4e-5;
    const gain = 2e-3;
    const got = Array.from({ length: 9 }, (_, i) => estimateNoise(synthetic(i + 1, sky, gain).image, W, H));
    const median = (v: number[]): number => v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    expect(median(got.map((g) => g.variance / sky))).toBeGreaterThan(0.85);
    expect(median(got.map((g) => g.variance / sky))).toBeLessThan(1.2);
    expect(median(got.map((g) => g.gain / gain))).toBeGreaterThan(0.75);
    expect(median(got.map((g) => g.gain / gain))).toBeLessThan(1.3);
    for (const g of got) expect(Math.abs(g.background - 0.02)).toBeLessThan(0.003);
  });

  it('finds no gain where the noise does not grow with the light', () => {
    const e = estimateNoise(synthetic(3, 1e-4, 0).image, W, H);
    expect(e.gain).toBeLessThan(0.2 * 2e-3);
  });

  it('leaves masked pixels out, and floors a noiseless image', () => {
    const { image } = synthetic(5, 4e-5, 2e-3);
    const mask = new Uint8Array(W * H);
    const holed = Float32Array.from(image);
    for (let p = 0; p < 600; p++) {
      mask[p] = 1;
      holed[p] = 1e3; // wild values under the mask must not matter
    }
    const a = estimateNoise(image, W, H, mask);
    const b = estimateNoise(holed, W, H, mask);
    expect(b).toEqual(a);
    expect(estimateNoise(new Float32Array(W * H).fill(0.5), W, H).variance).toBe(MIN_VARIANCE);
  });
});

describe('noise models', () => {
  it('estimated: the sky variance everywhere, +Inf where masked', () => {
    const { image } = synthetic(7, 4e-5, 2e-3);
    const mask = new Uint8Array(W * H);
    mask[10] = 1;
    const m = estimatedNoiseModel(image, W, H, mask);
    expect(m.source).toBe('estimated');
    expect(m.variance[10]).toBe(Infinity);
    expect(m.variance[11]).toBe(Math.fround(estimateNoise(image, W, H, mask).variance));
    expect(m.gain).toBeGreaterThan(0);
  });

  it('from a plane: divided by the scaling span squared, floored, +Inf where masked or invalid', () => {
    const plane = Float32Array.from([4, 0, NaN, -1, 8]);
    const mask = Uint8Array.from([0, 0, 0, 0, 1]);
    const m = planeNoiseModel(plane, 2, mask);
    expect(Array.from(m.variance)).toEqual([1, MIN_VARIANCE, Infinity, Infinity, Infinity].map((v) => Math.fround(v)));
    expect(m).toMatchObject({ gain: 0, background: 0, source: 'variance-plane' });
  });
});
