import { describe, expect, it } from 'vitest';
import { oneTo } from '../../../test/helpers/calibration-data.js';
import { expectError } from '../../../test/helpers/cutout-errors.js';
import { buildCalibration } from './calibration-file.js';
import { Calibrator, combinePValues, normalizeScore, ReferenceScores } from './scoring.js';
import { CalibrationRng, floorTolerant, quantileThreshold } from './thresholds.js';

describe('ReferenceScores', () => {
  const ref = new ReferenceScores(oneTo(100).reverse());

  it('scores 1..100: p-values (1 + #{s >= x}) / 101', () => {
    expect(ref.pValue(95)).toBe(7 / 101);
    expect(ref.pValue(95.5)).toBe(6 / 101);
    expect(ref.pValue(96)).toBe(6 / 101);
    expect(ref.pValue(100)).toBe(2 / 101);
    expect(ref.pValue(101)).toBe(1 / 101);
    expect(ref.pValue(Infinity)).toBe(1 / 101);
    expect(ref.pValue(1)).toBe(1);
    expect(ref.pValue(0)).toBe(1);
    expect(ref.pValue(-Infinity)).toBe(1);
  });

  it('scores 1..100: percentiles 100 * #{s <= x} / 100', () => {
    expect(ref.percentile(95)).toBe(95);
    expect(ref.percentile(95.5)).toBe(95);
    expect(ref.percentile(0.5)).toBe(0);
    expect(ref.percentile(1)).toBe(1);
    expect(ref.percentile(100)).toBe(100);
    expect(ref.percentile(1e9)).toBe(100);
    expect([ref.count, ref.min, ref.max]).toEqual([100, 1, 100]);
  });

  it('counts ties on the side of the query', () => {
    const tied = new ReferenceScores([2, 3, 2, 1, 2]);
    expect(tied.countAtLeast(2)).toBe(4);
    expect(tied.countAtMost(2)).toBe(4);
    expect(tied.pValue(2)).toBe(5 / 6);
    expect(tied.percentile(2)).toBe(80);
  });

  it('agrees with a linear scan on random tied data', () => {
    const rng = new CalibrationRng(9);
    const s = Array.from({ length: 257 }, () => rng.int(40));
    const r = new ReferenceScores(s);
    for (let x = -1.5; x <= 41; x += 0.5) {
      expect(r.countAtLeast(x)).toBe(s.filter((v) => v >= x).length);
      expect(r.countAtMost(x)).toBe(s.filter((v) => v <= x).length);
    }
  });

  it('rejects NaN queries and bad calibration scores', () => {
    expectError(() => ref.pValue(NaN), 'invalid_argument', /score is NaN/);
    expectError(() => ref.percentile(NaN), 'invalid_argument', /score is NaN/);
    expectError(() => new ReferenceScores([]), 'invalid_argument', /calibration scores is empty/);
    expectError(() => new ReferenceScores([1, Infinity]), 'invalid_argument', /calibration scores\[1\] is Infinity/);
  });
});

describe('quantile thresholds and p-values agree', () => {
  it('x > empirical t <=> p(x) <= (1 + floor(fpr n)) / (n + 1); x > conformal t <=> p(x) <= fpr', () => {
    const rng = new CalibrationRng(31);
    for (const n of [19, 20, 50, 99, 100, 137]) {
      const s = Array.from({ length: n }, () => rng.int(Math.ceil(n / 3))); // many ties
      const ref = new ReferenceScores(s);
      for (const fpr of [0.01, 0.05, 0.1, 0.2, 0.29]) {
        const tEmp = quantileThreshold(s, fpr, 'empirical');
        const cut = (1 + floorTolerant(fpr * n)) / (n + 1);
        const conformal = floorTolerant(fpr * (n + 1)) >= 1;
        const tConf = conformal ? quantileThreshold(s, fpr, 'conformal') : Infinity;
        for (let x = -1; x <= n / 3 + 1; x += 0.25) {
          const p = ref.pValue(x);
          expect(x > tEmp, `n ${n} fpr ${fpr} x ${x}`).toBe(p <= cut);
          expect(x > tConf, `n ${n} fpr ${fpr} x ${x} conformal`).toBe(p <= fpr);
        }
      }
    }
  });

  it('scores 1..100, fpr 0.05: 95.5 is flagged by the empirical threshold with p = 6/101 > 0.05', () => {
    const ref = new ReferenceScores(oneTo(100));
    expect(95.5 > quantileThreshold(oneTo(100), 0.05)).toBe(true);
    expect(ref.pValue(95.5)).toBeGreaterThan(0.05);
    expect(96.5 > quantileThreshold(oneTo(100), 0.05, 'conformal')).toBe(true);
    expect(ref.pValue(96.5)).toBe(5 / 101); // <= 0.05
    expect(ref.pValue(96)).toBeGreaterThan(0.05);
  });
});

