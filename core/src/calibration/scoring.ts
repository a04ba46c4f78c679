/**
 * Turning one model's anomaly score into calibrated quantities, against that model's calibration
 * scores on held-out NORMAL images (sorted once; every query is a binary search, O(log n)):
 *
 *  - p-value: p(x) = (1 + #{s >= x}) / (n + 1). If the calibration scores and the score of a new
 *    NORMAL image are exchangeable (same model, same kind of data, no reuse of training images), then
 *    P(p <= alpha) = floor(alpha (n + 1)) / (n + 1) <= alpha for continuous scores and <= alpha with
 *    ties too (the `>=` makes ties count against the query): p is super-uniform, so "flag when
 *    p <= alpha" has false-positive rate at most alpha. The smallest possible p is 1 / (n + 1).
 *  - percentile: 100 * #{s <= x} / n, the percentage of calibration scores at or below x.
 *  - normalized score: see `normalizeScore`.
 *
 * `combinePValues` merges the p-values several models give the same image into one ensemble p-value.
 */
import { DarklensError } from '../errors.js';
import { parseCalibration, type CalibrationFile, type ThresholdItem } from './calibration-file.js';
import { quantileThreshold, sortScores, type QuantileRule } from './thresholds.js';

function checkQuery(score: number): number {
  if (typeof score !== 'number' || Number.isNaN(score)) {
    throw new DarklensError('invalid_argument', `score is ${String(score)}; a number (not NaN) is accepted`);
  }
  return score;
}

/** First index i with sorted[i] >= x (n when none). */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with sorted[i] > x (n when none). */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Calibration scores of normal images, sorted once, answering tail counts by binary search. */
export class ReferenceScores {
  /** Ascending copy of the scores. */
  readonly sorted: Float64Array;

  /** Copies, checks (finite, at least one) and sorts the scores. */
  constructor(scores: ArrayLike<number>) {
    this.sorted = sortScores(scores, 'calibration scores');
  }

  get count(): number {
    return this.sorted.length;
  }

  get min(): number {
    return this.sorted[0]!;
  }

  get max(): number {
    return this.sorted[this.sorted.length - 1]!;
  }

  /** #{s >= score}. */
  countAtLeast(score: number): number {
    return this.sorted.length - lowerBound(this.sorted, checkQuery(score));
  }

  /** #{s <= score}. */
  countAtMost(score: number): number {
    return upperBound(this.sorted, checkQuery(score));
  }

  /** (1 + #{s >= score}) / (n + 1), in [1/(n+1), 1]. */
  pValue(score: number): number {
    return (1 + this.countAtLeast(score)) / (this.sorted.length + 1);
  }

  /** 100 * #{s <= score} / n, in [0, 100]. */
  percentile(score: number): number {
    return (100 * this.countAtMost(score)) / this.sorted.length;
  }
}

export interface NormalizeAnchors {
  /** Smallest calibration score. */
  min: number;
  /** Largest calibration score. */
  max: number;
  /** The threshold that maps to 0.5. */
  threshold: number;
}

/**
 * Monotone map of a score to [0, 1], piecewise-linear in the score through three anchors:
 *   lo -> 0,  threshold -> 0.5 (exactly),  hi -> 1,  clamped to 0 below lo and to 1 above hi,
 * where lo = min(calibration min, threshold) and hi = max(calibration max, threshold). So 0 means "as
 * low as the lowest normal calibration score", 0.5 "at the decision threshold" and 1 "at least as high
 * as the highest normal calibration score" (the smallest possible p-value). Should the threshold sit at
 * or beyond an end of the calibration range, that half is mirrored (hi = 2 threshold - lo, or
 * lo = 2 threshold - hi) so the map stays strictly increasing on [lo, hi], which contains every
 * calibration score; only when all calibration scores equal the threshold is it a step (0, 0.5, 1).
 */
