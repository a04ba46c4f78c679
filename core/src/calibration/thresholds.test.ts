import { describe, expect, it } from 'vitest';
import { oneTo, shuffled } from '../../../test/helpers/calibration-data.js';
import { expectInvalid } from '../../../test/helpers/cutout-errors.js';
import {
  bootstrapThreshold,
  CalibrationRng,
  interpolatedQuantile,
  labelledThreshold,
  manualThreshold,
  meanPlusKSigma,
  nextDown,
  quantileIndex,
  quantileThreshold,
} from './thresholds.js';

const countAbove = (scores: readonly number[], t: number): number => scores.filter((s) => s > t).length;

describe('CalibrationRng', () => {
  it('matches the xoshiro128** reference outputs for state (1, 2, 3, 4)', () => {
    const rng = CalibrationRng.fromState(1, 2, 3, 4);
    const out = Array.from({ length: 10 }, () => rng.nextU32());
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const draw = (seed: number): number[] => {
      const rng = new CalibrationRng(seed);
      return Array.from({ length: 8 }, () => rng.nextU32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(0)).not.toEqual(Array(8).fill(0));
  });

  it('draws floats in [0, 1), integers in range and roughly standard normals', () => {
    const rng = new CalibrationRng(7);
    const bins = new Array<number>(10).fill(0);
    let sum = 0;
    let sumSq = 0;
    const n = 50_000;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      if (!(u >= 0 && u < 1)) outOfRange++;
      const k = rng.int(10);
      if (!(Number.isInteger(k) && k >= 0 && k < 10)) outOfRange++;
      bins[k]!++;
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(outOfRange).toBe(0);
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThan(400); // ~6 standard deviations
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.04);
  });

  it('draws integers in range above 2^21 too', () => {
    const rng = new CalibrationRng(3);
    const n = 3_000_000_000;
    const draws = Array.from({ length: 2000 }, () => rng.int(n));
    expect(draws.every((k) => Number.isInteger(k) && k >= 0 && k < n)).toBe(true);
    expect(draws.some((k) => k > n / 2)).toBe(true);
    expect(draws.some((k) => k < n / 2)).toBe(true);
  });

  it('rejects seeds that are not 32-bit unsigned integers', () => {
    expectInvalid(() => new CalibrationRng(-1), /seed is -1/);
    expectInvalid(() => new CalibrationRng(1.5), /seed is 1.5/);
    expectInvalid(() => new CalibrationRng(2 ** 32), /4294967295/);
  });
});

