import { describe, expect, it } from 'vitest';
import type { Cutout } from '../cutout.js';
import { expectError, expectInvalid } from '../../../test/helpers/cutout-errors.js';
import { prepareCutout } from './prepare.js';
import { minMaxScale } from './scale.js';
import { resampleToGrid } from './resample.js';

function cutout(width: number, height: number, data: Float32Array, pixelScale?: number): Cutout {
  const masked = data.reduce((n, v) => n + (Number.isNaN(v) ? 1 : 0), 0);
  const c: Cutout = { width, height, data, masked, format: 'fits', meta: {} };
  if (pixelScale !== undefined) c.pixelScale = pixelScale;
  return c;
}

/** Integer-valued test image (sums and crops of it are exact in float32). */
function ramp(width: number, height: number): Float32Array {
  return Float32Array.from({ length: width * height }, (_, p) => ((p * 37) % 101) - 50);
}

const MODEL = { width: 8, height: 8, pixelScale: 0.1 };

function bitExact(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

describe('prepareCutout on the model grid', () => {
  it('only scales a cutout already on the grid, without touching the cutout', () => {
    const data = ramp(8, 8);
    const before = data.slice();
    const p = prepareCutout(cutout(8, 8, data, 0.1), MODEL);
    expect(bitExact(p.pixels, minMaxScale(before))).toBe(true);
    expect(Math.min(...p.pixels)).toBe(0);
    expect(Math.max(...p.pixels)).toBe(1);
    expect(p).toMatchObject({ masked: 0, assumedPixelScale: false });
    expect(p.mask).toBeUndefined();
    expect(p.resampled).toBeUndefined();
    expect(bitExact(data, before)).toBe(true);
    expect(p.pixels).not.toBe(data);
  });

  it('assumes the model pixel scale when the cutout has none', () => {
    const data = ramp(8, 8);
    const p = prepareCutout(cutout(8, 8, data), MODEL);
    expect(p.assumedPixelScale).toBe(true);
    expect(p.resampled).toBeUndefined();
    expect(bitExact(p.pixels, minMaxScale(data))).toBe(true);
  });

  it('fills NaN and ±Inf pixels after scaling and reports them in the mask', () => {
    const data = Float32Array.from({ length: 64 }, (_, p) => p); // 0..63
    data[9] = NaN; // (1,1): neighbours 0,1,2,8,10,16,17,18
    data[54] = Infinity; // (6,6): neighbours 45,46,47,53,55,61,62,63
    data[63] = -Infinity; // corner: neighbours 54 (masked), 55, 62
    const p = prepareCutout(cutout(8, 8, data, 0.1), MODEL);
    expect(p.masked).toBe(3);
    expect([...(p.mask ?? [])].flatMap((m, i) => (m ? [i] : []))).toEqual([9, 54, 63]);
    // The finite range is 0..62: unmasked pixels scale to v/62, masked ones take the mean of their
    // scaled finite neighbours (54 and 63 are both filled in pass 1, so neither sees the other).
    expect(p.pixels[1]).toBeCloseTo(1 / 62, 7);
    expect(p.pixels[62]).toBe(1);
    const mean = (...q: number[]) => Math.fround(q.reduce((a, i) => a + p.pixels[i]!, 0) / q.length);
    expect(p.pixels[9]).toBe(mean(0, 1, 2, 8, 10, 16, 17, 18));
    expect(p.pixels[9]).toBeCloseTo(72 / 8 / 62, 6);
    expect(p.pixels[54]).toBe(mean(45, 46, 47, 53, 55, 61, 62));
    expect(p.pixels[63]).toBe(mean(55, 62));
    expect(p.pixels.every(Number.isFinite)).toBe(true);
  });

  it('maps a constant image to zeros', () => {
    const p = prepareCutout(cutout(8, 8, new Float32Array(64).fill(3.5), 0.1), MODEL);
    expect(p.pixels.every((v) => v === 0)).toBe(true);
  });
});

describe('prepareCutout onto another grid', () => {
  it('centre-crops a larger cutout at the same scale exactly', () => {
    const data = ramp(12, 10);
    const p = prepareCutout(cutout(12, 10, data, 0.1), MODEL);
    const centre = Float32Array.from({ length: 64 }, (_, q) => data[(1 + Math.floor(q / 8)) * 12 + 2 + (q % 8)] as number);
    expect(bitExact(p.pixels, minMaxScale(centre))).toBe(true);
    expect(p.resampled).toEqual({ fromScale: 0.1, toScale: 0.1, fromWidth: 12, fromHeight: 10 });
    expect(p.masked).toBe(0);
  });

  it('pads a smaller cutout, filling the border as masked pixels', () => {
    const data = ramp(8, 8);
    const p = prepareCutout(cutout(8, 8, data, 0.1), { width: 10, height: 10, pixelScale: 0.1 });
    expect(p.masked).toBe(36);
    const mask = p.mask ?? new Uint8Array(0);
    for (let q = 0; q < 100; q++) {
      const x = q % 10;
      const y = Math.floor(q / 10);
      expect(mask[q], `pixel ${x},${y}`).toBe(x === 0 || x === 9 || y === 0 || y === 9 ? 1 : 0);
    }
    const scaled = minMaxScale(data);
    for (let q = 0; q < 64; q++) expect(p.pixels[(1 + Math.floor(q / 8)) * 10 + 1 + (q % 8)]).toBe(scaled[q]);
    // Corner (0,0) has one known neighbour, (1,1) = the cutout's first pixel.
    expect(p.pixels[0]).toBe(scaled[0]);
    expect(p.pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('resamples a finer cutout by summing 2×2 blocks before scaling', () => {
    const data = ramp(16, 16);
    const p = prepareCutout(cutout(16, 16, data, 0.05), MODEL);
    const sums = new Float32Array(64);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) sums[(y >> 1) * 8 + (x >> 1)]! += data[y * 16 + x]!;
    expect(bitExact(p.pixels, minMaxScale(sums))).toBe(true);
    expect(p.resampled).toEqual({ fromScale: 0.05, toScale: 0.1, fromWidth: 16, fromHeight: 16 });
    expect(p.assumedPixelScale).toBe(false);
  });

  it('counts masked pixels on the model grid after resampling', () => {
    const data = ramp(16, 16);
    // A fully masked 2×2 block becomes one masked output pixel; a single NaN is absorbed.
    for (const q of [2 * 16 + 4, 2 * 16 + 5, 3 * 16 + 4, 3 * 16 + 5]) data[q] = NaN;
    data[10 * 16 + 10] = NaN;
    const p = prepareCutout(cutout(16, 16, data, 0.05), MODEL);
    expect(p.masked).toBe(1);
    expect([...(p.mask ?? [])].indexOf(1)).toBe(1 * 8 + 2);
    expect(p.pixels.every(Number.isFinite)).toBe(true);
  });

  it('refuses a field far smaller than the model field, stating both', () => {
    expectError(
      () => prepareCutout(cutout(8, 8, ramp(8, 8), 0.1), { width: 64, height: 64, pixelScale: 0.1 }),
      'bad_shape',
      /0\.8×0\.8 arcsec \(8×8 px at 0\.1 arcsec\/px\)/,
      /6\.4×6\.4 arcsec \(64×64 px at 0\.1 arcsec\/px\)/,
      /at least 50% of the model's pixels/,
    );
    // 12×12 at 0.05" is 0.6" across, far under 64×64 at 0.045" = 2.88".
    expectError(() => prepareCutout(cutout(12, 12, ramp(12, 12), 0.05), { width: 64, height: 64, pixelScale: 0.045 }), 'bad_shape', /0\.6×0\.6 arcsec/);
  });

  it('accepts a field just over half the model grid, whose border then counts as masked', () => {
    // 46×46 onto 64×64 at the same scale: 2116 of 4096 pixels covered (51.7%).
    const p = prepareCutout(cutout(46, 46, ramp(46, 46), 0.1), { width: 64, height: 64, pixelScale: 0.1 });
    expect(p.masked).toBe(4096 - 46 * 46);
    expect(p.pixels.every(Number.isFinite)).toBe(true);
  });
});

describe('prepareCutout refusals', () => {
  it('refuses a cutout under 8×8 pixels', () => {
    expectError(() => prepareCutout(cutout(7, 8, ramp(7, 8), 0.1), MODEL), 'bad_shape', /7×8 pixels/, /at least 8×8/);
    expectError(() => prepareCutout(cutout(9, 4, ramp(9, 4)), MODEL), 'bad_shape', /9×4/);
  });

  it('refuses more than half the pixels masked', () => {
    const data = ramp(8, 8);
    data.fill(NaN, 0, 32);
    expect(prepareCutout(cutout(8, 8, data, 0.1), MODEL).masked).toBe(32);
    data[32] = Infinity;
    expectError(() => prepareCutout(cutout(8, 8, data, 0.1), MODEL), 'bad_shape', /33 of 64 pixels/);
  });

  it('refuses too many masked pixels rather than a small field when the field is large enough', () => {
    const data = ramp(16, 16);
    data.fill(NaN, 0, 16 * 12);
    expectError(() => prepareCutout(cutout(16, 16, data, 0.05), MODEL), 'bad_shape', /masked/);
  });

  it('validates the model grid and the cutout', () => {
    expectInvalid(() => prepareCutout(cutout(8, 8, ramp(8, 8)), { width: 0, height: 8, pixelScale: 0.1 }), /model input size/);
    expectInvalid(() => prepareCutout(cutout(8, 8, ramp(8, 8)), { width: 8, height: 8, pixelScale: NaN }), /model pixelScale/);
    expectInvalid(() => prepareCutout(cutout(8, 8, ramp(8, 8), -1), MODEL), /cutout pixelScale/);
    expectInvalid(() => prepareCutout({ ...cutout(8, 8, ramp(8, 8)), width: 9 }, MODEL), /width\*height = 72/);
  });

  it('never returns NaN, whatever is masked', () => {
    let s = 7;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 20; trial++) {
      // Fields at least the model's (16 px × 0.06"), a fifth of the pixels masked at random.
      const w = 16 + Math.floor(rand() * 20);
      const h = 16 + Math.floor(rand() * 20);
      const data = Float32Array.from({ length: w * h }, () => (rand() < 0.2 ? NaN : rand() * 10));
      const scale = 0.06 + rand() * 0.1;
      const p = prepareCutout(cutout(w, h, data, scale), { width: 16, height: 16, pixelScale: 0.06 });
      expect(p.pixels.every((v) => v >= 0 && v <= 1), `trial ${trial}`).toBe(true);
    }
  });
});

describe('prepareCutout noise model', () => {
  it('carries a variance plane through the min-max scaling (divided by the range squared)', () => {
    const c = cutout(8, 8, ramp(8, 8), 0.1);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of c.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    c.variance = new Float32Array(64).fill(4);
    c.variance[5] = NaN;
    const p = prepareCutout(c, MODEL);
    expect(p.noise.source).toBe('variance-plane');
    expect(p.noise.gain).toBe(0);
    expect(p.noise.variance[0]).toBeCloseTo(4 / (hi - lo) ** 2, 9);
    expect(p.noise.variance[5]).toBe(Infinity);
  });

  it('carries it through resampling: summing 2x2 pixels sums their variances', () => {
    const c = cutout(16, 16, ramp(16, 16), 0.05);
    c.variance = new Float32Array(256).fill(1);
    const p = prepareCutout(c, MODEL);
    expect(p.resampled).toBeDefined();
    const grid = resampleToGrid(c.data, 16, 16, 0.05, 0.1, 8, 8).data;
    const span = Math.max(...grid) - Math.min(...grid);
    for (const k of [0, 27, 63]) expect(p.noise.variance[k]).toBeCloseTo(4 / span ** 2, 9);
  });

  it('estimates it from the cutout when there is no plane, masked pixels at +Inf', () => {
    const data = ramp(8, 8);
    data[9] = NaN;
    const p = prepareCutout(cutout(8, 8, data, 0.1), MODEL);
    expect(p.noise.source).toBe('estimated');
    expect(p.noise.variance[9]).toBe(Infinity);
    expect(p.noise.variance[10]).toBeGreaterThan(0);
  });
});
