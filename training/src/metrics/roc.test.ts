import { describe, expect, it } from 'vitest';
import { expectInvalid } from '../../../test/helpers/cutout-errors.js';
import { expectAllClose, expectClose, readMetricFixture } from '../../../test/helpers/metric-fixtures.js';
import { checkBinary, rocAuc, rocCurve, rocOperatingPoint, thresholdCounts, tprAtFpr } from './roc.js';

/** One case of binary.json, written by scripts/make-metric-fixtures.py from sklearn. */
interface BinaryCase {
  scores: number[];
  labels: number[];
  auc: number;
  ap: number;
  roc?: { fpr: number[]; tpr: number[]; thresholds: (number | null)[] };
  pr?: { precision: number[]; recall: number[]; thresholds: number[] };
  tprAtFpr: Record<string, { tpr: number; fpr: number; threshold: number | null }>;
  naiveAuc?: number;
}

const binary = readMetricFixture<Record<string, BinaryCase>>('binary.json');

/** AUC from a stable sort by score that ignores ties (what the code must NOT do). */
function naiveAuc(scores: readonly number[], labels: readonly number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let above = 0;
  let pairs = 0;
  let n1 = 0;
  for (let k = order.length - 1; k >= 0; k--) {
    if (labels[order[k]!] === 1) {
      above++;
      n1++;
    } else pairs += above;
  }
  return pairs / (n1 * (labels.length - n1));
}

/** Mann-Whitney U from mid-ranks (an independent formula for the tie-corrected AUC). */
function midrankAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const rank = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    for (let k = i; k <= j; k++) rank[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let r1 = 0;
  let n1 = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] === 1) {
      r1 += rank[i]!;
      n1++;
    }
  }
  return (r1 - (n1 * (n1 + 1)) / 2) / (n1 * (n - n1));
}

describe('rocAuc against sklearn.metrics.roc_auc_score', () => {
  it.each(Object.keys(binary))('%s', (name) => {
    const c = binary[name]!;
    expectClose(rocAuc(c.scores, c.labels), c.auc);
  });

  it('the tie cases separate tie-aware from naive AUC (so the comparison above can fail)', () => {
    const tieCases = Object.entries(binary).filter(([, c]) => c.naiveAuc !== undefined);
    expect(tieCases.map(([n]) => n)).toEqual(expect.arrayContaining(['heavy-ties', 'all-equal', 'three-levels']));
    for (const [, c] of tieCases) {
      expect(naiveAuc(c.scores, c.labels)).toBeCloseTo(c.naiveAuc!, 12);
      expect(Math.abs(c.naiveAuc! - c.auc)).toBeGreaterThan(1e-3);
      expect(Math.abs(rocAuc(c.scores, c.labels) - c.naiveAuc!)).toBeGreaterThan(1e-3);
    }
  });

  it('counts a tied positive/negative pair as 1/2', () => {
    expect(rocAuc([0.5, 0.5], [1, 0])).toBe(0.5);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
    // Pairs: (p=2 vs n=1) 1, (p=2 vs n=2) 1/2, (p=1 vs n=1) 1/2, (p=1 vs n=2) 0 -> 2 / 4.
    expect(rocAuc([2, 1, 1, 2], [1, 1, 0, 0])).toBe(0.5);
    // (p=3 vs n=2) 1, (p=3 vs n=3) 1/2 -> 3/4.
    expect(rocAuc([3, 2, 3], [1, 0, 0])).toBe(0.75);
  });

  it('equals the mid-rank Mann-Whitney formula on 200000 tied scores and ignores input order', () => {
    const n = 200_000;
    const scores = new Float32Array(n);
    const labels = new Uint8Array(n);
    let state = 12345;
    const rand = (): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    for (let i = 0; i < n; i++) {
      labels[i] = rand() < 0.4 ? 1 : 0;
      scores[i] = Math.round((rand() + 0.3 * labels[i]!) * 500) / 500;
    }
    const auc = rocAuc(scores, labels);
    expectClose(auc, midrankAuc(scores, labels), 1e-12);
    const rev = Float64Array.from(scores).reverse();
    const revLabels = Uint8Array.from(labels).reverse();
    expect(rocAuc(rev, revLabels)).toBe(auc);
  });

  it('treats -0 and +0 as one score', () => {
    expect(rocAuc([-0, 0], [1, 0])).toBe(0.5);
    expect(rocCurve([-0, 0, 1], [1, 0, 1]).fpr.length).toBe(3);
  });
});

describe('rocCurve against sklearn.metrics.roc_curve(drop_intermediate=False)', () => {
  const withCurves = Object.keys(binary).filter((n) => binary[n]!.roc !== undefined);
  it.each(withCurves)('%s', (name) => {
    const c = binary[name]!;
    const r = rocCurve(c.scores, c.labels);
    expectAllClose(r.fpr, c.roc!.fpr);
    expectAllClose(r.tpr, c.roc!.tpr);
    expect(r.thresholds[0]).toBe(Infinity);
    expect(c.roc!.thresholds[0]).toBeNull();
    // + 0 turns -0 into 0: a rounded score of -0 and one of 0 are the same threshold.
    expect(Array.from(r.thresholds.subarray(1), (t) => t + 0)).toEqual(c.roc!.thresholds.slice(1).map((t) => t! + 0));
  });

  it('moves FPR and TPR together at tied scores (one point per distinct score)', () => {
    const r = rocCurve([0.2, 0.5, 0.5, 0.5, 0.9], [0, 1, 0, 1, 1]);
    expect(Array.from(r.thresholds)).toEqual([Infinity, 0.9, 0.5, 0.2]);
    expect(Array.from(r.tpr)).toEqual([0, 1 / 3, 1, 1]);
    expect(Array.from(r.fpr)).toEqual([0, 0, 0.5, 1]);
    const all = rocCurve([1, 1, 1, 1], [0, 1, 1, 0]);
    expect(Array.from(all.fpr)).toEqual([0, 1]);
    expect(Array.from(all.tpr)).toEqual([0, 1]);
    const c = binary['heavy-ties']!;
    expect(rocCurve(c.scores, c.labels).fpr.length).toBe(new Set(c.scores).size + 1);
  });

  it('exposes the cumulative counts it is built from', () => {
    const t = thresholdCounts([3, 1, 2, 2], [1, 0, 0, 1]);
    expect(Array.from(t.thresholds)).toEqual([3, 2, 1]);
    expect(Array.from(t.tps)).toEqual([1, 2, 2]);
    expect(Array.from(t.fps)).toEqual([0, 1, 2]);
    expect([t.positives, t.negatives]).toEqual([2, 2]);
  });
});

