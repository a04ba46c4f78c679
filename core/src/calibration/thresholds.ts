/**
 * Decision thresholds on anomaly scores (per-image reconstruction MSE; higher is more anomalous).
 *
 * Every threshold here is used the same way: an image is flagged when `score > threshold` (strictly
 * greater). Thresholds are fitted on held-out NORMAL (no-substructure) scores only; the one exception,
 * `labelledThreshold`, needs labelled anomalies and refuses to run without both classes.
 *
 * Quantile rule (n calibration scores sorted ascending, s_(1) <= ... <= s_(n), 1-based):
 *  - 'empirical' (default): t = s_(n - m) with m = floor(fpr * n). This is the smallest order statistic
 *    t with #{s > t} <= fpr * n, i.e. the (1 - fpr) quantile of the empirical CDF taken as the
 *    smallest s with F_n(s) >= 1 - fpr. Flagging `score > t` marks at most m <= fpr * n of the
 *    calibration scores (fewer when t is tied). With m = 0 the threshold is the calibration maximum.
 *    Link to the p-value p(x) = (1 + #{s >= x}) / (n + 1) of `scoring.ts`: for every x,
 *      x > t  <=>  #{s >= x} <= m  <=>  p(x) <= (1 + m) / (n + 1),
 *    so the empirical threshold flags exactly the images whose p-value is at most (1 + floor(fpr n)) /
 *    (n + 1), a cut-off slightly above fpr (the "+1 correction" in numerator and denominator).
 *  - 'conformal': t = s_(k) with k = n + 1 - floor(fpr * (n + 1)) = ceil((1 - fpr)(n + 1)). Then, for
 *    every x, x > t <=> p(x) <= fpr exactly (ties included). It marks floor(fpr (n+1)) - 1 < fpr n of
 *    the calibration scores and gives a new exchangeable normal image a false-positive probability of
 *    at most fpr. It needs floor(fpr (n + 1)) >= 1, i.e. n >= 1/fpr - 1 scores.
 *
 * Everything is deterministic; the bootstrap uses the seeded xoshiro128** generator (`CalibrationRng`), never
 * Math.random.
 */
import { DarklensError } from '../errors.js';
import { SeededRng } from '../random.js';

/** How `quantileThreshold` picks the order statistic; see the module comment. */
export type QuantileRule = 'empirical' | 'conformal';

export const QUANTILE_RULES: readonly QuantileRule[] = ['empirical', 'conformal'];

/** Metrics `labelledThreshold` can maximize. */
export type LabelledMetric = 'f1' | 'youden';

export const LABELLED_METRICS: readonly LabelledMetric[] = ['f1', 'youden'];

// ---------------------------------------------------------------------------------------------
// Validation helpers (shared with scoring.ts and calibration-file.ts)

/** floor(x) that forgives the rounding error of products like 0.29 * 100 = 28.999999999999996. */
export function floorTolerant(x: number): number {
  return Math.floor(x + 1e-9 * Math.max(1, Math.abs(x)));
}

/**
 * Copies scores into a new ascending Float64Array after checking there is at least one and all are
 * finite numbers. `what` names the argument in error messages.
 */
export function sortScores(scores: ArrayLike<number>, what = 'scores'): Float64Array {
  if (scores === null || typeof scores !== 'object' || typeof scores.length !== 'number') {
    throw new DarklensError('invalid_argument', `${what} must be an array of finite numbers`);
  }
  if (scores.length === 0) {
    throw new DarklensError('invalid_argument', `${what} is empty; at least one finite score is needed`);
  }
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new DarklensError('invalid_argument', `${what}[${i}] is ${String(v)}; scores must be finite numbers`);
    }
    out[i] = v;
  }
  return out.sort();
}

