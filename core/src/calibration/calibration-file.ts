/**
 * `calibration.json`, stored beside a model: everything the service needs to turn that model's raw
 * anomaly scores into p-values, percentiles, normalized scores and verdicts.
 *
 * The file keeps the sorted calibration scores themselves (a few thousand numbers, full precision, so
 * every quantile threshold is exactly one of them): p-values need them, and thresholds can be added or
 * changed later without retraining. Those scores are the model's scores on a held-out set of NORMAL
 * (no-substructure) images that played no part in training.
 *
 * `parseCalibration` is a hand-written validator: it rejects unknown keys, wrong types and broken
 * invariants (sorted scores, count, histogram totals, unique threshold names, an existing default),
 * naming the bad field, and returns a fresh typed copy. `buildCalibration` computes a whole file from
 * normal scores (and, optionally, labelled anomalies) and returns it already validated.
 */
import { DarklensError } from '../errors.js';
import { MSE_SCORE, SCORES } from '../onnx/contract.js';
import { histogram } from '../stats/histogram.js';
import {
  bootstrapThreshold,
  checkFpr,
  checkSeed,
  labelledThreshold,
  manualThreshold,
  meanPlusKSigma,
  quantileThreshold,
  sortScores,
  type LabelledMetric,
  type QuantileRule,
} from './thresholds.js';

export const CALIBRATION_VERSION = 1;

/** What the MSE score is (core's contract defines every score). */
export const SCORE_DEFINITION = SCORES.mse;

export type ThresholdMethod = 'quantile' | 'mean+ksigma' | 'manual' | 'f1' | 'youden';

export const THRESHOLD_METHODS: readonly ThresholdMethod[] = ['quantile', 'mean+ksigma', 'manual', 'f1', 'youden'];

/** One named threshold; images are flagged when `score > value`. */
export interface ThresholdItem {
  name: string;
  value: number;
  method: ThresholdMethod;
  /** Target false-positive rate in (0, 1): required for 'quantile', not allowed otherwise. */
  fpr?: number;
  /** Quantile rule ('quantile' only; absent means 'empirical'); see thresholds.ts. */
  rule?: QuantileRule;
  /** Bootstrap confidence interval [lo, hi] of the value (level in `thresholds.bootstrap`). */
  ci?: [number, number];
  /** Number of standard deviations: required for 'mean+ksigma', not allowed otherwise. */
  k?: number;
  /** The F1 or Youden J reached on the labelled set ('f1' / 'youden' only). */
  metricValue?: number;
}

export interface CalibrationModel {
  name: string;
  version?: string;
  /** sha256 (hex) of the ONNX file the scores were computed with. */
  onnxSha256?: string;
}

export interface CalibrationInput {
  /** Cutout width and height in pixels the model takes. */
  width: number;
  height: number;
  /** Arcseconds per pixel. */
  pixelScale: number;
  normalization: 'minmax';
  /** PSF full width at half maximum in arcseconds, when known. */
  psfFwhm?: number;
}

export interface CalibrationFile {
  version: 1;
  model: CalibrationModel;
  /** The score calibrated: its name (onnx/contract.ts SCORES) and definition. */
  score: { name: string; definition: string };
  input: CalibrationInput;
  calibration: {
    /** Name of the held-out normal set the scores come from. */
    set: string;
    /** Number of scores (= scores.length). */
    count: number;
    /** Seed the calibration was built with (bootstrap resampling). */
    seed: number;
    /** Scores of the normal images, ascending. */
    scores: number[];
  };
  thresholds: {
    /** Name of the threshold used when none is named. */
    default: string;
    items: ThresholdItem[];
    /** Settings of the bootstrap behind the `ci` intervals, when any item has one. */
    bootstrap?: { resamples: number; level: number };
  };
  /** Histogram of the calibration scores (for display): counts[i] in [edges[i], edges[i+1]), last bin closed. */
  histogram: { edges: number[]; counts: number[] };
  /** ISO 8601 time the file was built. */
  createdAt: string;
}

// ---------------------------------------------------------------------------------------------
// Validation

