/**
 * Fixed-width histograms of scores, for plots and for the service (which sends them to clients:
 * everything returned here is plain numbers and arrays, ready for JSON).
 */
import { DarklensError } from '@darklens/core';
import { LENS_CLASSES } from '../simulate/presets.js';
import { checkScores, type NumericArray } from './roc.js';

/** The most bins a histogram may have. */
export const MAX_HISTOGRAM_BINS = 100_000;

export interface HistogramOptions {
  /** Number of equal-width bins, an integer in [1, MAX_HISTOGRAM_BINS]. */
  bins: number;
  /**
   * [lo, hi], finite, lo < hi. Default: [min, max] of the values, widened to [v - 0.5, v + 0.5]
   * when every value is v (as numpy.histogram does).
   */
  range?: readonly [number, number];
}

export interface Histogram {
  /** bins + 1 edges: edges[i] = lo + i * (hi - lo) / bins, and edges[bins] = hi exactly. */
  edges: number[];
  /** counts[i]: values with edges[i] <= v < edges[i + 1]; the last bin also holds v = hi. */
  counts: number[];
  /** Values below lo (only with an explicit range; not in counts). */
  underflow: number;
  /** Values above hi (only with an explicit range; not in counts). */
  overflow: number;
  /** Number of values given (sum of counts, underflow and overflow). */
  total: number;
}

function resolveEdges(what: string, values: NumericArray, options: HistogramOptions): number[] {
  const { bins, range } = options;
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_HISTOGRAM_BINS) {
    throw new DarklensError(
      'invalid_argument',
      `${what}: bins is ${String(bins)}; pass an integer in [1, ${MAX_HISTOGRAM_BINS}]`,
    );
  }
  let lo: number;
  let hi: number;
  if (range !== undefined) {
    const [a, b] = range;
    if (!Number.isFinite(a) || !Number.isFinite(b) || !(a < b) || !Number.isFinite(b - a)) {
      throw new DarklensError(
        'invalid_argument',
        `${what}: range is [${String(a)}, ${String(b)}]; pass finite [lo, hi] with lo < hi (and hi - lo finite)`,
      );
    }
    lo = a;
    hi = b;
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo === hi) {
      lo -= 0.5;
      hi += 0.5;
    }
    if (!Number.isFinite(hi - lo)) {
      throw new DarklensError(
        'invalid_argument',
        `${what}: the values span [${lo}, ${hi}], too wide for float64 bins; pass an explicit range`,
      );
    }
  }
  // Same arithmetic as numpy.linspace(lo, hi, bins + 1), so bin edges match numpy.histogram.
  const step = (hi - lo) / bins;
  const edges = new Array<number>(bins + 1);
  for (let i = 0; i < bins; i++) edges[i] = step === 0 ? ((i / bins) * (hi - lo)) + lo : i * step + lo;
  edges[bins] = hi;
  return edges;
}

/** Counts values into the bins of `edges` (as numpy.histogram: each bin half-open, the last closed). */
function countInto(values: NumericArray, edges: readonly number[], out: Histogram): void {
  const bins = edges.length - 1;
  const lo = edges[0]!;
  const hi = edges[bins]!;
  const width = hi - lo;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) {
      out.underflow++;
      continue;
    }
    if (v > hi) {
      out.overflow++;
      continue;
    }
    // A first guess from the arithmetic, then corrected against the float edges themselves.
    let k = Math.floor(((v - lo) / width) * bins);
    if (k >= bins) k = bins - 1;
    if (k < 0) k = 0;
    if (v < edges[k]!) k--;
    else if (k !== bins - 1 && v >= edges[k + 1]!) k++;
    out.counts[k]!++;
  }
  out.total += values.length;
}

/**
 * A fixed-width histogram of finite values, with numpy.histogram's bin rule: bins + 1 edges from
 * lo to hi, each bin [edges[i], edges[i + 1]) except the last, which is closed. Values outside an
 * explicit range are not binned; they are counted in underflow / overflow.
 * Throws DarklensError('invalid_argument') for empty values, a non-finite value, bad bins or range.
 */