/** Checks 0 < fpr < 1. */
export function checkFpr(fpr: unknown, what = 'fpr'): number {
  if (typeof fpr !== 'number' || !Number.isFinite(fpr) || fpr <= 0 || fpr >= 1) {
    throw new DarklensError(
      'invalid_argument',
      `${what} is ${String(fpr)}; a false-positive rate strictly between 0 and 1 is accepted (e.g. 0.05)`,
    );
  }
  return fpr;
}

function checkRule(rule: unknown): QuantileRule {
  if (rule !== 'empirical' && rule !== 'conformal') {
    throw new DarklensError('invalid_argument', `quantile rule ${String(rule)} is unknown; accepted: ${QUANTILE_RULES.join(', ')}`);
  }
  return rule;
}

/** Checks a 32-bit unsigned integer seed. */
export function checkSeed(seed: unknown, what = 'seed'): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new DarklensError('invalid_argument', `${what} is ${String(seed)}; an integer from 0 to 4294967295 is accepted`);
  }
  return seed;
}

// ---------------------------------------------------------------------------------------------
// Seeded PRNG

/**
 * The bootstrap's generator: the shared xoshiro128** (`SeededRng` in ../random.ts, the simulator's
 * generator too) that refuses seeds other than 32-bit unsigned integers.
 */
export class CalibrationRng extends SeededRng {
  constructor(seed: number) {
    super(checkSeed(seed));
  }
}

// ---------------------------------------------------------------------------------------------
// Quantile thresholds

/** 0-based index into the ascending scores of the threshold order statistic; see the module comment. */
export function quantileIndex(n: number, fpr: number, rule: QuantileRule = 'empirical'): number {
  checkFpr(fpr);
  checkRule(rule);
  if (!Number.isInteger(n) || n < 1) {
    throw new DarklensError('invalid_argument', `the number of calibration scores is ${n}; at least 1 is needed`);
  }
  // Clamped at 0: an fpr within rounding of 1 would otherwise index below the smallest score (flagging
  // at most n - 1 of n scores still keeps the rate <= fpr there).
  if (rule === 'empirical') return Math.max(0, n - 1 - floorTolerant(fpr * n));
  const flagged = floorTolerant(fpr * (n + 1));
  if (flagged < 1) {
    throw new DarklensError(
      'invalid_argument',
      `the conformal threshold at fpr ${fpr} needs at least ${Math.ceil(1 / fpr - 1 - 1e-9)} calibration scores, got ${n}: ` +
        `no p-value from ${n} scores can be <= ${fpr}; use more scores, a larger fpr or rule 'empirical'`,
    );
  }
  return Math.max(0, n - flagged); // 0-based index of s_(n + 1 - flagged)
}

/**
 * Threshold t on NORMAL calibration scores such that flagging `score > t` marks at most `fpr` of them.
 * `rule` chooses the order statistic (default 'empirical'); see the module comment for the exact rules
 * and their equivalence with p-value cut-offs. The threshold is always one of the given scores.
 */
export function quantileThreshold(scores: ArrayLike<number>, fpr: number, rule: QuantileRule = 'empirical'): number {
  checkFpr(fpr);
  checkRule(rule);
  const sorted = sortScores(scores);
  return sorted[quantileIndex(sorted.length, fpr, rule)]!;
}

export interface BootstrapOptions {
  /** Number of bootstrap resamples (default 1000, at least 10). */
  resamples?: number;
  /** Seed of the resampling generator (integer 0..2^32-1). Same seed, same interval. */
  seed: number;
  /** Confidence level of the interval, in (0, 1) (default 0.95). */
  level?: number;
  /** Quantile rule, as in `quantileThreshold` (default 'empirical'). */
  rule?: QuantileRule;
}

export interface BootstrapThreshold {
  /** The point estimate: `quantileThreshold(scores, fpr, rule)` on all scores. */
  threshold: number;
  /** Percentile-bootstrap confidence interval [lo, hi] of the threshold. */
  ci: [number, number];
  level: number;
  resamples: number;
  seed: number;
  rule: QuantileRule;
  /** Standard deviation of the bootstrap thresholds (a standard error of the threshold). */
  standardError: number;
}

