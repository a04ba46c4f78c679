/**
 * ROC analysis of anomaly scores: the exact ROC curve, its area (ROC AUC) and the TPR at a fixed
 * FPR. Conventions shared by every metric here:
 *
 * - A score is a per-image anomaly score; higher means more anomalous. Scores must be finite.
 * - A label is 1 for substructure (positive) and 0 for no substructure (negative).
 * - The decision rule is "flag an image when score >= threshold". Each distinct score is a
 *   threshold; images with tied scores are flagged together, so a tie moves FPR and TPR in one
 *   step (a diagonal segment of the curve), never one image at a time.
 *
 * Everything is O(n log n): positives and negatives are sorted separately (typed-array sorts) and
 * merged from the top down, one step per distinct score.
 */
import { checkFinite, DarklensError } from '@darklens/core';

/** Scores or labels as a plain array or any typed array. */
export type NumericArray = ArrayLike<number>;

/** Cumulative counts at every distinct threshold, highest threshold first. */
export interface ThresholdCounts {
  /** The distinct scores, strictly decreasing. */
  thresholds: Float64Array;
  /** tps[k]: positives with score >= thresholds[k]. */
  tps: Float64Array;
  /** fps[k]: negatives with score >= thresholds[k]. */
  fps: Float64Array;
  /** Number of label-1 (substructure) samples. */
  positives: number;
  /** Number of label-0 (no substructure) samples. */
  negatives: number;
}

/** An exact ROC curve: one point per distinct threshold, plus the starting point (0, 0). */
export interface RocCurve {
  /** False positive rate, non-decreasing from 0 to 1. */
  fpr: Float64Array;
  /** True positive rate, non-decreasing from 0 to 1. */
  tpr: Float64Array;
  /**
   * thresholds[k]: point k flags the images with score >= thresholds[k]. Strictly decreasing;
   * thresholds[0] is Infinity (flag nothing: the point (0, 0)) and the last is the lowest score
   * (flag everything: the point (1, 1)). sklearn.metrics.roc_curve(..., drop_intermediate=False)
   * gives the same fpr and tpr and the same thresholds after the first (sklearn 1.2 puts
   * max(score) + 1 first, later versions Infinity).
   */
  thresholds: Float64Array;
}

/** The operating point chosen by tprAtFpr. */
export interface OperatingPoint {
  /** The FPR level asked for. */
  maxFpr: number;
  /** The TPR at the chosen threshold. */
  tpr: number;
  /** The FPR actually reached at the chosen threshold (<= maxFpr). */
  fpr: number;
  /** Flag score >= threshold. Infinity when no sample score keeps the FPR within maxFpr. */
  threshold: number;
}

/**
 * Checks scores and 0/1 labels (same length, finite scores, at least one sample of each class)
 * and throws DarklensError('invalid_argument') saying what is wrong. `what` names the caller.
 */
export function checkBinary(what: string, scores: NumericArray, labels: NumericArray): void {
  checkScores(what, scores);
  if (labels.length !== scores.length) {
    throw new DarklensError(
      'invalid_argument',
      `${what}: scores has ${scores.length} values but labels has ${labels.length}; pass one label per score`,
    );
  }
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === 1) positives++;
    else if (l !== 0) {
      throw new DarklensError(
        'invalid_argument',
        `${what}: labels[${i}] is ${String(l)}; labels must be 0 (no substructure) or 1 (substructure)`,
      );
    }
  }
  if (positives === 0 || positives === labels.length) {
    const missing = positives === 0 ? '1 (substructure)' : '0 (no substructure)';
    throw new DarklensError(
      'invalid_argument',
      `${what}: no sample has label ${missing}; the metric needs at least one sample of each class`,
    );
  }
}

/** Checks that scores is non-empty and every score is a finite number. */
export function checkScores(what: string, scores: NumericArray, name = 'scores'): void {
  checkFinite(what, scores, name);
}

/**
 * The cumulative true/false positive counts at each distinct score, highest first (the building
 * block of every curve here). Validates its input like checkBinary.
 */
export function thresholdCounts(scores: NumericArray, labels: NumericArray, what = 'thresholdCounts'): ThresholdCounts {
  checkBinary(what, scores, labels);
  let nPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) nPos++;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(labels.length - nPos);
  let p = 0;
  let q = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) pos[p++] = scores[i]!;
    else neg[q++] = scores[i]!;
  }
  pos.sort();
  neg.sort();

  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let i = pos.length - 1;
  let j = neg.length - 1;
  let tp = 0;
  let fp = 0;
  while (i >= 0 || j >= 0) {
    // Scores are finite, so -Infinity marks an exhausted side. -0 and +0 compare equal and merge.
    const v = Math.max(i >= 0 ? pos[i]! : -Infinity, j >= 0 ? neg[j]! : -Infinity);
    while (i >= 0 && pos[i] === v) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] === v) {
      fp++;
      j--;
    }
    thresholds.push(v);
    tps.push(tp);
    fps.push(fp);
  }
  return {
    thresholds: Float64Array.from(thresholds),
    tps: Float64Array.from(tps),
    fps: Float64Array.from(fps),
    positives: pos.length,
    negatives: neg.length,
  };
}