export function normalizeScore(score: number, anchors: NormalizeAnchors): number {
  checkQuery(score);
  const { threshold: t } = anchors;
  let lo = Math.min(anchors.min, t);
  let hi = Math.max(anchors.max, t);
  if (hi === t && lo < t) hi = t + (t - lo);
  if (lo === t && hi > t) lo = t - (hi - t);
  if (score === t) return 0.5;
  if (score < t) return score <= lo ? 0 : (0.5 * (score - lo)) / (t - lo);
  return score >= hi ? 1 : 0.5 + (0.5 * (score - t)) / (hi - t);
}

/** A score read against one threshold. */
export interface Assessment {
  score: number;
  pValue: number;
  percentile: number;
  /** `normalizeScore` against the threshold used. */
  normalizedScore: number;
  threshold: { name: string | null; value: number };
  /** score > threshold. */
  flagged: boolean;
}

/** JSON.parse of a calibration.json text, invalid_argument when it is not JSON. */
export function parseCalibrationText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DarklensError('invalid_argument', `calibration is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** Applies a model's `calibration.json` to its scores. */
export class Calibrator {
  readonly file: CalibrationFile;
  readonly reference: ReferenceScores;
  private readonly byName: Map<string, ThresholdItem>;

  /** Validates the file (a `CalibrationFile` or raw JSON value, through `parseCalibration`) and sorts its scores once. */
  constructor(file: unknown) {
    this.file = parseCalibration(file);
    this.reference = new ReferenceScores(this.file.calibration.scores);
    this.byName = new Map(this.file.thresholds.items.map((item) => [item.name, item]));
  }

  /** Parses a `calibration.json` text. */
  static fromJSON(text: string): Calibrator {
    return new Calibrator(parseCalibrationText(text));
  }

  get count(): number {
    return this.reference.count;
  }

  get defaultThresholdName(): string {
    return this.file.thresholds.default;
  }

  /** Threshold names in file order. */
  get thresholdNames(): string[] {
    return this.file.thresholds.items.map((item) => item.name);
  }

  /** The stored threshold item of that name (default threshold when omitted). */
  thresholdItem(name: string = this.file.thresholds.default): ThresholdItem {
    const item = this.byName.get(name);
    if (!item) {
      throw new DarklensError('not_found', `threshold "${name}" is not in the calibration of ${this.file.model.name}; accepted: ${this.thresholdNames.join(', ')}`);
    }
    return item;
  }

  /** The value of a named threshold, or a finite number given as is (default threshold when omitted). */
  thresholdValue(threshold?: string | number): number {
    if (typeof threshold === 'number') {
      if (!Number.isFinite(threshold)) {
        throw new DarklensError('invalid_argument', `threshold is ${threshold}; a threshold name or a finite score value is accepted`);
      }
      return threshold;
    }
    return this.thresholdItem(threshold).value;
  }

  /** The quantile rule of the file's FPR thresholds ('empirical' when it has none). */
  get quantileRule(): QuantileRule {
    return this.file.thresholds.items.find((i) => i.method === 'quantile')?.rule ?? 'empirical';
  }

  /**
   * Threshold at false-positive rate `fpr` on the calibration scores, by the file's quantile rule:
   * what the service applies for `fpr=` and the web page's slider shows, from this one definition.
   */
  thresholdAtFpr(fpr: number): number {
    return quantileThreshold(this.reference.sorted, fpr, this.quantileRule);
  }

  pValue(score: number): number {
    return this.reference.pValue(score);
  }

  percentile(score: number): number {
    return this.reference.percentile(score);
  }

  /** `normalizeScore` with the calibration range and the DEFAULT threshold (which maps to 0.5). */
  normalizedScore(score: number): number {
    return normalizeScore(score, { min: this.reference.min, max: this.reference.max, threshold: this.thresholdValue() });
  }

  /** score > threshold (a threshold name or value; the default threshold when omitted). */
  flag(score: number, threshold?: string | number): boolean {
    return checkQuery(score) > this.thresholdValue(threshold);
  }

  /** Everything about one score against one threshold (default when omitted). */
  assess(score: number, threshold?: string | number): Assessment {
    const value = this.thresholdValue(threshold);
    return {
      score: checkQuery(score),
      pValue: this.pValue(score),
      percentile: this.percentile(score),
      normalizedScore: normalizeScore(score, { min: this.reference.min, max: this.reference.max, threshold: value }),
      threshold: { name: typeof threshold === 'number' ? null : (threshold ?? this.file.thresholds.default), value },
      flagged: score > value,
    };
  }
}

/** Ways to combine p-values; see `combinePValues`. */
export type PValueCombination = 'bonferroni' | 'cauchy';

export const P_VALUE_COMBINATIONS: readonly PValueCombination[] = ['bonferroni', 'cauchy'];

/**
 * Combines the p-values k models give the same image into one p-value.
 *
 *  - 'bonferroni': min(1, k * min p). Valid (super-uniform) under ANY dependence between the models,
 *    by the union bound; conservative when the models agree, as ensemble members usually do.
 *  - 'cauchy': the Cauchy combination test (Liu & Xie 2020, JASA): T = mean_i tan((0.5 - p_i) pi),
 *    p = 0.5 - arctan(T) / pi. Exact when the p-values are independent and uniform (T is then standard
 *    Cauchy); under arbitrary dependence (pairwise bivariate-normal test statistics) its tail is still
 *    Cauchy, so it is valid asymptotically as alpha -> 0 and close to exact at the small alphas of
 *    anomaly flagging, while much less conservative than Bonferroni. A p-value of exactly 0 gives 0;
 *    for accuracy p < 0.5 uses tan((0.5 - p) pi) = 1 / tan(p pi) and T > 1 uses arctan(1/T) / pi.
 *
 * With `weights` (positive, normalized here to sum 1), the weighted forms: Bonferroni min_i p_i / w_i
 * (valid under any dependence, by the weighted union bound) and T = sum_i w_i tan((0.5 - p_i) pi)
 * (Liu & Xie's weighted Cauchy combination, with the same guarantees).
 *
 * Every p must lie in [0, 1]; at least one is needed. With one p-value both return it.
 */
export function combinePValues(ps: ArrayLike<number>, method: PValueCombination, weights?: ArrayLike<number>): number {
  if (method !== 'bonferroni' && method !== 'cauchy') {
    throw new DarklensError('invalid_argument', `p-value combination ${String(method)} is unknown; accepted: ${P_VALUE_COMBINATIONS.join(', ')}`);
  }
  if (ps === null || typeof ps !== 'object' || typeof ps.length !== 'number' || ps.length === 0) {
    throw new DarklensError('invalid_argument', 'combinePValues needs a non-empty array of p-values in [0, 1]');
  }
  const k = ps.length;
  if (weights !== undefined && weights.length !== k) {
    throw new DarklensError('invalid_argument', `combinePValues: ${weights.length} weights for ${k} p-values; one positive weight per p-value is accepted`);
  }
  let total = 0;
  for (let i = 0; i < k; i++) {
    const w = weights === undefined ? 1 : weights[i]!;
    if (!(typeof w === 'number' && w > 0 && Number.isFinite(w))) throw new DarklensError('invalid_argument', `weight ${i} is ${String(w)}; positive finite weights are accepted`);
    total += w;
  }
  const weight = (i: number): number => (weights === undefined ? 1 : weights[i]!) / total;
  let min = Infinity;
  let bonferroni = Infinity;
  for (let i = 0; i < k; i++) {
    const p = ps[i];
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new DarklensError('invalid_argument', `p-value ${i} is ${String(p)}; p-values in [0, 1] are accepted`);
    }
    if (p < min) min = p;
    bonferroni = Math.min(bonferroni, (p * total) / (weights === undefined ? 1 : weights[i]!));
  }
  if (method === 'bonferroni') return Math.min(1, bonferroni);
  if (k === 1) return min;
  if (min === 0) return 0;
  let t = 0;
  for (let i = 0; i < k; i++) {
    const p = ps[i]!;
    t += weight(i) * (p < 0.5 ? 1 / Math.tan(p * Math.PI) : Math.tan((0.5 - p) * Math.PI)); // cot(p pi) keeps small p accurate
  }
  const combined = t > 1 ? Math.atan(1 / t) / Math.PI : 0.5 - Math.atan(t) / Math.PI;
  return Math.min(1, Math.max(0, combined));
}