export function histogram(values: NumericArray, options: HistogramOptions): Histogram {
  checkScores('histogram', values, 'values');
  const edges = resolveEdges('histogram', values, options);
  const out: Histogram = { edges, counts: new Array<number>(edges.length - 1).fill(0), underflow: 0, overflow: 0, total: 0 };
  countInto(values, edges, out);
  return out;
}

export interface ScoreHistogramOptions extends HistogramOptions {
  /**
   * The groups to report, in this order; every sample's group must be listed and every listed
   * group must have samples. Default: for 0/1 labels ['0', '1']; for class names the lens classes
   * present (no_sub, spherical, vortex in that order) followed by any other names in order of first
   * appearance.
   */
  groups?: readonly string[];
}

export interface GroupHistogram extends Omit<Histogram, 'edges'> {
  /** The group: a class name, or '0' / '1' for labels. */
  name: string;
}

export interface ScoreHistograms {
  /** The edges shared by every group: by default they span all the scores, whatever the group. */
  edges: number[];
  groups: GroupHistogram[];
}

/**
 * One histogram of scores per group, all with the same edges, so they can be overlaid or compared
 * bin by bin. `groups[i]` is the group of scores[i]: a 0/1 label (groups '0' and '1') or a class
 * name such as 'no_sub', 'spherical', 'vortex'. Options as histogram, plus `groups` to fix the
 * order. Throws DarklensError('invalid_argument') for empty or mismatched arrays, non-finite
 * scores, a label other than 0/1, an empty class name, a sample whose group is not listed in
 * options.groups, or a listed group with no samples.
 */
export function scoreHistograms(
  scores: NumericArray,
  groups: NumericArray | readonly string[],
  options: ScoreHistogramOptions,
): ScoreHistograms {
  const what = 'scoreHistograms';
  checkScores(what, scores);
  if (groups.length !== scores.length) {
    throw new DarklensError(
      'invalid_argument',
      `${what}: scores has ${scores.length} values but groups has ${groups.length}; pass one label or class per score`,
    );
  }
  const names: string[] = new Array<string>(groups.length);
  const seen: string[] = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    let name: string;
    if (typeof g === 'number') {
      if (g !== 0 && g !== 1) {
        throw new DarklensError(
          'invalid_argument',
          `${what}: groups[${i}] is ${g}; labels must be 0 (no substructure) or 1 (substructure), or pass class names`,
        );
      }
      name = String(g);
    } else if (typeof g === 'string' && g.length > 0) {
      name = g;
    } else {
      throw new DarklensError(
        'invalid_argument',
        `${what}: groups[${i}] is ${JSON.stringify(g)}; pass 0/1 labels or non-empty class names`,
      );
    }
    names[i] = name;
    if (!seen.includes(name)) seen.push(name);
  }

  let order: string[];
  if (options.groups !== undefined) {
    order = [...options.groups];
    if (order.length === 0 || new Set(order).size !== order.length) {
      throw new DarklensError('invalid_argument', `${what}: options.groups must be a non-empty list of distinct names`);
    }
    const missing = seen.find((n) => !order.includes(n));
    if (missing !== undefined) {
      throw new DarklensError(
        'invalid_argument',
        `${what}: a sample has group ${JSON.stringify(missing)}, which options.groups (${order.join(', ')}) does not list`,
      );
    }
  } else if (typeof groups[0] === 'number') {
    order = ['0', '1'];
  } else {
    const known: readonly string[] = LENS_CLASSES;
    order = [...known.filter((c) => seen.includes(c)), ...seen.filter((n) => !known.includes(n))];
  }
  const empty = order.find((n) => !seen.includes(n));
  if (empty !== undefined) {
    throw new DarklensError(
      'invalid_argument',
      `${what}: group ${JSON.stringify(empty)} has no samples; every group (${order.join(', ')}) needs at least one score`,
    );
  }

  const edges = resolveEdges(what, scores, options);
  const result: ScoreHistograms = { edges, groups: [] };
  for (const name of order) {
    const values: number[] = [];
    for (let i = 0; i < names.length; i++) if (names[i] === name) values.push(scores[i]!);
    const h: Histogram = { edges, counts: new Array<number>(edges.length - 1).fill(0), underflow: 0, overflow: 0, total: 0 };
    countInto(values, edges, h);
    result.groups.push({ name, counts: h.counts, underflow: h.underflow, overflow: h.overflow, total: h.total });
  }
  return result;
}