describe('p-values are valid under exchangeability (simulation)', () => {
  const draws = 20_000;
  const alphas = [0.01, 0.05, 0.1];

  /** Fraction of draws with p <= alpha, a fresh calibration set and test score each draw. */
  function rejectionRates(n: number, seed: number, sample: (rng: CalibrationRng) => number): { corrected: number[]; uncorrected: number[] } {
    const rng = new CalibrationRng(seed);
    const corrected = alphas.map(() => 0);
    const uncorrected = alphas.map(() => 0);
    const cal = new Array<number>(n);
    for (let d = 0; d < draws; d++) {
      for (let i = 0; i < n; i++) cal[i] = sample(rng);
      const x = sample(rng);
      const ref = new ReferenceScores(cal);
      const p = ref.pValue(x);
      const naive = ref.countAtLeast(x) / n; // no +1: not valid
      alphas.forEach((a, k) => {
        if (p <= a) corrected[k]!++;
        if (naive <= a) uncorrected[k]!++;
      });
    }
    return { corrected: corrected.map((c) => c / draws), uncorrected: uncorrected.map((c) => c / draws) };
  }

  const lognormal = (rng: CalibrationRng): number => Math.exp(-6 + 0.3 * rng.normal()); // MSE-like
  const tol = (a: number): number => 4 * Math.sqrt((a * (1 - a)) / draws);

  it('continuous scores: P(p <= alpha) = floor(alpha (n + 1)) / (n + 1) <= alpha', () => {
    for (const [n, seed] of [
      [50, 1],
      [199, 2],
    ] as const) {
      const { corrected, uncorrected } = rejectionRates(n, seed, lognormal);
      alphas.forEach((a, k) => {
        const exact = Math.floor(a * (n + 1) + 1e-9) / (n + 1);
        expect(exact).toBeLessThanOrEqual(a);
        expect(corrected[k]!, `n ${n} alpha ${a}`).toBeLessThanOrEqual(a + tol(a));
        expect(Math.abs(corrected[k]! - exact), `n ${n} alpha ${a}`).toBeLessThan(tol(a) + 1e-9);
      });
      if (n === 50) {
        // The test has power: without the +1 correction, alpha = 0.05 is exceeded (3/51 = 0.059).
        expect(uncorrected[1]!).toBeGreaterThan(0.05 + tol(0.05));
      }
    }
  });

  it('heavily tied (discretized) scores: still P(p <= alpha) <= alpha', () => {
    const discrete = (rng: CalibrationRng): number => Math.round(3 * rng.normal());
    const { corrected } = rejectionRates(99, 3, discrete);
    alphas.forEach((a, k) => expect(corrected[k]!, `alpha ${a}`).toBeLessThanOrEqual(a + tol(a)));
  });
});

describe('normalizeScore', () => {
  const anchors = { min: 1, max: 100, threshold: 95 };

  it('maps min -> 0, threshold -> exactly 0.5, max -> 1, linear in between, clamped outside', () => {
    expect(normalizeScore(95, anchors)).toBe(0.5);
    expect(normalizeScore(1, anchors)).toBe(0);
    expect(normalizeScore(100, anchors)).toBe(1);
    expect(normalizeScore(48, anchors)).toBe(0.25);
    expect(normalizeScore(97.5, anchors)).toBe(0.75);
    expect(normalizeScore(0, anchors)).toBe(0);
    expect(normalizeScore(-Infinity, anchors)).toBe(0);
    expect(normalizeScore(1e6, anchors)).toBe(1);
    expect(normalizeScore(Infinity, anchors)).toBe(1);
  });

  it('is strictly increasing on the calibration range and monotone everywhere', () => {
    let prev = -1;
    for (let x = -10; x <= 120; x += 0.125) {
      const y = normalizeScore(x, anchors);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(1);
      if (x > 1 && x <= 100) expect(y, `x ${x}`).toBeGreaterThan(prev);
      else expect(y).toBeGreaterThanOrEqual(prev);
      prev = y;
    }
  });

  it('mirrors the missing half when the threshold is at or beyond an end of the range', () => {
    const top = { min: 1, max: 100, threshold: 100 };
    expect(normalizeScore(100, top)).toBe(0.5);
    expect(normalizeScore(149.5, top)).toBe(0.75);
    expect(normalizeScore(199, top)).toBe(1);
    const above = { min: 1, max: 100, threshold: 150 };
    expect(normalizeScore(150, above)).toBe(0.5);
    expect(normalizeScore(100, above)).toBeLessThan(0.5);
    expect(normalizeScore(299, above)).toBe(1);
    const below = { min: 1, max: 100, threshold: 0.5 };
    expect(normalizeScore(0.5, below)).toBe(0.5);
    expect(normalizeScore(-99, below)).toBe(0);
    expect(normalizeScore(1, below)).toBeGreaterThan(0.5);
    expect(normalizeScore(100, below)).toBe(1);
  });

  it('is a step when all calibration scores equal the threshold', () => {
    const flat = { min: 2, max: 2, threshold: 2 };
    expect([normalizeScore(1.9, flat), normalizeScore(2, flat), normalizeScore(2.1, flat)]).toEqual([0, 0.5, 1]);
  });
});