/** The ROC curve of precomputed threshold counts (see rocCurve). */
export function rocCurveFromCounts(c: ThresholdCounts): RocCurve {
  const k = c.thresholds.length;
  const fpr = new Float64Array(k + 1);
  const tpr = new Float64Array(k + 1);
  const thresholds = new Float64Array(k + 1);
  thresholds[0] = Infinity;
  for (let m = 0; m < k; m++) {
    fpr[m + 1] = c.fps[m]! / c.negatives;
    tpr[m + 1] = c.tps[m]! / c.positives;
    thresholds[m + 1] = c.thresholds[m]!;
  }
  return { fpr, tpr, thresholds };
}

/**
 * The exact ROC curve: (0, 0) at threshold Infinity, then one point per distinct score from the
 * highest down, ending at (1, 1). Tied scores form a single step. No points are dropped.
 * Throws DarklensError('invalid_argument') for empty or mismatched inputs, non-finite scores,
 * labels other than 0/1, or a class with no samples.
 */
export function rocCurve(scores: NumericArray, labels: NumericArray): RocCurve {
  return rocCurveFromCounts(thresholdCounts(scores, labels, 'rocCurve'));
}

/** The ROC AUC of precomputed threshold counts (see rocAuc). */
export function rocAucFromCounts(c: ThresholdCounts): number {
  // Twice the Mann-Whitney U: each negative in a step counts the positives strictly above it
  // twice and the positives tied with it once. All integers, so exact below 2^53.
  let twiceU = 0;
  let tpPrev = 0;
  let fpPrev = 0;
  for (let m = 0; m < c.thresholds.length; m++) {
    const tp = c.tps[m]!;
    const fp = c.fps[m]!;
    twiceU += (fp - fpPrev) * (tpPrev + tp);
    tpPrev = tp;
    fpPrev = fp;
  }
  return twiceU / (2 * c.positives * c.negatives);
}

/**
 * Area under the ROC curve = Mann-Whitney U / (n0 n1), counting a tied (positive, negative) pair
 * as 1/2: the probability that a random substructure image scores above a random smooth one, ties
 * broken by a fair coin. Equals the trapezoidal area under rocCurve and
 * sklearn.metrics.roc_auc_score up to float rounding (here: one rounding, in the final division).
 * Throws DarklensError('invalid_argument') on bad input (see rocCurve).
 */
export function rocAuc(scores: NumericArray, labels: NumericArray): number {
  return rocAucFromCounts(thresholdCounts(scores, labels, 'rocAuc'));
}

function checkLevel(what: string, maxFpr: number): void {
  if (typeof maxFpr !== 'number' || !(maxFpr >= 0 && maxFpr <= 1)) {
    throw new DarklensError('invalid_argument', `${what}: the FPR level is ${String(maxFpr)}; pass a number in [0, 1]`);
  }
}

/** The operating point of a precomputed ROC curve at FPR level maxFpr (see tprAtFpr). */
export function rocOperatingPoint(curve: RocCurve, maxFpr: number): OperatingPoint {
  checkLevel('rocOperatingPoint', maxFpr);
  // fpr is non-decreasing and fpr[0] = 0 <= maxFpr: find the last point with fpr <= maxFpr.
  let lo = 0;
  let hi = curve.fpr.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (curve.fpr[mid]! <= maxFpr) lo = mid;
    else hi = mid - 1;
  }
  return { maxFpr, tpr: curve.tpr[lo]!, fpr: curve.fpr[lo]!, threshold: curve.thresholds[lo]! };
}

/**
 * The TPR at a fixed FPR level, in the decision-threshold view (flag score >= threshold, no
 * interpolation between ROC points). Rule: among the thresholds t of rocCurve (Infinity and every
 * distinct score), take the lowest t whose FPR, (negatives with score >= t) / n0, is <= maxFpr;
 * report its TPR, its FPR and t. That is the most permissive threshold that keeps the false alarm
 * rate within the level, and so the highest TPR any threshold reaches with FPR <= maxFpr.
 * Because tied scores are flagged together, the reached FPR can be below the level; when even the
 * highest score already exceeds it (a negative ties or tops every positive), the result is the
 * point (0, 0) with threshold Infinity. FPR values are compared as the float fp / n0, so a level of
 * exactly k / n0 (e.g. 0.05 with n0 = 100 and k = 5) is reached.
 * Throws DarklensError('invalid_argument') on bad input (see rocCurve) or a level outside [0, 1].
 */
export function tprAtFpr(scores: NumericArray, labels: NumericArray, maxFpr: number): OperatingPoint {
  checkLevel('tprAtFpr', maxFpr);
  return rocOperatingPoint(rocCurve(scores, labels), maxFpr);
}
