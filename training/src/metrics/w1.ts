/**
 * The reference work's "EMD" between an image and its reconstruction: the 1-D first Wasserstein
 * distance (W1) between the two images' column sums, each taken as a set of values with uniform
 * weights (not as a histogram over the column index).
 */
import { DarklensError } from '@darklens/core';
import type { NumericArray } from './roc.js';

/** Per-image W1 distances and their mean. */
export interface W1Result {
  /** perImage[i]: W1 between the column sums of input image i and reconstruction image i. */
  perImage: Float64Array;
  /** The mean of perImage. */
  mean: number;
}

function checkDim(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new DarklensError('invalid_argument', `w1ColumnSums: ${name} is ${String(v)}; pass a positive integer`);
  }
}

/**
 * W1 between column sums, per image. input and reconstruction hold `count` images of
 * height x width pixels each, stored row-major: pixel (row y, column x) of image i is at
 * i * height * width + y * width + x (numpy C order of an [N, H, W] array).
 *
 * Column sums: for each column x, the sum over the rows y of pixel (y, x), giving `width` values
 * per image; in numpy, image.sum(axis=0). W1 between two equally sized sets of values with uniform
 * weights is the mean absolute difference of the two sorted vectors, and equals
 * scipy.stats.wasserstein_distance(input_i.sum(axis=0), reconstruction_i.sum(axis=0)).
 * Sums are accumulated in float64 whatever the input array type.
 *
 * Throws DarklensError('invalid_argument') when a dimension is not a positive integer, an array's
 * length is not count * height * width, or a pixel is not finite (fill or drop masked pixels first).
 */
export function w1ColumnSums(
  input: NumericArray,
  reconstruction: NumericArray,
  count: number,
  height: number,
  width: number,
): W1Result {
  checkDim('count', count);
  checkDim('height', height);
  checkDim('width', width);
  const size = count * height * width;
  for (const [name, a] of [
    ['input', input],
    ['reconstruction', reconstruction],
  ] as const) {
    if (a.length !== size) {
      throw new DarklensError(
        'invalid_argument',
        `w1ColumnSums: ${name} has ${a.length} values; count x height x width = ${count} x ${height} x ${width} needs ${size}`,
      );
    }
    for (let i = 0; i < size; i++) {
      const v = a[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new DarklensError(
          'invalid_argument',
          `w1ColumnSums: ${name}[${i}] is ${String(v)}; only finite pixel values are accepted (fill or drop masked pixels first)`,
        );
      }
    }
  }

  const perImage = new Float64Array(count);
  const u = new Float64Array(width);
  const v = new Float64Array(width);
  const pixels = height * width;
  let total = 0;
  for (let n = 0; n < count; n++) {
    u.fill(0);
    v.fill(0);
    const base = n * pixels;
    for (let y = 0; y < height; y++) {
      const row = base + y * width;
      for (let x = 0; x < width; x++) {
        u[x]! += input[row + x]!;
        v[x]! += reconstruction[row + x]!;
      }
    }
    u.sort();
    v.sort();
    let d = 0;
    for (let x = 0; x < width; x++) d += Math.abs(u[x]! - v[x]!);
    perImage[n] = d / width;
    total += perImage[n]!;
  }
  return { perImage, mean: total / count };
}