describe('Calibrator', () => {
  const rng = new CalibrationRng(77);
  const normal = Array.from({ length: 500 }, () => Math.exp(-6 + 0.3 * rng.normal()));
  const file = buildCalibration({
    model: { name: 'cae', version: '1' },
    input: { width: 64, height: 64, pixelScale: 0.1 },
    set: 'no_sub-calib',
    scores: normal,
    seed: 3,
    manual: [{ name: 'hand', value: 0.004 }],
    bootstrap: { resamples: 100 },
    createdAt: '2025-01-01T00:00:00Z',
  });
  const cal = new Calibrator(file);
  const t = cal.thresholdValue();

  it('exposes thresholds by name and uses the default when none is named', () => {
    expect(cal.defaultThresholdName).toBe('fpr-0.05');
    expect(cal.thresholdNames).toEqual(['fpr-0.01', 'fpr-0.05', 'mean+3sigma', 'hand']);
    expect(t).toBe(quantileThreshold(normal, 0.05));
    expect(cal.thresholdValue('hand')).toBe(0.004);
    expect(cal.thresholdValue(0.123)).toBe(0.123);
    expect(cal.thresholdItem('fpr-0.01').fpr).toBe(0.01);
    expect(cal.count).toBe(500);
  });

  it('flags score > threshold', () => {
    expect(cal.flag(t)).toBe(false);
    expect(cal.flag(t * 1.0001)).toBe(true);
    expect(cal.flag(0.0041, 'hand')).toBe(true);
    expect(cal.flag(0.004, 'hand')).toBe(false);
    expect(cal.flag(0.5, 0.6)).toBe(false);
    expect(cal.flag(0.7, 0.6)).toBe(true);
    expectError(() => cal.flag(0.1, 'nope'), 'not_found', /threshold "nope" is not in the calibration of cae; accepted: fpr-0.01/);
    expectError(() => cal.flag(0.1, NaN), 'invalid_argument', /threshold is NaN/);
    expectError(() => cal.flag(NaN), 'invalid_argument', /score is NaN/);
  });

  it('the default threshold has normalized score 0.5; the map is monotone', () => {
    expect(cal.normalizedScore(t)).toBe(0.5);
    const lo = cal.reference.min;
    const hi = cal.reference.max;
    expect(cal.normalizedScore(lo)).toBe(0);
    expect(cal.normalizedScore(hi)).toBe(1);
    let prev = -Infinity;
    for (let k = 0; k <= 1000; k++) {
      const x = lo + ((hi - lo) * k) / 1000;
      const y = cal.normalizedScore(x);
      if (k > 0) expect(y).toBeGreaterThan(prev);
      prev = y;
    }
  });

  it('p-values and percentiles match the reference scores', () => {
    const sorted = normal.slice().sort((a, b) => a - b);
    expect(cal.pValue(sorted[499]!)).toBe(2 / 501);
    expect(cal.pValue(1)).toBe(1 / 501);
    expect(cal.percentile(sorted[249]!)).toBe(50);
    const a = cal.assess(0.004, 'hand');
    expect(a).toEqual({
      score: 0.004,
      pValue: cal.pValue(0.004),
      percentile: cal.percentile(0.004),
      normalizedScore: normalizeScore(0.004, { min: sorted[0]!, max: sorted[499]!, threshold: 0.004 }),
      threshold: { name: 'hand', value: 0.004 },
      flagged: false,
    });
    expect(a.normalizedScore).toBe(0.5);
    expect(cal.assess(t).threshold).toEqual({ name: 'fpr-0.05', value: t });
    expect(cal.assess(1, 0.5)).toMatchObject({ threshold: { name: null, value: 0.5 }, flagged: true, normalizedScore: 1 });
  });

  it('reads calibration.json text and validates what it is given', () => {
    const again = Calibrator.fromJSON(JSON.stringify(file));
    expect(again.pValue(0.003)).toBe(cal.pValue(0.003));
    expect(again.normalizedScore(0.003)).toBe(cal.normalizedScore(0.003));
    expectError(() => Calibrator.fromJSON('{"version": 1,'), 'invalid_argument', /not valid JSON/);
    expectError(() => new Calibrator({ ...file, version: 2 }), 'invalid_argument', /calibration version is 2/);
  });
});