/**
 * Linear interpolation between order statistics of ascending values (numpy's default, "type 7"):
 * position q * (n - 1), 0-based.
 */
export function interpolatedQuantile(sortedValues: ArrayLike<number>, q: number): number {
  const n = sortedValues.length;
  if (n === 0) throw new DarklensError('invalid_argument', 'interpolatedQuantile needs at least one value');
  if (!(q >= 0 && q <= 1)) throw new DarklensError('invalid_argument', `quantile level ${q} is outside [0, 1]`);
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  const a = sortedValues[lo]!;
  const b = sortedValues[hi]!;
  return frac === 0 ? a : a + (b - a) * frac;
}

/**
 * Percentile-bootstrap confidence interval of the quantile threshold. Each of `resamples` resamples
 * draws n scores with replacement (seeded xoshiro128**) and takes the same order statistic as the point
 * estimate; the interval is the (1 - level)/2 and (1 + level)/2 quantiles of those thresholds
 * (`interpolatedQuantile`). Deterministic for a given seed. O(resamples * n).
 */
export function bootstrapThreshold(scores: ArrayLike<number>, fpr: number, options: BootstrapOptions): BootstrapThreshold {
  checkFpr(fpr);
  if (options === null || typeof options !== 'object') {
    throw new DarklensError('invalid_argument', 'bootstrapThreshold needs options with at least a seed');
  }
  const rule = checkRule(options.rule ?? 'empirical');
  const seed = checkSeed(options.seed, 'bootstrap seed');
  const resamples = options.resamples ?? 1000;
  if (!Number.isInteger(resamples) || resamples < 10 || resamples > 1_000_000) {
    throw new DarklensError('invalid_argument', `bootstrap resamples is ${resamples}; an integer from 10 to 1000000 is accepted`);
  }
  const level = options.level ?? 0.95;
  if (typeof level !== 'number' || !(level > 0 && level < 1)) {
    throw new DarklensError('invalid_argument', `bootstrap level is ${String(level)}; a confidence level strictly between 0 and 1 is accepted`);
  }
  const sorted = sortScores(scores);
  const n = sorted.length;
  const index = quantileIndex(n, fpr, rule);
  const threshold = sorted[index]!;

  // A resample is a multiset of indices into the sorted scores; its (index+1)-th smallest value is the
  // score at the smallest sorted position whose cumulative draw count exceeds `index`.
  const rng = new CalibrationRng(seed);
  const counts = new Uint32Array(n);
  const values = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[rng.int(n)]!++;
    let cumulative = 0;
    let j = 0;
    for (; j < n; j++) {
      cumulative += counts[j]!;
      if (cumulative > index) break;
    }
    values[r] = sorted[j]!;
  }
  let mean = 0;
  for (const v of values) mean += v;
  mean /= resamples;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  values.sort();
  return {
    threshold,
    ci: [interpolatedQuantile(values, (1 - level) / 2), interpolatedQuantile(values, (1 + level) / 2)],
    level,
    resamples,
    seed,
    rule,
    standardError: Math.sqrt(ss / (resamples - 1)),
  };
}

// ---------------------------------------------------------------------------------------------
// Other threshold rules

/**
 * mean + k * sigma of the NORMAL scores, with sigma the sample standard deviation (n - 1 in the
 * denominator). Needs at least two scores and a finite k.
 */
export function meanPlusKSigma(scores: ArrayLike<number>, k: number): number {
  if (typeof k !== 'number' || !Number.isFinite(k)) {
    throw new DarklensError('invalid_argument', `k is ${String(k)}; a finite number of standard deviations is accepted (e.g. 3)`);
  }
  const values = sortScores(scores);
  if (values.length < 2) {
    throw new DarklensError('invalid_argument', `mean+k*sigma needs at least 2 scores to estimate sigma, got ${values.length}`);
  }
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return mean + k * Math.sqrt(ss / (values.length - 1));
}

