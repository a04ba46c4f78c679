import { describe, expect, it } from 'vitest';
import { expectInvalid } from '../../../test/helpers/cutout-errors.js';
import { expectClose, readMetricFixture } from '../../../test/helpers/metric-fixtures.js';
import { averagePrecision, evaluateScores, precisionRecallCurve } from './pr.js';
import { rocAuc, tprAtFpr } from './roc.js';

/** binary.json and classes.json are written by scripts/make-metric-fixtures.py from sklearn. */
interface BinaryCase {
  scores: number[];
  labels: number[];
  auc: number;
  ap: number;
  pr?: { precision: number[]; recall: number[]; thresholds: number[] };
}

interface OperatingPointFixture {
  tpr: number;
  fpr: number;
  threshold: number | null;
}

interface ClassesFixture {
  scores: number[];
  classes: string[];
  expected: {
    counts: Record<string, number>;
    aucPooled: number;
    aucSpherical: number;
    aucVortex: number;
    aupr: number;
    tprAt1: OperatingPointFixture;
    tprAt5: OperatingPointFixture;
  };
}

const binary = readMetricFixture<Record<string, BinaryCase>>('binary.json');
const classes = readMetricFixture<ClassesFixture>('classes.json');

/** AP with one step per sample after a stable sort, ignoring ties (what the code must NOT do). */
function naiveAp(scores: readonly number[], labels: readonly number[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const n1 = labels.filter((l) => l === 1).length;
  let tp = 0;
  let sum = 0;
  order.forEach((idx, k) => {
    if (labels[idx] === 1) {
      tp++;
      sum += tp / (k + 1);
    }
  });
  return sum / n1;
}

describe('averagePrecision against sklearn.metrics.average_precision_score', () => {
  it.each(Object.keys(binary))('%s', (name) => {
    const c = binary[name]!;
    expectClose(averagePrecision(c.scores, c.labels), c.ap);
  });

  it('handles ties like sklearn (one step per distinct score), unlike a per-sample sum', () => {
    for (const name of ['heavy-ties', 'all-equal', 'three-levels']) {
      const c = binary[name]!;
      expect(Math.abs(naiveAp(c.scores, c.labels) - c.ap)).toBeGreaterThan(1e-3);
    }
    // All scores equal: one step to recall 1 at precision n1 / n.
    expect(averagePrecision([0.3, 0.3, 0.3, 0.3, 0.3], [1, 0, 0, 1, 0])).toBe(0.4);
    // Steps: 0.9 (1 p) P = 1, 0.5 (1 p + 1 n) P = 2/3: AP = 1/2 * 1 + 1/2 * 2/3.
    expect(averagePrecision([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0])).toBeCloseTo(5 / 6, 15);
  });
});

describe('precisionRecallCurve against sklearn.metrics.precision_recall_curve', () => {
  const withCurves = Object.keys(binary).filter((n) => binary[n]!.pr !== undefined);
  it.each(withCurves)('%s', (name) => {
    const c = binary[name]!;
    const want = c.pr!;
    const got = precisionRecallCurve(c.scores, c.labels);
    // sklearn stops at the first threshold with recall 1; darklens goes on to the lowest score.
    const k = want.thresholds.length;
    expect(got.thresholds.length).toBeGreaterThanOrEqual(k);
    for (let i = 0; i < k; i++) {
      expectClose(got.precision[i]!, want.precision[i]!);
      expectClose(got.recall[i]!, want.recall[i]!);
      expect(got.thresholds[i]! + 0).toBe(want.thresholds[i]! + 0);
    }
    expect(got.recall[k - 1]).toBe(1);
    for (let i = k; i < got.recall.length; i++) expect(got.recall[i]).toBe(1);
  });
});

describe('evaluateScores against sklearn (classes.json)', () => {
  const e = classes.expected;
  it('matches the pooled and per-class metrics on unequal class counts, without subsampling', () => {
    const r = evaluateScores({ scores: classes.scores, classes: classes.classes });
    expect(r.counts).toEqual(e.counts);
    expect(new Set(Object.values(r.counts)).size).toBe(3);
    expectClose(r.aucPooled, e.aucPooled);
    expectClose(r.aucSpherical, e.aucSpherical);
    expectClose(r.aucVortex, e.aucVortex);
    expectClose(r.aupr, e.aupr);
    for (const [got, want, level] of [
      [r.tprAt1, e.tprAt1, 0.01],
      [r.tprAt5, e.tprAt5, 0.05],
    ] as const) {
      expect(got.maxFpr).toBe(level);
      expectClose(got.tpr, want.tpr);
      expectClose(got.fpr, want.fpr);
      expect(got.threshold).toBe(want.threshold ?? Infinity);
    }
  });

  it('agrees with the binary functions on the same data', () => {
    const r = evaluateScores({ scores: classes.scores, classes: classes.classes });
    const labels = classes.classes.map((c) => (c === 'no_sub' ? 0 : 1));
    expect(r.aucPooled).toBe(rocAuc(classes.scores, labels));
    expect(r.aupr).toBe(averagePrecision(classes.scores, labels));
    expect(r.tprAt5).toEqual(tprAtFpr(classes.scores, labels, 0.05));
    const keep = classes.classes.map((c) => c !== 'spherical');
    const s = classes.scores.filter((_, i) => keep[i]);
    const l = classes.classes.filter((_, i) => keep[i]).map((c) => (c === 'vortex' ? 1 : 0));
    expect(r.aucVortex).toBe(rocAuc(s, l));
  });

  it('gives per-class AUCs that differ from the pooled one (so they are not mixed up)', () => {
    expect(Math.abs(e.aucSpherical - e.aucVortex)).toBeGreaterThan(0.05);
    expect(Math.abs(e.aucPooled - e.aucVortex)).toBeGreaterThan(0.02);
  });

  it('rejects bad inputs with invalid_argument', () => {
    expectInvalid(() => evaluateScores({ scores: [], classes: [] }), /scores is empty/);
    expectInvalid(
      () => evaluateScores({ scores: [1, 2, 3], classes: ['no_sub', 'vortex'] }),
      /scores has 3 values but classes has 2/,
    );
    expectInvalid(
      () => evaluateScores({ scores: [1, 2, 3], classes: ['no_sub', 'spherical', 'cdm'] }),
      /classes\[2\] is "cdm"; accepted classes are no_sub, spherical, vortex/,
    );
    expectInvalid(
      () => evaluateScores({ scores: [1, 2, 3], classes: ['no_sub', 'spherical', 'spherical'] }),
      /class vortex has no samples/,
    );
    expectInvalid(
      () => evaluateScores({ scores: [1, 2, 3], classes: ['vortex', 'spherical', 'spherical'] }),
      /class no_sub has no samples/,
    );
    expectInvalid(
      () => evaluateScores({ scores: [1, NaN, 3], classes: ['no_sub', 'spherical', 'vortex'] }),
      /scores\[1\] is NaN/,
    );
    expectInvalid(() => averagePrecision([0.1, 0.2], [0, 0]), /no sample has label 1/);
  });
});
