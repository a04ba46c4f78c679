import { describe, expect, it } from 'vitest';
import { learningRateAt, ONE_CYCLE } from './schedule.js';

describe('learningRateAt', () => {
  it("follows PyTorch OneCycleLR's defaults: max/25 -> max at 30% -> max/25e4, cosine", () => {
    const total = 1000;
    const lr = (s: number): number => learningRateAt('one-cycle', 2e-3, s, total);
    expect(lr(0)).toBeCloseTo(2e-3 / ONE_CYCLE.divFactor, 12);
    expect(lr(299)).toBeCloseTo(2e-3, 12); // pct_start * total - 1
    expect(lr(999)).toBeCloseTo(2e-3 / 25 / 1e4, 14);
    // Halfway down (step 649 of the 299..999 descent) the cosine is at the mean of its ends.
    expect(learningRateAt('one-cycle', 1, 649, 1000)).toBeCloseTo((1 + 1 / 25 / 1e4) / 2, 12);
    for (let s = 1; s < 300; s++) expect(lr(s)).toBeGreaterThan(lr(s - 1));
    for (let s = 300; s < 1000; s++) expect(lr(s)).toBeLessThan(lr(s - 1));
  });

  it('is constant when asked, and clamps steps past the end', () => {
    expect(learningRateAt('constant', 0.01, 5, 10)).toBe(0.01);
    expect(learningRateAt('one-cycle', 1, 50, 10)).toBe(learningRateAt('one-cycle', 1, 9, 10));
    expect(learningRateAt('one-cycle', 1, 0, 1)).toBe(1);
    expect(() => learningRateAt('one-cycle', 1, -1, 10)).toThrow(/step/);
  });
});
