/**
 * The ceiling's test metrics, with the project's metric functions (metrics/roc.ts) and the same
 * conventions as the evaluation report: positives are spherical + vortex, negatives no_sub; the
 * TPR at a fixed FPR takes the most permissive threshold whose share of no_sub TEST scores at or
 * above it stays within the level (a quantile of the no_sub test scores).
 */
import { rocAuc, tprAtFpr, type OperatingPoint } from '../metrics/roc.js';
import { labelledScores } from '../metrics/labelled.js';
import type { PerClass } from './labelled-sets.js';

/** An operating point as JSON: threshold null when no score keeps the FPR within the level. */
export interface CeilingOperatingPoint {
  maxFpr: number;
  tpr: number;
  /** The FPR reached on the no_sub test images (<= maxFpr). */
  fpr: number;
  /** Flag logit >= threshold. */
  threshold: number | null;
}

export interface CeilingMetrics {
  /** no_sub against spherical + vortex. */
  aucPooled: number;
  aucSpherical: number;
  aucVortex: number;
  tprAt1: CeilingOperatingPoint;
  tprAt5: CeilingOperatingPoint;
}

function jsonPoint(p: OperatingPoint): CeilingOperatingPoint {
  return { maxFpr: p.maxFpr, tpr: p.tpr, fpr: p.fpr, threshold: Number.isFinite(p.threshold) ? p.threshold : null };
}

/** Metrics of per-class test scores (higher: more likely substructure). */
export function ceilingMetrics(scores: PerClass<ArrayLike<number>>): CeilingMetrics {
  const pooled = labelledScores(scores.no_sub, scores.spherical, scores.vortex);
  const spherical = labelledScores(scores.no_sub, scores.spherical);
  const vortex = labelledScores(scores.no_sub, scores.vortex);
  return {
    aucPooled: rocAuc(pooled.scores, pooled.labels),
    aucSpherical: rocAuc(spherical.scores, spherical.labels),
    aucVortex: rocAuc(vortex.scores, vortex.labels),
    tprAt1: jsonPoint(tprAtFpr(pooled.scores, pooled.labels, 0.01)),
    tprAt5: jsonPoint(tprAtFpr(pooled.scores, pooled.labels, 0.05)),
  };
}
