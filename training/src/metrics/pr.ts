/**
 * Precision-recall analysis (the precision-recall curve and average precision, AUPR) and
 * evaluateScores, the per-run summary that combines ROC and PR metrics over the three lens
 * classes. Conventions as in roc.ts: higher score = more anomalous, label 1 = substructure,
 * flag score >= threshold, tied scores flagged together.
 */
import { DarklensError } from '@darklens/core';
import { LENS_CLASSES, type LensClass } from '../simulate/presets.js';
import {
  rocAucFromCounts,
  rocCurveFromCounts,
  rocOperatingPoint,
  thresholdCounts,
  type NumericArray,
  type OperatingPoint,
  type ThresholdCounts,
} from './roc.js';

/** A precision-recall curve: one point per distinct threshold, highest threshold first. */
export interface PrCurve {
  /** precision[k] = TP / (TP + FP) when flagging score >= thresholds[k]. */
  precision: Float64Array;
  /** recall[k] = TP / n1, non-decreasing, ending at 1. */
  recall: Float64Array;
  /** The distinct scores, strictly decreasing. */
  thresholds: Float64Array;
}

/** The precision-recall curve of precomputed threshold counts (see precisionRecallCurve). */
export function prCurveFromCounts(c: ThresholdCounts): PrCurve {
  const k = c.thresholds.length;
  const precision = new Float64Array(k);
  const recall = new Float64Array(k);
  for (let m = 0; m < k; m++) {
    const tp = c.tps[m]!;
    precision[m] = tp / (tp + c.fps[m]!);
    recall[m] = tp / c.positives;
  }
  return { precision, recall, thresholds: c.thresholds.slice() };
}

/**
 * The precision-recall curve: one point per distinct score, from the highest down to the lowest.
 * There is no artificial (recall 0, precision 1) point. sklearn.metrics.precision_recall_curve gives
 * the same points in reverse order, stopping at the first threshold that reaches recall 1 (the
 * lower thresholds only add false positives) and appending (recall 0, precision 1).
 * Throws DarklensError('invalid_argument') on bad input (see rocCurve).
 */
export function precisionRecallCurve(scores: NumericArray, labels: NumericArray): PrCurve {
  return prCurveFromCounts(thresholdCounts(scores, labels, 'precisionRecallCurve'));
}

/** Average precision of precomputed threshold counts (see averagePrecision). */
export function averagePrecisionFromCounts(c: ThresholdCounts): number {
  // sum_k (R_k - R_{k-1}) P_k = (1 / n1) sum_k (TP_k - TP_{k-1}) TP_k / (TP_k + FP_k).
  let sum = 0;
  let tpPrev = 0;
  for (let m = 0; m < c.thresholds.length; m++) {
    const tp = c.tps[m]!;
    if (tp !== tpPrev) sum += ((tp - tpPrev) * tp) / (tp + c.fps[m]!);
    tpPrev = tp;
  }
  return sum / c.positives;
}

/**
 * Average precision (AUPR), the sklearn.metrics.average_precision_score definition: the step-wise
 * sum over thresholds of (R_k - R_{k-1}) P_k, with R_{-1} = 0, one term per distinct score (tied
 * scores form one step, as in sklearn; no interpolation). Equals sklearn up to float rounding.
 * Throws DarklensError('invalid_argument') on bad input (see rocCurve).
 */
export function averagePrecision(scores: NumericArray, labels: NumericArray): number {
  return averagePrecisionFromCounts(thresholdCounts(scores, labels, 'averagePrecision'));
}

/** What evaluateScores returns. */
export interface ScoreEvaluation {
  /** Samples per class, as given (nothing is subsampled). */
  counts: Record<LensClass, number>;
  /** ROC AUC of spherical + vortex (positives) against no_sub (negatives), all samples. */
  aucPooled: number;
  /** ROC AUC of spherical against no_sub. */
  aucSpherical: number;
  /** ROC AUC of vortex against no_sub. */
  aucVortex: number;
  /** Average precision (AUPR) of the pooled problem. */
  aupr: number;
  /** Pooled TPR at FPR <= 1% with its threshold (rule of tprAtFpr). */
  tprAt1: OperatingPoint;
  /** Pooled TPR at FPR <= 5% with its threshold (rule of tprAtFpr). */
  tprAt5: OperatingPoint;
}

/**
 * Summarises anomaly scores over the three lens classes. classes[i] is the class of scores[i]:
 * 'no_sub' (negative), 'spherical' or 'vortex' (positives). Pooled metrics put spherical and vortex
 * together against no_sub; the reference work pooled equal numbers of each, but nothing is
 * subsampled here: when the counts differ, every given sample is used and `counts` records them.
 * Per-class AUCs are that class against no_sub.
 * Throws DarklensError('invalid_argument') for empty or mismatched arrays, non-finite scores, an
 * unknown class name, or a class with no samples (all three are needed; use rocAuc and friends
 * for a two-class evaluation).
 */
export function evaluateScores(input: { scores: NumericArray; classes: readonly string[] }): ScoreEvaluation {
  const { scores, classes } = input;
  const what = 'evaluateScores';
  if (scores.length === 0) {
    throw new DarklensError('invalid_argument', `${what}: scores is empty; pass one finite score per image`);
  }
  if (classes.length !== scores.length) {
    throw new DarklensError(
      'invalid_argument',
      `${what}: scores has ${scores.length} values but classes has ${classes.length}; pass one class per score`,
    );
  }
  const counts: Record<LensClass, number> = { no_sub: 0, spherical: 0, vortex: 0 };
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i];
    if (!(LENS_CLASSES as readonly unknown[]).includes(c)) {
      throw new DarklensError(
        'invalid_argument',
        `${what}: classes[${i}] is ${JSON.stringify(c)}; accepted classes are ${LENS_CLASSES.join(', ')}`,
      );
    }
    counts[c as LensClass]++;
  }
  for (const c of LENS_CLASSES) {
    if (counts[c] === 0) {
      throw new DarklensError(
        'invalid_argument',
        `${what}: class ${c} has no samples; evaluateScores needs samples of no_sub, spherical and vortex`,
      );
    }
  }

  const pooledLabels = new Uint8Array(classes.length);
  for (let i = 0; i < classes.length; i++) pooledLabels[i] = classes[i] === 'no_sub' ? 0 : 1;
  const pooled = thresholdCounts(scores, pooledLabels, what);
  const curve = rocCurveFromCounts(pooled);

  const versusNoSub = (klass: LensClass): number => {
    const n = counts.no_sub + counts[klass];
    const s = new Float64Array(n);
    const l = new Uint8Array(n);
    let k = 0;
    for (let i = 0; i < classes.length; i++) {
      if (classes[i] === 'no_sub' || classes[i] === klass) {
        s[k] = scores[i]!;
        l[k++] = classes[i] === klass ? 1 : 0;
      }
    }
    return rocAucFromCounts(thresholdCounts(s, l, what));
  };

  return {
    counts,
    aucPooled: rocAucFromCounts(pooled),
    aucSpherical: versusNoSub('spherical'),
    aucVortex: versusNoSub('vortex'),
    aupr: averagePrecisionFromCounts(pooled),
    tprAt1: rocOperatingPoint(curve, 0.01),
    tprAt5: rocOperatingPoint(curve, 0.05),
  };
}