function fail(path: string, message: string): never {
  throw new DarklensError('invalid_argument', `calibration ${path} ${message}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === undefined) return `${v}`;
  return `a ${typeof v}`;
}

function record(v: unknown, path: string, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(path, `is ${describe(v)}; an object is expected`);
  const o = v as Record<string, unknown>;
  const allowed = [...required, ...optional];
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) fail(path, `has unknown field "${key}"; accepted fields: ${allowed.join(', ')}`);
  }
  for (const key of required) {
    if (o[key] === undefined) fail(`${path}.${key}`, 'is missing');
  }
  return o;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.trim() === '') fail(path, `is ${describe(v)}; a non-empty string is expected`);
  return v;
}

function finite(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, `is ${describe(v)}; a finite number is expected`);
  return v;
}

function positive(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(path, `is ${describe(v)}; a positive finite number is expected`);
  return v;
}

function positiveInt(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(path, `is ${describe(v)}; a positive integer is expected`);
  return v;
}

function numberArray(v: unknown, path: string, minLength: number): number[] {
  if (!Array.isArray(v)) fail(path, `is ${describe(v)}; an array of finite numbers is expected`);
  if (v.length < minLength) fail(path, `has ${v.length} entries; at least ${minLength} are expected`);
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = finite(v[i], `${path}[${i}]`);
  return out;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function parseThresholdItem(v: unknown, path: string): ThresholdItem {
  const o = record(v, path, ['name', 'value', 'method'], ['fpr', 'rule', 'ci', 'k', 'metricValue']);
  const method = o.method;
  if (typeof method !== 'string' || !(THRESHOLD_METHODS as readonly string[]).includes(method)) {
    fail(`${path}.method`, `is ${describe(method)}; accepted: ${THRESHOLD_METHODS.join(', ')}`);
  }
  const item: ThresholdItem = {
    name: str(o.name, `${path}.name`),
    value: finite(o.value, `${path}.value`),
    method: method as ThresholdMethod,
  };
  const onlyFor = (key: string, methods: readonly ThresholdMethod[]): boolean => {
    if (o[key] === undefined) return false;
    if (!methods.includes(item.method)) fail(`${path}.${key}`, `is only allowed with method ${methods.join(' or ')}, not ${item.method}`);
    return true;
  };
  if (item.method === 'quantile') {
    if (o.fpr === undefined) fail(`${path}.fpr`, 'is missing; a quantile threshold needs its false-positive rate');
  }
  if (onlyFor('fpr', ['quantile'])) {
    const fpr = o.fpr;
    if (typeof fpr !== 'number' || !Number.isFinite(fpr) || fpr <= 0 || fpr >= 1) {
      fail(`${path}.fpr`, `is ${describe(fpr)}; a number strictly between 0 and 1 is expected`);
    }
    item.fpr = fpr;
  }
  if (onlyFor('rule', ['quantile'])) {
    if (o.rule !== 'empirical' && o.rule !== 'conformal') fail(`${path}.rule`, `is ${describe(o.rule)}; accepted: empirical, conformal`);
    item.rule = o.rule;
  }
  if (item.method === 'mean+ksigma' && o.k === undefined) fail(`${path}.k`, 'is missing; a mean+ksigma threshold needs k');
  if (onlyFor('k', ['mean+ksigma'])) item.k = finite(o.k, `${path}.k`);
  if (onlyFor('metricValue', ['f1', 'youden'])) {
    const m = finite(o.metricValue, `${path}.metricValue`);
    const lo = item.method === 'f1' ? 0 : -1;
    if (m < lo || m > 1) fail(`${path}.metricValue`, `is ${m}; ${item.method} lies in [${lo}, 1]`);
    item.metricValue = m;
  }
  if (o.ci !== undefined) {
    const ci = numberArray(o.ci, `${path}.ci`, 2);
    if (ci.length !== 2) fail(`${path}.ci`, `has ${ci.length} entries; [lo, hi] is expected`);
    if (ci[0]! > ci[1]!) fail(`${path}.ci`, `is [${ci[0]}, ${ci[1]}]; lo <= hi is expected`);
    item.ci = [ci[0]!, ci[1]!];
  }
  return item;
}

/**
 * Validates a parsed `calibration.json` (the value of JSON.parse) and returns a fresh typed copy.
 * Throws DarklensError('invalid_argument') naming the first bad field.
 */
export function parseCalibration(json: unknown): CalibrationFile {
  const root = record(json, '(root)', ['version', 'model', 'score', 'input', 'calibration', 'thresholds', 'histogram', 'createdAt']);
  if (root.version !== CALIBRATION_VERSION) {
    fail('version', `is ${describe(root.version)}; this darklens reads calibration version ${CALIBRATION_VERSION}`);
  }

  const m = record(root.model, 'model', ['name'], ['version', 'onnxSha256']);
  const model: CalibrationModel = { name: str(m.name, 'model.name') };
  if (m.version !== undefined) model.version = str(m.version, 'model.version');
  if (m.onnxSha256 !== undefined) {
    if (typeof m.onnxSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.onnxSha256)) fail('model.onnxSha256', `is ${describe(m.onnxSha256)}; 64 lowercase hex digits are expected`);
    model.onnxSha256 = m.onnxSha256;
  }

  // Files written before the noise-aware scores name no score: theirs is the MSE.
  const sc = record(root.score, 'score', ['definition'], ['name']);
  const scoreName = sc.name === undefined ? MSE_SCORE : str(sc.name, 'score.name');
  const definition = Object.hasOwn(SCORES, scoreName) ? SCORES[scoreName as keyof typeof SCORES] : undefined;
  if (definition === undefined) fail('score.name', `is ${describe(scoreName)}; accepted: ${Object.keys(SCORES).join(', ')}`);
  if (sc.definition !== definition) {
    fail('score.definition', `is ${describe(sc.definition)}; score ${scoreName} is "${definition}"`);
  }

  const i = record(root.input, 'input', ['width', 'height', 'pixelScale', 'normalization'], ['psfFwhm']);
  const input: CalibrationInput = {
    width: positiveInt(i.width, 'input.width'),
    height: positiveInt(i.height, 'input.height'),
    pixelScale: positive(i.pixelScale, 'input.pixelScale'),
    normalization: 'minmax',
  };
  if (i.normalization !== 'minmax') fail('input.normalization', `is ${describe(i.normalization)}; only "minmax" is supported`);
  if (i.psfFwhm !== undefined) input.psfFwhm = positive(i.psfFwhm, 'input.psfFwhm');

  const c = record(root.calibration, 'calibration', ['set', 'count', 'seed', 'scores']);
  const set = str(c.set, 'calibration.set');
  const count = positiveInt(c.count, 'calibration.count');
  if (typeof c.seed !== 'number' || !Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff) {
    fail('calibration.seed', `is ${describe(c.seed)}; an integer from 0 to 4294967295 is expected`);
  }
  const seed = c.seed;
  const scores = numberArray(c.scores, 'calibration.scores', 1);
  if (scores.length !== count) fail('calibration.count', `is ${count} but calibration.scores has ${scores.length} entries`);
  for (let k = 1; k < scores.length; k++) {
    if (scores[k]! < scores[k - 1]!) {
      fail('calibration.scores', `is not sorted ascending at index ${k} (${scores[k - 1]} then ${scores[k]}); sorted scores are expected`);
    }
  }

  const t = record(root.thresholds, 'thresholds', ['default', 'items'], ['bootstrap']);
  const defaultName = str(t.default, 'thresholds.default');
  if (!Array.isArray(t.items) || t.items.length === 0) {
    fail('thresholds.items', `is ${describe(t.items)}; a non-empty array of thresholds is expected`);
  }
  const items = (t.items as unknown[]).map((item, k) => parseThresholdItem(item, `thresholds.items[${k}]`));
  const names = new Set<string>();
  items.forEach((item, k) => {
    if (names.has(item.name)) fail(`thresholds.items[${k}].name`, `"${item.name}" is used twice; threshold names must be unique`);
    names.add(item.name);
  });
  if (!names.has(defaultName)) {
    fail('thresholds.default', `is "${defaultName}", which is not a threshold name; accepted: ${[...names].join(', ')}`);
  }
  const thresholds: CalibrationFile['thresholds'] = { default: defaultName, items };
  if (t.bootstrap !== undefined) {
    const b = record(t.bootstrap, 'thresholds.bootstrap', ['resamples', 'level']);
    const resamples = positiveInt(b.resamples, 'thresholds.bootstrap.resamples');
    const level = b.level;
    if (typeof level !== 'number' || !(level > 0 && level < 1)) {
      fail('thresholds.bootstrap.level', `is ${describe(level)}; a confidence level strictly between 0 and 1 is expected`);
    }
    thresholds.bootstrap = { resamples, level };
  }

  const h = record(root.histogram, 'histogram', ['edges', 'counts']);
  const edges = numberArray(h.edges, 'histogram.edges', 2);
  if (!Array.isArray(h.counts)) fail('histogram.counts', `is ${describe(h.counts)}; an array of counts is expected`);
  if (h.counts.length !== edges.length - 1) {
    fail('histogram.counts', `has ${h.counts.length} entries but histogram.edges has ${edges.length}; one count per bin (edges - 1) is expected`);
  }
  for (let k = 1; k < edges.length; k++) {
    if (!(edges[k]! > edges[k - 1]!)) fail('histogram.edges', `is not strictly increasing at index ${k}`);
  }
  const counts = (h.counts as unknown[]).map((v, k) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`histogram.counts[${k}]`, `is ${describe(v)}; a non-negative integer is expected`);
    return v;
  });
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== count) fail('histogram.counts', `sum to ${total} but calibration.count is ${count}`);

  if (typeof root.createdAt !== 'string' || !ISO_8601.test(root.createdAt) || !Number.isFinite(Date.parse(root.createdAt))) {
    fail('createdAt', `is ${describe(root.createdAt)}; an ISO 8601 date-time such as "2025-01-31T12:00:00Z" is expected`);
  }

  return {
    version: CALIBRATION_VERSION,
    model,
    score: { name: scoreName, definition },
    input,
    calibration: { set, count, seed, scores },
    thresholds,
    histogram: { edges, counts },
    createdAt: root.createdAt,
  };
}

// ---------------------------------------------------------------------------------------------
// Building

/** Equal-width histogram of ascending scores: `bins` bins from min to max (last bin closed). */
export function scoreHistogram(sortedScores: ArrayLike<number>, bins: number): { edges: number[]; counts: number[] } {
  if (!Number.isInteger(bins) || bins < 1 || bins > 10000) {
    throw new DarklensError('invalid_argument', `histogram bins is ${bins}; an integer from 1 to 10000 is accepted`);
  }
  const n = sortedScores.length;
  const lo = sortedScores[0]!;
  const hi = sortedScores[n - 1]!;
  const binned = (b: number, range: [number, number]) => {
    const h = histogram(sortedScores, { bins: b, range });
    return { edges: h.edges, counts: h.counts };
  };
  if (!(hi > lo)) {
    const half = Math.abs(lo) > 0 ? Math.abs(lo) * 1e-3 : 1e-9; // all scores equal: one bin around them
    return binned(1, [lo - half, lo + half]);
  }
  const h = binned(bins, [lo, hi]);
  for (let k = 1; k < h.edges.length; k++) {
    if (!(h.edges[k]! > h.edges[k - 1]!)) return binned(1, [lo, hi]); // too narrow for the bins at double precision
  }
  return h;
}

export interface BuildCalibrationOptions {
  model: CalibrationModel;
  /** Name of the score calibrated (default 'mse'); see onnx/contract.ts SCORES. */
  score?: string;
  input: Omit<CalibrationInput, 'normalization'> & { normalization?: 'minmax' };
  /** Name of the held-out normal set. */
  set: string;
  /** The model's scores on the held-out NORMAL images (any order). */
  scores: ArrayLike<number>;
  /** Seed of the bootstrap resampling (integer 0..2^32-1), recorded in the file. */
  seed: number;
  /** False-positive rates of the quantile thresholds "fpr-<fpr>" (default [0.01, 0.05]). */
  fprs?: readonly number[];
  /** Quantile rule of those thresholds (default 'empirical'). */
  quantileRule?: QuantileRule;
  /** Bootstrap CIs of the quantile thresholds (default 1000 resamples at level 0.95); false for none. */
  bootstrap?: { resamples?: number; level?: number } | false;
  /** k values of the "mean+<k>sigma" thresholds (default [3]). */
  kSigmas?: readonly number[];
  /** Hand-set thresholds. */
  manual?: readonly { name: string; value: number }[];
  /** Labelled scores (true/1 = anomaly) for "f1" / "youden" thresholds; needs both classes. */
  labelled?: { scores: ArrayLike<number>; labels: ArrayLike<boolean | number>; metrics?: readonly LabelledMetric[] };
  /** Name of the default threshold (default "fpr-0.05" when 0.05 is among fprs, else the first fpr). */
  defaultThreshold?: string;
  /** Number of histogram bins (default 50). */
  histogramBins?: number;
  /** Build time (default now). */
  createdAt?: Date | string;
}

/** Name of the quantile threshold at a false-positive rate, e.g. "fpr-0.05". */
export function quantileThresholdName(fpr: number): string {
  return `fpr-${fpr}`;
}

/** Computes a whole calibration file from normal scores; the result has passed `parseCalibration`. */
export function buildCalibration(options: BuildCalibrationOptions): CalibrationFile {
  const sorted = sortScores(options.scores, 'calibration scores');
  const seed = checkSeed(options.seed);
  const fprs: readonly number[] = options.fprs ?? [0.01, 0.05];
  const rule = options.quantileRule ?? 'empirical';
  const bootstrap = options.bootstrap === false ? undefined : { resamples: options.bootstrap?.resamples ?? 1000, level: options.bootstrap?.level ?? 0.95 };

  const items: ThresholdItem[] = [];
  for (const fpr of fprs) {
    checkFpr(fpr, 'fprs entry');
    const item: ThresholdItem = { name: quantileThresholdName(fpr), value: quantileThreshold(sorted, fpr, rule), method: 'quantile', fpr };
    if (rule !== 'empirical') item.rule = rule;
    if (bootstrap) item.ci = bootstrapThreshold(sorted, fpr, { ...bootstrap, seed, rule }).ci;
    items.push(item);
  }
  for (const k of options.kSigmas ?? [3]) {
    items.push({ name: `mean+${k}sigma`, value: meanPlusKSigma(sorted, k), method: 'mean+ksigma', k });
  }
  for (const m of options.manual ?? []) {
    items.push({ name: m.name, value: manualThreshold(m.value), method: 'manual' });
  }
  if (options.labelled) {
    for (const metric of options.labelled.metrics ?? (['f1', 'youden'] as const)) {
      const fit = labelledThreshold(options.labelled.scores, options.labelled.labels, metric);
      items.push({ name: metric, value: fit.threshold, method: metric, metricValue: fit.value });
    }
  }
  if (items.length === 0) {
    throw new DarklensError('invalid_argument', 'buildCalibration has no threshold to store; give at least one fpr, k, manual or labelled threshold');
  }

  const defaultName =
    options.defaultThreshold ??
    (fprs.includes(0.05) ? quantileThresholdName(0.05) : fprs.length > 0 ? quantileThresholdName(fprs[0]!) : items[0]!.name);
  const createdAt = options.createdAt instanceof Date ? options.createdAt.toISOString() : (options.createdAt ?? new Date().toISOString());

  const file = {
    version: CALIBRATION_VERSION,
    model: options.model,
    score: { name: options.score ?? MSE_SCORE, definition: SCORES[(options.score ?? MSE_SCORE) as keyof typeof SCORES] },
    input: { ...options.input, normalization: options.input?.normalization ?? 'minmax' },
    calibration: { set: options.set, count: sorted.length, seed, scores: Array.from(sorted) },
    thresholds: { default: defaultName, items, ...(bootstrap && fprs.length > 0 ? { bootstrap } : {}) },
    histogram: scoreHistogram(sorted, options.histogramBins ?? 50),
    createdAt,
  };
  return parseCalibration(file);
}
