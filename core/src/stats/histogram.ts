/**
 * Fixed-width histograms with numpy.histogram's bin rule: the one implementation behind the
 * evaluation report's score histograms and the histogram stored in calibration.json (which the
 * service and the web page show), so the two can never bin differently.
 */
import { DarklensError } from '../errors.js';
import { checkFinite } from './finite.js';

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

/** The bin edges `histogram` uses for these values and options (validated); `what` prefixes errors. */
export function histogramEdges(what: string, values: ArrayLike<number>, options: HistogramOptions): number[] {
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
export function countInto(values: ArrayLike<number>, edges: readonly number[], out: Histogram): void {
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
export function histogram(values: ArrayLike<number>, options: HistogramOptions): Histogram {
  checkFinite('histogram', values, 'values');
  const edges = histogramEdges('histogram', values, options);
  const out: Histogram = { edges, counts: new Array<number>(edges.length - 1).fill(0), underflow: 0, overflow: 0, total: 0 };
  countInto(values, edges, out);
  return out;
}