describe('tprAtFpr', () => {
  it.each(Object.keys(binary))('reads the last sklearn ROC point with fpr <= level: %s', (name) => {
    const c = binary[name]!;
    for (const [level, want] of Object.entries(c.tprAtFpr)) {
      const got = tprAtFpr(c.scores, c.labels, Number(level));
      expect(got.maxFpr).toBe(Number(level));
      expectClose(got.tpr, want.tpr);
      expectClose(got.fpr, want.fpr);
      expect(got.fpr).toBeLessThanOrEqual(Number(level));
      expect(got.threshold).toBe(want.threshold ?? Infinity);
    }
  });

  it('takes the lowest threshold whose FPR stays within the level (flag score >= threshold)', () => {
    // Descending: 0.95 p, 0.9 n, 0.8 p, 0.7 p, 0.3 n, 0.25 p, 0.2 n, 0.1 n.
    const scores = [0.9, 0.3, 0.2, 0.1, 0.95, 0.8, 0.7, 0.25];
    const labels = [0, 0, 0, 0, 1, 1, 1, 1];
    expect(tprAtFpr(scores, labels, 0.25)).toEqual({ maxFpr: 0.25, tpr: 0.75, fpr: 0.25, threshold: 0.7 });
    expect(tprAtFpr(scores, labels, 0.24)).toEqual({ maxFpr: 0.24, tpr: 0.25, fpr: 0, threshold: 0.95 });
    expect(tprAtFpr(scores, labels, 0)).toEqual({ maxFpr: 0, tpr: 0.25, fpr: 0, threshold: 0.95 });
    expect(tprAtFpr(scores, labels, 0.5)).toEqual({ maxFpr: 0.5, tpr: 1, fpr: 0.5, threshold: 0.25 });
    expect(tprAtFpr(scores, labels, 1)).toEqual({ maxFpr: 1, tpr: 1, fpr: 1, threshold: 0.1 });
  });

  it('flags nothing (threshold Infinity) when a negative ties or tops every positive', () => {
    expect(tprAtFpr([0.99, 0.5, 0.6], [0, 1, 1], 0.01)).toEqual({ maxFpr: 0.01, tpr: 0, fpr: 0, threshold: Infinity });
    // The tie at 0.8 puts a negative and a positive in one step: FPR 1/2 at once.
    expect(tprAtFpr([0.8, 0.8, 0.1], [0, 1, 0], 0.4)).toEqual({ maxFpr: 0.4, tpr: 0, fpr: 0, threshold: Infinity });
  });

  it('reaches a level of exactly k / n0', () => {
    // Negatives score 0..99 (n0 = 100), positives 100..119: FPR 5% = 5 negatives = scores >= 95.
    const scores = Array.from({ length: 120 }, (_, i) => i);
    const labels = scores.map((s) => (s >= 100 ? 1 : 0));
    expect(tprAtFpr(scores, labels, 0.05)).toEqual({ maxFpr: 0.05, tpr: 1, fpr: 0.05, threshold: 95 });
    expect(tprAtFpr(scores, labels, 0.07)).toEqual({ maxFpr: 0.07, tpr: 1, fpr: 0.07, threshold: 93 });
    expect(tprAtFpr(scores, labels, 0.0699)).toEqual({ maxFpr: 0.0699, tpr: 1, fpr: 0.06, threshold: 94 });
  });

  it('rocOperatingPoint gives the same from a precomputed curve', () => {
    const c = binary['random']!;
    const curve = rocCurve(c.scores, c.labels);
    expect(rocOperatingPoint(curve, 0.05)).toEqual(tprAtFpr(c.scores, c.labels, 0.05));
  });
});

describe('input checks', () => {
  it('rejects bad inputs with invalid_argument, saying what is accepted', () => {
    expectInvalid(() => rocAuc([], []), /scores is empty/);
    expectInvalid(() => rocAuc([1, 2], [1]), /scores has 2 values but labels has 1/);
    expectInvalid(() => rocAuc([1, NaN], [1, 0]), /scores\[1\] is NaN.*finite/);
    expectInvalid(() => rocCurve([1, Infinity], [1, 0]), /scores\[1\] is Infinity/);
    expectInvalid(() => rocAuc([1, 2], [1, 2]), /labels\[1\] is 2; labels must be 0 .* or 1/);
    expectInvalid(() => rocAuc([1, 2], [1, 1]), /no sample has label 0/);
    expectInvalid(() => rocCurve([1, 2], [0, 0]), /no sample has label 1/);
    expectInvalid(() => tprAtFpr([1, 2], [0, 1], 1.5), /FPR level is 1.5; pass a number in \[0, 1\]/);
    expectInvalid(() => tprAtFpr([1, 2], [0, 1], NaN), /FPR level is NaN/);
    expectInvalid(() => checkBinary('x', [1], [0.5]), /^x: labels\[0\] is 0.5/);
  });
});
