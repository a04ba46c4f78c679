import { describe, expect, it } from 'vitest';
import { expectError, expectInvalid } from '../../../test/helpers/cutout-errors.js';
import { MAX_MASKED_FRACTION, checkMaskedFraction, fillMasked, maskedMse } from './mask.js';

describe('fillMasked', () => {
  it('returns undefined and leaves an image without masked pixels as it is', () => {
    const image = Float32Array.from([1, 2, 3, 4]);
    expect(fillMasked(image, 2, 2)).toBeUndefined();
    expect([...image]).toEqual([1, 2, 3, 4]);
  });

  it('fills an interior pixel with the mean of its 8 neighbours', () => {
    const image = Float32Array.from([1, 2, 3, 4, NaN, 6, 7, 8, 20]);
    const mask = fillMasked(image, 3, 3);
    expect(image[4]).toBe(51 / 8);
    expect([...(mask ?? [])]).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it('fills a corner from its 3 neighbours and treats ±Inf as masked', () => {
    const image = Float32Array.from([Infinity, 2, 4, 6]);
    expect([...(fillMasked(image, 2, 2) ?? [])]).toEqual([1, 0, 0, 0]);
    expect(image[0]).toBe(4);
    const negative = Float32Array.from([2, 4, 6, -Infinity]);
    fillMasked(negative, 2, 2);
    expect(negative[3]).toBe(4);
  });

  it('uses the values from before each pass, not ones filled earlier in the same pass', () => {
    // Scan-order filling would give index 2 = mean(1, 7) = 4; pass-wise filling gives 7.
    const image = Float32Array.from([1, NaN, NaN, 7]);
    fillMasked(image, 4, 1);
    expect([...image]).toEqual([1, 1, 7, 7]);
  });

  it('grows inwards over several passes until every pixel is filled', () => {
    const row = Float32Array.from([0, NaN, NaN, NaN, 8]);
    fillMasked(row, 5, 1);
    expect([...row]).toEqual([0, 0, 4, 8, 8]); // pass 1 fills 1 and 3, pass 2 fills 2 from both

    // 3×3 with only two opposite corners known. Pass 1: (1,0),(0,1) = 0; (2,1),(1,2) = 9;
    // centre = (0+9)/2. Pass 2: the two other corners = (0 + 4.5 + 9)/3.
    const square = Float32Array.from([0, NaN, NaN, NaN, NaN, NaN, NaN, NaN, 9]);
    const mask = fillMasked(square, 3, 3);
    expect([...square]).toEqual([0, 0, 4.5, 0, 4.5, 9, 4.5, 9, 9]);
    expect([...(mask ?? [])]).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 0]);
  });

  it('fills a large hole completely, leaving no non-finite value', () => {
    const w = 64;
    const image = Float32Array.from({ length: w * w }, (_, p) => p % 7);
    for (let y = 10; y < 50; y++) for (let x = 5; x < 60; x++) image[y * w + x] = NaN;
    const mask = fillMasked(image, w, w);
    expect(image.every(Number.isFinite)).toBe(true);
    expect(mask?.reduce((a, b) => a + b, 0)).toBe(40 * 55);
    // Filled values are averages of the known 0..6, so they stay within that range.
    expect(Math.min(...image)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...image)).toBeLessThanOrEqual(6);
  });

  it('refuses an image with every pixel masked', () => {
    expectError(() => fillMasked(Float32Array.from([NaN, Infinity, -Infinity, NaN]), 2, 2), 'bad_shape', /all 4 pixels/, /2x2/);
  });

  it('validates its arguments', () => {
    expectInvalid(() => fillMasked(new Float32Array(4), 0, 4), /size/);
    expectInvalid(() => fillMasked(new Float32Array(4), 3, 2), /width\*height = 6/);
  });
});

describe('maskedMse', () => {
  const input = Float32Array.from([1, 2, 3, 4]);
  const recon = Float32Array.from([1, 0, 3, 0]);

  it('averages over all pixels without a mask', () => {
    expect(maskedMse(input, recon, undefined)).toBe((4 + 16) / 4);
  });

  it('leaves masked pixels out of both the sum and the count', () => {
    expect(maskedMse(input, recon, Uint8Array.from([0, 1, 0, 0]))).toBe(16 / 3);
    expect(maskedMse(input, recon, Uint8Array.from([0, 1, 0, 1]))).toBe(0);
  });

  it('accumulates in float64', () => {
    // 1 + 4096² = 16777217 is not a float32; float32 accumulation would give 8388608.
    expect(maskedMse(Float32Array.from([1, 4096]), new Float32Array(2), undefined)).toBe(8388608.5);
  });

  it('rejects different lengths and a mask that leaves nothing', () => {
    expectInvalid(() => maskedMse(input, new Float32Array(3), undefined), /input 4, reconstruction 3/);
    expectInvalid(() => maskedMse(input, recon, new Uint8Array(5)), /mask 5/);
    expectInvalid(() => maskedMse(input, recon, new Uint8Array(4).fill(1)), /no unmasked pixel/);
  });
});

describe('checkMaskedFraction', () => {
  it('accepts up to half the pixels masked', () => {
    expect(MAX_MASKED_FRACTION).toBe(0.5);
    expect(() => checkMaskedFraction(0, 1)).not.toThrow();
    expect(() => checkMaskedFraction(50, 100)).not.toThrow();
    expect(() => checkMaskedFraction(2048, 4096)).not.toThrow();
  });

  it('refuses more than half, saying how many and the limit', () => {
    expectError(() => checkMaskedFraction(51, 100), 'bad_shape', /51 of 100 pixels \(51\.0%\)/, /at most 50% masked \(50 pixels\)/);
    expectError(() => checkMaskedFraction(3, 5), 'bad_shape', /3 of 5 pixels \(60\.0%\)/, /\(2 pixels\)/);
  });

  it('validates its arguments', () => {
    expectInvalid(() => checkMaskedFraction(1, 0));
    expectInvalid(() => checkMaskedFraction(-1, 10));
    expectInvalid(() => checkMaskedFraction(11, 10));
    expectInvalid(() => checkMaskedFraction(0.5, 10));
  });
});
