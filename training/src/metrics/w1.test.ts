import { describe, expect, it } from 'vitest';
import { expectInvalid } from '../../../test/helpers/cutout-errors.js';
import { expectClose, readMetricFixture } from '../../../test/helpers/metric-fixtures.js';
import { w1ColumnSums } from './w1.js';

/**
 * w1.json, written by scripts/make-metric-fixtures.py: w1[i] is
 * scipy.stats.wasserstein_distance(input[i].sum(axis=0), reconstruction[i].sum(axis=0)), the
 * column sums (sum over the rows, one value per column); w1Rows[i] the same over axis=1 (the
 * wrong axis, one value per row).
 */
interface W1Case {
  count: number;
  height: number;
  width: number;
  input: number[];
  reconstruction: number[];
  w1: number[];
  w1Rows: number[];
}

const cases = readMetricFixture<Record<string, W1Case>>('w1.json');

/** [N, H, W] row-major -> [N, W, H] row-major. */
function transpose(a: readonly number[], n: number, h: number, w: number): number[] {
  const out = new Array<number>(a.length);
  for (let k = 0; k < n; k++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[k * h * w + x * h + y] = a[k * h * w + y * w + x]!;
  return out;
}

describe('w1ColumnSums against scipy.stats.wasserstein_distance of a.sum(axis=0) per image', () => {
  it.each(Object.keys(cases))('%s', (name) => {
    const c = cases[name]!;
    const r = w1ColumnSums(c.input, c.reconstruction, c.count, c.height, c.width);
    expect(r.perImage.length).toBe(c.count);
    for (let i = 0; i < c.count; i++) expectClose(r.perImage[i]!, c.w1[i]!);
    expectClose(r.mean, c.w1.reduce((s, v) => s + v, 0) / c.count);
  });

  it('sums over the rows (one value per column), not over the columns', () => {
    for (const c of Object.values(cases)) {
      // The fixture's wrong-axis values differ from the right ones for at least one image...
      expect(c.w1.some((v, i) => Math.abs(v - c.w1Rows[i]!) > 1e-6)).toBe(true);
      // ...and feeding the transposed images gives exactly those wrong-axis values.
      const t = w1ColumnSums(
        transpose(c.input, c.count, c.height, c.width),
        transpose(c.reconstruction, c.count, c.height, c.width),
        c.count,
        c.width,
        c.height,
      );
      for (let i = 0; i < c.count; i++) expectClose(t.perImage[i]!, c.w1Rows[i]!);
    }
  });

  it('works a small non-symmetric case by hand', () => {
    // Input [[1, 1], [0, 0]]: column sums {1, 1}, row sums {2, 0}.
    // Reconstruction [[1, 0], [0, 1]]: column sums {1, 1}, row sums {1, 1}.
    // Columns: W1 = 0. Rows would give (|0 - 1| + |2 - 1|) / 2 = 1.
    expect(w1ColumnSums([1, 1, 0, 0], [1, 0, 0, 1], 1, 2, 2).perImage[0]).toBe(0);
    // H = 2, W = 3: input [[1, 2, 3], [0, 0, 6]] -> columns {1, 2, 9}; reconstruction zeros -> {0, 0, 0}.
    // Sorted difference: (1 + 2 + 9) / 3 = 4 (W = 3 values, not H = 2).
    const r = w1ColumnSums([1, 2, 3, 0, 0, 6, 1, 2, 3, 0, 0, 6], new Float32Array(12), 2, 2, 3);
    expect(Array.from(r.perImage)).toEqual([4, 4]);
    expect(r.mean).toBe(4);
  });

  it('compares the column sums as sets of values (sorted), not column by column', () => {
    // Columns {1, 3} vs {3, 1}: the same set, so W1 = 0 although every column differs.
    expect(w1ColumnSums([1, 3], [3, 1], 1, 1, 2).mean).toBe(0);
  });

  it('accepts float32 images and sums in float64', () => {
    const c = cases['square']!;
    const r32 = w1ColumnSums(Float32Array.from(c.input), Float32Array.from(c.reconstruction), c.count, c.height, c.width);
    for (let i = 0; i < c.count; i++) expect(r32.perImage[i]).toBeCloseTo(c.w1[i]!, 5);
  });

  it('rejects bad inputs with invalid_argument', () => {
    expectInvalid(() => w1ColumnSums([], [], 0, 2, 2), /count is 0; pass a positive integer/);
    expectInvalid(() => w1ColumnSums([1, 2], [1, 2], 1, 1.5, 2), /height is 1.5/);
    expectInvalid(() => w1ColumnSums([1, 2, 3], [1, 2], 1, 1, 2), /input has 3 values; .* needs 2/);
    expectInvalid(() => w1ColumnSums([1, 2], [1], 1, 1, 2), /reconstruction has 1 values/);
    expectInvalid(() => w1ColumnSums([1, NaN], [1, 2], 1, 1, 2), /input\[1\] is NaN; only finite/);
    expectInvalid(() => w1ColumnSums([1, 2], [Infinity, 2], 1, 1, 2), /reconstruction\[0\] is Infinity/);
  });
});