describe('quantileThreshold', () => {
  const scores = shuffled(oneTo(100));

  it('scores 1..100: fpr 0.05 gives 95 (empirical) and 96 (conformal)', () => {
    expect(quantileThreshold(scores, 0.05)).toBe(95);
    expect(countAbove(scores, 95)).toBe(5);
    expect(quantileThreshold(scores, 0.05, 'conformal')).toBe(96); // floor(0.05 * 101) = 5 -> s_(96)
    expect(countAbove(scores, 96)).toBe(4);
  });

  it('scores 1..100: other rates, including products that round below an integer', () => {
    expect(quantileThreshold(scores, 0.01)).toBe(99);
    expect(quantileThreshold(scores, 0.01, 'conformal')).toBe(100); // floor(1.01) = 1 -> s_(100)
    expect(quantileThreshold(scores, 0.1)).toBe(90);
    expect(quantileThreshold(scores, 0.1, 'conformal')).toBe(91); // floor(10.1) = 10 -> s_(91)
    expect(quantileThreshold(scores, 0.29)).toBe(71); // 0.29 * 100 = 28.999999999999996 in doubles
    expect(quantileThreshold(scores, 0.07)).toBe(93);
    expect(quantileThreshold(scores, 0.005)).toBe(100); // floor(0.5) = 0: nothing flagged
  });

  it('flags at most fpr of the scores and is the lowest order statistic that does', () => {
    for (const n of [1, 2, 7, 19, 20, 50, 99, 100, 101, 333]) {
      const s = shuffled(oneTo(n).map((i) => i * 0.37), n);
      for (const fpr of [0.01, 0.05, 0.1, 0.2, 0.5, 0.9]) {
        const t = quantileThreshold(s, fpr);
        expect(countAbove(s, t), `n ${n} fpr ${fpr}`).toBeLessThanOrEqual(fpr * n + 1e-9);
        const lower = s.filter((v) => v < t);
        if (lower.length > 0) expect(countAbove(s, Math.max(...lower))).toBeGreaterThan(fpr * n);
      }
    }
  });

  it('handles ties: never flags more than fpr of the scores', () => {
    const tied = [2, 1, 2, 3, 2];
    expect(quantileThreshold(tied, 0.4)).toBe(2); // m = 2 -> s_(3) = 2, flags only the 3
    expect(countAbove(tied, 2)).toBe(1);
    expect(quantileThreshold([5, 5, 5], 0.5)).toBe(5);
  });

  it('refuses the conformal rule when no p-value could reach fpr', () => {
    expect(quantileThreshold(oneTo(10), 0.05)).toBe(10);
    expectInvalid(() => quantileThreshold(oneTo(10), 0.05, 'conformal'), /at least 19 calibration scores, got 10/);
    expect(quantileThreshold(oneTo(19), 0.05, 'conformal')).toBe(19);
    expect(quantileIndex(19, 0.05, 'conformal')).toBe(18);
  });

  it('rejects bad inputs', () => {
    expectInvalid(() => quantileThreshold([], 0.05), /empty/);
    expectInvalid(() => quantileThreshold([1, NaN], 0.05), /scores\[1\] is NaN/);
    expectInvalid(() => quantileThreshold([1, Infinity], 0.05), /scores\[1\] is Infinity/);
    for (const fpr of [0, 1, -0.1, 1.5, NaN]) expectInvalid(() => quantileThreshold([1, 2], fpr), /strictly between 0 and 1/);
    expectInvalid(() => quantileThreshold([1, 2], 0.05, 'median' as 'empirical'), /accepted: empirical, conformal/);
  });
});