describe('combinePValues', () => {
  it('bonferroni: min p times k, capped at 1', () => {
    expect(combinePValues([0.01, 0.2, 0.03], 'bonferroni')).toBe(0.03);
    expect(combinePValues([0.5, 0.6], 'bonferroni')).toBe(1);
    expect(combinePValues([0.02], 'bonferroni')).toBe(0.02);
    expect(combinePValues([0, 1], 'bonferroni')).toBe(0);
  });

  it('weighted: Bonferroni min p_i / w_i and the weighted Cauchy statistic; equal weights change nothing', () => {
    expect(combinePValues([0.01, 0.2], 'bonferroni', [3, 1])).toBeCloseTo(0.01 / 0.75, 15);
    expect(combinePValues([0.01, 0.2], 'bonferroni', [1, 3])).toBeCloseTo(0.04, 15);
    const t = 0.75 / Math.tan(0.01 * Math.PI) + 0.25 / Math.tan(0.2 * Math.PI);
    expect(combinePValues([0.01, 0.2], 'cauchy', [3, 1])).toBeCloseTo(Math.atan(1 / t) / Math.PI, 15);
    expect(combinePValues([0.01, 0.2, 0.4], 'cauchy', [2, 2, 2])).toBeCloseTo(combinePValues([0.01, 0.2, 0.4], 'cauchy'), 15);
    // A member with all the weight is the combination.
    expect(combinePValues([0.3, 0.001], 'cauchy', [1e-12, 1])).toBeCloseTo(0.001, 9);
    expect(() => combinePValues([0.1, 0.2], 'cauchy', [1])).toThrow(/1 weights for 2 p-values/);
    expect(() => combinePValues([0.1, 0.2], 'cauchy', [1, 0])).toThrow(/weight 1 is 0/);
  });

  it('cauchy: hand-computed values', () => {
    // tan(0) = 0
    expect(combinePValues([0.5, 0.5], 'cauchy')).toBeCloseTo(0.5, 15);
    // tan(pi/4) = 1 and tan(-pi/4) = -1 cancel
    expect(combinePValues([0.25, 0.75], 'cauchy')).toBeCloseTo(0.5, 15);
    // T = (1 + 0) / 2 = 0.5 -> 0.5 - atan(0.5) / pi
    expect(combinePValues([0.25, 0.5], 'cauchy')).toBeCloseTo(0.35241638234956674, 14);
    // T = (tan(0.49 pi) + 0 + tan(-0.4 pi)) / 3 = 9.580944138866199 -> 0.033103366413410995
    expect(combinePValues([0.01, 0.5, 0.9], 'cauchy')).toBeCloseTo(0.033103366413410995, 12);
  });

  it('cauchy: equal p-values give that p back; extremes', () => {
    for (const p of [1e-8, 0.001, 0.05, 0.3, 0.9]) {
      expect(combinePValues([p, p, p], 'cauchy') / p).toBeCloseTo(1, 8);
    }
    expect(combinePValues([0.2], 'cauchy')).toBe(0.2);
    expect(combinePValues([0, 0.7], 'cauchy')).toBe(0);
    expect(combinePValues([1, 1], 'cauchy')).toBe(1);
    // tan((0.5 - p) pi) ~ 1 / (p pi): T ~ 1 / (2e-20 pi) -> p ~ 2e-20
    expect(combinePValues([1e-20, 0.5], 'cauchy') / 2e-20).toBeCloseTo(1, 6);
    // less conservative than Bonferroni when models agree
    expect(combinePValues([0.01, 0.012, 0.011], 'cauchy')).toBeLessThan(combinePValues([0.01, 0.012, 0.011], 'bonferroni'));
  });

  it('rejects bad input', () => {
    expectError(() => combinePValues([], 'cauchy'), 'invalid_argument', /non-empty/);
    expectError(() => combinePValues([0.1, 1.2], 'bonferroni'), 'invalid_argument', /p-value 1 is 1.2/);
    expectError(() => combinePValues([NaN], 'cauchy'), 'invalid_argument', /p-value 0 is NaN/);
    expectError(() => combinePValues([0.1], 'fisher' as 'cauchy'), 'invalid_argument', /accepted: bonferroni, cauchy/);
  });
});
