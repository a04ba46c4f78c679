import { describe, expect, it } from 'vitest';
import { expectInvalid } from '../../../test/helpers/cutout-errors.js';
import { fieldCoverage, resampleToGrid, sameGrid } from './resample.js';

/** Deterministic pseudo-random float32 values (not round numbers, so exactness is meaningful). */
function noise(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 200 - 100;
  }
  return out;
}

/** The w×h window of a W-wide image starting at (x0, y0). */
function window(image: Float32Array, W: number, x0: number, y0: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = image[(y0 + y) * W + x0 + x] as number;
  return out;
}

function bitExact(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/**
 * Reference: every input pixel against every output pixel with the 2-D overlap area computed
 * directly in arcsec, then the cover rule. Slow but independent of the separable code.
 */
function reference(image: Float32Array, w: number, h: number, from: number, to: number, ow: number, oh: number): Float32Array {
  const out = new Float32Array(ow * oh);
  const overlap = (a0: number, a1: number, b0: number, b1: number) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
  for (let l = 0; l < oh; l++) {
    for (let j = 0; j < ow; j++) {
      const ox0 = (j - ow / 2) * to;
      const oy0 = (l - oh / 2) * to;
      let flux = 0;
      let area = 0;
      for (let k = 0; k < h; k++) {
        for (let i = 0; i < w; i++) {
          const v = image[k * w + i] as number;
          if (!Number.isFinite(v)) continue;
          const ix0 = (i - w / 2) * from;
          const iy0 = (k - h / 2) * from;
          const a = overlap(ox0, ox0 + to, ix0, ix0 + from) * overlap(oy0, oy0 + to, iy0, iy0 + from);
          flux += (v * a) / (from * from);
          area += a;
        }
      }
      const covered = area / (to * to);
      out[l * ow + j] = covered >= 0.5 - 1e-9 ? flux / covered : NaN;
    }
  }
  return out;
}

describe('resampleToGrid at equal scales', () => {
  it('is an exact centre crop for odd sizes', () => {
    const image = noise(7 * 5);
    const { data, coverage } = resampleToGrid(image, 7, 5, 0.05, 0.05, 3, 3);
    expect(bitExact(data, window(image, 7, 2, 1, 3, 3))).toBe(true);
    expect(coverage).toBe(1);
  });

  it('is an exact centre crop for even sizes, width and height independently', () => {
    const image = noise(10 * 6, 2);
    const { data } = resampleToGrid(image, 10, 6, 0.1, 0.1, 4, 2);
    expect(bitExact(data, window(image, 10, 3, 2, 4, 2))).toBe(true);
  });

  it('is an exact centre pad with NaN outside the input', () => {
    const image = noise(3 * 3, 3);
    const { data, coverage } = resampleToGrid(image, 3, 3, 0.2, 0.2, 5, 5);
    expect(bitExact(window(data, 5, 1, 1, 3, 3), image)).toBe(true);
    const border = [...data].filter((_, p) => p % 5 === 0 || p % 5 === 4 || p < 5 || p >= 20);
    expect(border).toHaveLength(16);
    expect(border.every(Number.isNaN)).toBe(true);
    expect(coverage).toBe(9 / 25);
  });

  it('treats scales within 1e-6 relative as equal, so the crop stays exact', () => {
    const image = noise(5 * 5, 4);
    const { data } = resampleToGrid(image, 5, 5, 0.05, 0.05 * (1 + 5e-7), 3, 3);
    expect(bitExact(data, window(image, 5, 1, 1, 3, 3))).toBe(true);
  });

  it('splits pixels in half when odd and even sizes put the grids half a pixel apart', () => {
    // Output edges fall at input x = 0.5, 1.5, 2.5: each output pixel is half of two inputs.
    const { data } = resampleToGrid(Float32Array.from([1, 3, 7]), 3, 1, 1, 1, 2, 1);
    expect([...data]).toEqual([2, 5]);
  });

  it('keeps an output pixel exactly half covered, dividing by the covered half', () => {
    // 3 wide onto 4 wide: output edges at input x = -0.5, 0.5, 1.5, 2.5, 3.5.
    const row = [2, 4, 8];
    const image = Float32Array.from([...row, ...row, ...row]);
    const { data, coverage } = resampleToGrid(image, 3, 3, 1, 1, 4, 3);
    expect([...data]).toEqual([2, 3, 6, 8, 2, 3, 6, 8, 2, 3, 6, 8]);
    expect(coverage).toBe(1);
    // In 2-D the corners are only a quarter covered and become NaN.
    const square = resampleToGrid(image, 3, 3, 1, 1, 4, 4);
    expect([...square.data.subarray(0, 4)]).toEqual([NaN, 3, 6, NaN]);
    expect(square.coverage).toBe(12 / 16);
  });
});

describe('resampleToGrid across scales', () => {
  it('sums 2×2 blocks when the output pixels are twice as large (flux conserved)', () => {
    const image = Float32Array.from({ length: 16 }, (_, i) => i + 1);
    const { data, coverage } = resampleToGrid(image, 4, 4, 0.05, 0.1, 2, 2);
    expect([...data]).toEqual([1 + 2 + 5 + 6, 3 + 4 + 7 + 8, 9 + 10 + 13 + 14, 11 + 12 + 15 + 16]);
    expect(data.reduce((a, b) => a + b, 0)).toBe(136);
    expect(coverage).toBe(1);
  });

  it('spreads each pixel over four when the output pixels are half as large', () => {
    const { data } = resampleToGrid(Float32Array.from([4, 8, 12, 16]), 2, 2, 0.2, 0.1, 4, 4);
    expect([...data]).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('weights partial overlaps by area for a 1.5 ratio', () => {
    // v = x + 10 y on 6×6; output edges at input 0, 1.5, 3, 4.5, 6. Output (0,0) takes input
    // (0,0)×1, (1,0)×0.5, (0,1)×0.5, (1,1)×0.25 = 0 + 0.5 + 5 + 2.75.
    const image = Float32Array.from({ length: 36 }, (_, p) => (p % 6) + 10 * Math.floor(p / 6));
    const { data } = resampleToGrid(image, 6, 6, 1, 1.5, 4, 4);
    expect(data[0]).toBe(8.25);
    // Output (1,0): input x 1 (×0.5) and 2 (×1), rows as above: (0.5·1 + 2) + 0.5·(0.5·11 + 12).
    expect(data[1]).toBe(0.5 * 1 + 2 + 0.5 * (0.5 * 11 + 12));
    expect(data.reduce((a, b) => a + b, 0)).toBe(990); // sum of x + 10y over the 6×6 input
  });

  it('preserves the total when the input sits on whole output pixels inside the output grid', () => {
    // 6 input pixels at 1" inside 5 output pixels at 2": edges at input -2, 0, 2, 4, 6, 8.
    const image = noise(36, 5);
    const { data, coverage } = resampleToGrid(image, 6, 6, 1, 2, 5, 5);
    const finite = [...data].filter(Number.isFinite);
    expect(finite).toHaveLength(9);
    expect(coverage).toBe(9 / 25);
    const inSum = image.reduce((a, b) => a + b, 0);
    expect(finite.reduce((a, b) => a + b, 0)).toBeCloseTo(inSum, 3);
  });

  it('scales a partly covered edge pixel up to its covered fraction', () => {
    // 3×3 ones at 1" onto 2×2 at 2": each output pixel lies 1.5×1.5 over the input (56.25%).
    const { data, coverage } = resampleToGrid(new Float32Array(9).fill(1), 3, 3, 1, 2, 2, 2);
    expect([...data]).toEqual([4, 4, 4, 4]);
    expect(coverage).toBe(1);
  });

  it('masks output pixels less than half covered', () => {
    // 3×3 ones at 1" onto 3×3 at 2": output edges at -1.5, 0.5, 2.5, 4.5; only the centre is
    // fully covered, edges 25%, corners 6.25%.
    const { data, coverage } = resampleToGrid(new Float32Array(9).fill(1), 3, 3, 1, 2, 3, 3);
    expect([...data]).toEqual([NaN, NaN, NaN, NaN, 4, NaN, NaN, NaN, NaN]);
    expect(coverage).toBe(1 / 9);
  });

  it('matches a direct 2-D area-overlap reference on awkward geometries', () => {
    const cases: [number, number, number, number, number, number][] = [
      [13, 9, 0.05, 0.08, 11, 7],
      [9, 12, 0.1, 0.037, 20, 31],
      [17, 17, 0.03, 0.1, 4, 5],
      [8, 8, 0.1, 0.1, 11, 6],
    ];
    for (const [w, h, from, to, ow, oh] of cases) {
      const image = noise(w * h, w + h);
      image[3] = NaN;
      image[w * h - 5] = Infinity;
      const got = resampleToGrid(image, w, h, from, to, ow, oh).data;
      const want = reference(image, w, h, from, to, ow, oh);
      for (let p = 0; p < want.length; p++) {
        if (Number.isNaN(want[p])) expect(got[p], `${w}x${h} ${from}->${to} pixel ${p}`).toBeNaN();
        else expect(got[p], `${w}x${h} ${from}->${to} pixel ${p}`).toBeCloseTo(want[p] as number, 3);
      }
    }
  });
});

describe('resampleToGrid with masked input', () => {
  const ones = (): Float32Array => new Float32Array(16).fill(1);

  it('leaves a masked pixel out and rescales by the finite area', () => {
    const image = ones();
    image[0] = NaN; // one of the four pixels under output (0,0)
    const { data, coverage } = resampleToGrid(image, 4, 4, 1, 2, 2, 2);
    expect([...data]).toEqual([4, 4, 4, 4]); // 3 / 0.75
    expect(coverage).toBe(1);
  });

  it('keeps a half-masked output pixel and masks a three-quarter masked one (Inf too)', () => {
    const image = ones();
    image[0] = NaN;
    image[1] = -Infinity; // output (0,0): half its area masked -> 2 / 0.5
    image[2] = Infinity;
    image[3] = NaN;
    image[7] = NaN; // output (1,0): three quarters masked
    const { data, coverage } = resampleToGrid(image, 4, 4, 1, 2, 2, 2);
    expect([...data]).toEqual([4, NaN, 4, 4]);
    expect(coverage).toBe(3 / 4);
  });

  it('passes an all-masked input through as all NaN with coverage 0', () => {
    const { data, coverage } = resampleToGrid(new Float32Array(16).fill(NaN), 4, 4, 1, 1, 4, 4);
    expect(data.every(Number.isNaN)).toBe(true);
    expect(coverage).toBe(0);
  });
});

describe('resampleToGrid arguments', () => {
  const image = new Float32Array(12);
  it.each([
    ['width', () => resampleToGrid(image, 0, 12, 1, 1, 2, 2)],
    ['width', () => resampleToGrid(image, 1.5, 8, 1, 1, 2, 2)],
    ['height', () => resampleToGrid(image, 12, -1, 1, 1, 2, 2)],
    ['outWidth', () => resampleToGrid(image, 3, 4, 1, 1, 0, 2)],
    ['outHeight', () => resampleToGrid(image, 3, 4, 1, 1, 2, NaN)],
    ['fromScale', () => resampleToGrid(image, 3, 4, 0, 1, 2, 2)],
    ['fromScale', () => resampleToGrid(image, 3, 4, Infinity, 1, 2, 2)],
    ['toScale', () => resampleToGrid(image, 3, 4, 1, -0.1, 2, 2)],
    ['toScale', () => resampleToGrid(image, 3, 4, 1, NaN, 2, 2)],
    ['width\\*height', () => resampleToGrid(image, 4, 4, 1, 1, 2, 2)],
  ])('rejects a bad %s', (name, fn) => {
    expectInvalid(fn, new RegExp(name));
  });
});

describe('sameGrid', () => {
  it('is true only for equal sizes and scales equal within 1e-6 relative', () => {
    expect(sameGrid(64, 64, 0.05, 0.05, 64, 64)).toBe(true);
    expect(sameGrid(64, 64, 0.05, 0.05 * (1 + 9e-7), 64, 64)).toBe(true);
    expect(sameGrid(64, 64, 0.05 * (1 + 9e-7), 0.05, 64, 64)).toBe(true);
    expect(sameGrid(64, 64, 0.05, 0.05 * (1 + 2e-6), 64, 64)).toBe(false);
    expect(sameGrid(64, 65, 0.05, 0.05, 64, 64)).toBe(false);
    expect(sameGrid(65, 64, 0.05, 0.05, 64, 64)).toBe(false);
    expect(sameGrid(64, 64, 0.05, 0.1, 64, 64)).toBe(false);
  });
});

describe('fieldCoverage', () => {
  it('is the coverage of a finite image of that geometry', () => {
    expect(fieldCoverage(3, 3, 1, 2, 3, 3)).toBe(1 / 9);
    expect(fieldCoverage(32, 32, 0.1, 0.1, 64, 64)).toBe(0.25);
    expect(fieldCoverage(3, 3, 1, 1, 4, 4)).toBe(12 / 16);
    expect(fieldCoverage(100, 100, 0.04, 0.1, 20, 20)).toBe(1);
    for (const [w, h, from, to, ow, oh] of [
      [13, 9, 0.05, 0.08, 11, 7],
      [9, 12, 0.1, 0.037, 40, 31],
      [45, 45, 0.05, 0.05, 64, 64],
    ] as const) {
      const image = noise(w * h, 9);
      expect(fieldCoverage(w, h, from, to, ow, oh)).toBe(resampleToGrid(image, w, h, from, to, ow, oh).coverage);
    }
  });

  it('validates its arguments', () => {
    expectInvalid(() => fieldCoverage(3, 3, 1, 0, 3, 3), /toScale/);
    expectInvalid(() => fieldCoverage(3, 0, 1, 1, 3, 3), /height/);
  });
});