describe('bootstrapThreshold', () => {
  const scores = shuffled(oneTo(100), 3);

  it('is deterministic per seed and differs between seeds', () => {
    const a = bootstrapThreshold(scores, 0.05, { seed: 11 });
    expect(bootstrapThreshold(scores, 0.05, { seed: 11 })).toEqual(a);
    expect(bootstrapThreshold(shuffled(scores, 9), 0.05, { seed: 11 })).toEqual(a); // input order is irrelevant
    const b = bootstrapThreshold(scores, 0.05, { seed: 12 });
    expect(b.standardError).not.toBe(a.standardError);
    expect(a.resamples).toBe(1000);
    expect(a.level).toBe(0.95);
    expect(a.rule).toBe('empirical');
  });

  it('scores 1..100: interval around the point estimate 95 of plausible width', () => {
    const r = bootstrapThreshold(scores, 0.05, { seed: 5 });
    expect(r.threshold).toBe(95);
    const [lo, hi] = r.ci;
    expect(lo).toBeLessThanOrEqual(95);
    expect(hi).toBeGreaterThanOrEqual(95);
    expect(lo).toBeGreaterThanOrEqual(86);
    expect(lo).toBeLessThan(95);
    expect(hi).toBeGreaterThan(95);
    expect(hi).toBeLessThanOrEqual(100);
    expect(r.standardError).toBeGreaterThan(1);
    expect(r.standardError).toBeLessThan(4);
    const narrow = bootstrapThreshold(scores, 0.05, { seed: 5, level: 0.5 });
    expect(narrow.ci[0]).toBeGreaterThanOrEqual(lo);
    expect(narrow.ci[1]).toBeLessThanOrEqual(hi);
  });

  it('normal scores: interval near the true 95% quantile with the textbook standard error', () => {
    const rng = new CalibrationRng(2024);
    const normal = Array.from({ length: 2000 }, () => rng.normal());
    const r = bootstrapThreshold(normal, 0.05, { seed: 1, resamples: 500 });
    // sqrt(p (1 - p) / n) / phi(1.645) = 0.047
    expect(Math.abs(r.threshold - 1.6449)).toBeLessThan(0.15);
    expect(r.standardError).toBeGreaterThan(0.025);
    expect(r.standardError).toBeLessThan(0.08);
    expect(r.ci[0]).toBeLessThanOrEqual(r.threshold);
    expect(r.ci[1]).toBeGreaterThanOrEqual(r.threshold);
    expect(r.ci[1] - r.ci[0]).toBeGreaterThan(0.08);
    expect(r.ci[1] - r.ci[0]).toBeLessThan(0.4);
  });

  it('conformal rule and constant scores', () => {
    const c = bootstrapThreshold(scores, 0.05, { seed: 5, rule: 'conformal' });
    expect(c.threshold).toBe(96);
    expect(c.ci[0]).toBeLessThanOrEqual(96);
    expect(c.ci[1]).toBeGreaterThanOrEqual(96);
    const flat = bootstrapThreshold([3, 3, 3, 3], 0.25, { seed: 1, resamples: 50 });
    expect(flat.ci).toEqual([3, 3]);
    expect(flat.standardError).toBe(0);
  });

  it('rejects bad options', () => {
    expectInvalid(() => bootstrapThreshold(scores, 0.05, { seed: -3 }), /bootstrap seed is -3/);
    expectInvalid(() => bootstrapThreshold(scores, 0.05, { seed: 1, resamples: 5 }), /resamples is 5/);
    expectInvalid(() => bootstrapThreshold(scores, 0.05, { seed: 1, resamples: 100.5 }), /resamples is 100.5/);
    expectInvalid(() => bootstrapThreshold(scores, 0.05, { seed: 1, level: 1 }), /level is 1/);
    expectInvalid(() => bootstrapThreshold(scores, 0.05, undefined as unknown as { seed: number }), /seed/);
  });
});