/** A threshold given by hand: returned unchanged once checked to be a finite number. */
export function manualThreshold(value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new DarklensError('invalid_argument', `manual threshold is ${String(value)}; a finite score value is accepted`);
  }
  return value;
}

export interface LabelledThreshold {
  /** Flag `score > threshold`. */
  threshold: number;
  metric: LabelledMetric;
  /** The metric at that threshold: F1 in [0, 1] or Youden's J = TPR - FPR in [-1, 1]. */
  value: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
}

/** The largest double strictly below x (x finite). */
export function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits - 1n : bits + 1n);
  return view.getFloat64(0);
}

function checkLabels(labels: ArrayLike<boolean | number>, n: number): Uint8Array {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new DarklensError('invalid_argument', 'labels must be an array of booleans or 0/1 (true/1 = anomaly)');
  }
  if (labels.length !== n) {
    throw new DarklensError('invalid_argument', `labels has ${labels.length} entries but scores has ${n}; one label per score is needed`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l === true || l === 1) out[i] = 1;
    else if (l === false || l === 0) out[i] = 0;
    else throw new DarklensError('invalid_argument', `labels[${i}] is ${String(l)}; true/1 (anomaly) or false/0 (normal) is accepted`);
  }
  return out;
}

/**
 * The threshold that maximizes F1 or Youden's J on LABELLED scores (true/1 = anomaly = positive).
 * Candidates are every distinct score t (flagging the scores > t) plus the double just below the
 * smallest score (flagging everything). Ties in the metric go to the higher threshold (fewer flags).
 * Metrics are compared exactly in integer arithmetic. Refuses labels without both classes.
 */
export function labelledThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  metric: LabelledMetric,
): LabelledThreshold {
  if (metric !== 'f1' && metric !== 'youden') {
    throw new DarklensError('invalid_argument', `metric ${String(metric)} is unknown; accepted: ${LABELLED_METRICS.join(', ')}`);
  }
  sortScores(scores); // validates
  const n = scores.length;
  const y = checkLabels(labels, n);
  let positives = 0;
  for (const v of y) positives += v;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    throw new DarklensError(
      'invalid_argument',
      `labelled thresholds (${metric}) need labelled anomalies and normals; got ${positives} anomalies and ${negatives} normals. ` +
        'Without anomalies use a quantile (fpr) threshold on normal scores',
    );
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => scores[j]! - scores[i]!); // descending
  // Metric as an exact fraction num/den (den > 0). Youden's fractions share one denominator, so only
  // numerators are compared (no overflow of exact integers for any realistic n).
  const fraction = (tp: number, fp: number): [number, number] => {
    if (metric === 'f1') return tp === 0 ? [0, 1] : [2 * tp, 2 * tp + fp + (positives - tp)];
    return [tp * negatives - fp * positives, positives * negatives];
  };
  const better = (a: [number, number], b: [number, number]): boolean =>
    metric === 'youden' ? a[0] > b[0] : a[0] * b[1] > b[0] * a[1];
  let tp = 0;
  let fp = 0;
  let best = { threshold: scores[order[0]!]!, tp: 0, fp: 0, frac: fraction(0, 0) };
  let i = 0;
  while (i < n) {
    const s = scores[order[i]!]!;
    while (i < n && scores[order[i]!]! === s) {
      if (y[order[i]!]) tp++;
      else fp++;
      i++;
    }
    // Now everything >= s is flagged: that is the threshold "just below s" = next distinct score, or
    // nextDown(min) after the last group.
    const threshold = i < n ? scores[order[i]!]! : nextDown(s);
    const frac = fraction(tp, fp);
    if (better(frac, best.frac)) best = { threshold, tp, fp, frac };
  }
  return {
    threshold: best.threshold,
    metric,
    value: best.frac[0] / best.frac[1],
    truePositives: best.tp,
    falsePositives: best.fp,
    falseNegatives: positives - best.tp,
    trueNegatives: negatives - best.fp,
  };
}