describe('interpolatedQuantile', () => {
  it('interpolates linearly between order statistics', () => {
    expect(interpolatedQuantile([1, 2, 3, 4], 0)).toBe(1);
    expect(interpolatedQuantile([1, 2, 3, 4], 1)).toBe(4);
    expect(interpolatedQuantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(interpolatedQuantile([10, 20], 0.25)).toBe(12.5);
    expect(interpolatedQuantile([7], 0.9)).toBe(7);
  });
});

describe('meanPlusKSigma and manualThreshold', () => {
  it('uses the sample standard deviation', () => {
    const s = [2, 4, 4, 4, 5, 5, 7, 9]; // mean 5, sum of squares 32
    expect(meanPlusKSigma(s, 0)).toBe(5);
    expect(meanPlusKSigma(s, 2)).toBeCloseTo(5 + 2 * Math.sqrt(32 / 7), 12);
    expect(meanPlusKSigma(s, -1)).toBeCloseTo(5 - Math.sqrt(32 / 7), 12);
    expect(meanPlusKSigma(oneTo(100), 3)).toBeCloseTo(137.53447592764604, 10);
  });

  it('rejects bad inputs', () => {
    expectInvalid(() => meanPlusKSigma([1], 3), /at least 2 scores/);
    expectInvalid(() => meanPlusKSigma([1, 2], NaN), /k is NaN/);
    expectInvalid(() => meanPlusKSigma([1, 2], Infinity), /k is Infinity/);
  });

  it('passes a finite manual threshold through', () => {
    expect(manualThreshold(0.0031)).toBe(0.0031);
    expect(manualThreshold(-2)).toBe(-2);
    for (const v of [NaN, Infinity, '0.1' as unknown as number]) expectInvalid(() => manualThreshold(v), /finite score value/);
  });
});

describe('nextDown', () => {
  it('gives the largest double below x', () => {
    expect(nextDown(1)).toBe(1 - 2 ** -53);
    expect(nextDown(0)).toBe(-Number.MIN_VALUE);
    expect(nextDown(-1)).toBe(-1 - 2 ** -52);
    expect(nextDown(Number.MIN_VALUE)).toBe(0);
  });
});

describe('labelledThreshold', () => {
  const scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
  const labels = [0, 0, 1, 0, 1, 1];

  it('maximizes F1 (hand-computed: 6/7 at t = 0.2)', () => {
    const r = labelledThreshold(scores, labels, 'f1');
    expect(r).toEqual({
      threshold: 0.2,
      metric: 'f1',
      value: 6 / 7,
      truePositives: 3,
      falsePositives: 1,
      falseNegatives: 0,
      trueNegatives: 2,
    });
    const order = shuffled([0, 1, 2, 3, 4, 5], 4);
    const r2 = labelledThreshold(order.map((i) => scores[i]!), order.map((i) => labels[i] === 1), 'f1');
    expect(r2).toEqual(r);
  });

  it('maximizes Youden J exactly, ties going to the higher threshold (2/3 at 0.4 and at 0.2)', () => {
    const r = labelledThreshold(scores, labels, 'youden');
    expect(r.threshold).toBe(0.4);
    expect(r.value).toBeCloseTo(2 / 3, 15);
    expect([r.truePositives, r.falsePositives, r.falseNegatives, r.trueNegatives]).toEqual([2, 0, 1, 3]);
  });

  it('can flag everything: threshold just below the smallest score', () => {
    const r = labelledThreshold([1, 2, 3], [1, 1, 0], 'f1');
    expect(r.threshold).toBe(nextDown(1));
    expect(1 > r.threshold).toBe(true);
    expect(r.value).toBe(0.8);
    // Youden: flag-nothing and flag-everything both give 0; the higher threshold wins.
    expect(labelledThreshold([1, 2, 3], [1, 1, 0], 'youden')).toMatchObject({ threshold: 3, value: 0 });
  });

  it('handles tied scores with mixed labels', () => {
    expect(labelledThreshold([1, 1, 2, 2], [0, 1, 0, 1], 'f1')).toMatchObject({ threshold: nextDown(1), value: 2 / 3 });
    expect(labelledThreshold([1, 1, 2, 2], [0, 1, 0, 1], 'youden')).toMatchObject({ threshold: 2, value: 0 });
  });

  it('refuses labels without positives or without negatives', () => {
    for (const metric of ['f1', 'youden'] as const) {
      expectInvalid(() => labelledThreshold(scores, [0, 0, 0, 0, 0, 0], metric), /0 anomalies and 6 normals/);
      expectInvalid(() => labelledThreshold(scores, [true, true, true, true, true, true], metric), /6 anomalies and 0 normals/);
    }
  });

  it('rejects bad labels and metrics', () => {
    expectInvalid(() => labelledThreshold(scores, [0, 1], 'f1'), /labels has 2 entries but scores has 6/);
    expectInvalid(() => labelledThreshold(scores, [0, 1, 2, 0, 1, 0], 'f1'), /labels\[2\] is 2/);
    expectInvalid(() => labelledThreshold(scores, labels, 'auc' as 'f1'), /accepted: f1, youden/);
    expectInvalid(() => labelledThreshold([0.1, NaN], [0, 1], 'f1'), /NaN/);
  });
});

describe('quantile thresholds at an fpr within rounding of 1', () => {
  it('stay at the smallest score (never below the scores) and keep the false-positive rate <= fpr', () => {
    const scores = oneTo(2500);
    for (const fpr of [0.999999999999, 0.9999999999999999, 1 - 1e-9]) {
      expect(quantileIndex(2500, fpr)).toBe(0);
      expect(quantileIndex(2500, fpr, 'conformal')).toBe(0);
      const t = quantileThreshold(scores, fpr);
      expect(t).toBe(1);
      expect(countAbove(scores, t) / 2500).toBeLessThanOrEqual(fpr);
    }
  });
});
