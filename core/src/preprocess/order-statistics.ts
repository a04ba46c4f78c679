/**
 * Order statistics of float64 buffers: the per-cutout medians and quantiles of the noise estimate
 * (noise.ts) and the image statistics (image-stats.ts). Each returns exactly the value a sort would put
 * at that position, however it gets there, so the results never depend on the method.
 *
 * One position: quickselect, written without data-dependent branches (selectIn), on large buffers
 * after a sample has narrowed the candidates (select). Several positions (the noise estimate's nine
 * quantiles and the values next to them): a bucket (MSD radix) selection, where successive
 * quickselects would each partition most of the buffer again. One pass counts the values per bucket
 * of their range, a second moves them into bucket order, and only the buckets holding a wanted
 * position are refined: all the positions cost about as much as one. Small buffers, and buckets the
 * radix pass cannot split, use quickselect.
 *
 * The values must not be NaN. The functions may reorder the buffers they are given (see each).
 * Branch-free loops turn a comparison into 0 or 1 with Number(a < b): a branching loop mispredicts for
 * about every other value, which costs more than the work it skips.
 */
import { float64Scratch } from './scratch.js';

/** Below this many values quickselect wins (and the buckets would be mostly empty). */
const RADIX_MIN = 192;
/** Buckets per radix pass. */
const BUCKETS = 1024;
/** A wanted bucket holding more than this share of its pass's values (they crowd together) goes to quickselect. */
const MAX_KEPT_SHARE = 0.75;

/**
 * The k-th smallest (0-based) of buf[lo..hi] (inclusive), which it reorders. On return
 * buf[lo..k-1] <= buf[k] <= buf[k+1..hi]: later selects of larger positions may start at k.
 *
 * Quickselect with median-of-three pivots and a three-way split in two Lomuto passes (values below
 * the pivot to the front, then values above it to the back) written without data-dependent branches:
 * every value is swapped, and the comparison's 0 or 1 moves the boundary. About twice as fast as a
 * branching (Hoare) partition.
 */
export function selectIn(buf: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    const a = buf[lo]!, b = buf[(lo + hi) >>> 1]!, c = buf[hi]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    // buf[lo..below) < pivot
    let below = lo;
    for (let i = lo; i <= hi; i++) {
      const v = buf[i]!;
      buf[i] = buf[below]!;
      buf[below] = v;
      below += Number(v < pivot);
    }
    if (k < below) {
      hi = below - 1;
      continue;
    }
    // buf(above..hi] > pivot, so buf[below..above] == pivot (the pivot itself is among them)
    let above = hi;
    for (let i = hi; i >= below; i--) {
      const v = buf[i]!;
      buf[i] = buf[above]!;
      buf[above] = v;
      above -= Number(v > pivot);
    }
    if (k > above) {
      lo = above + 1;
      continue;
    }
    return pivot;
  }
  return buf[k]!;
}

const spare = float64Scratch();
/** Bucket counts, one array per recursion depth (a pass recurses while it still reads its counts). */
const countsByDepth: Int32Array[] = [];

/**
 * out[j] = the ranks[j]-th smallest (0-based) of the first n values of `buf`, for ranks ascending
 * within [0, n). Returns out. buf's contents are left undefined (it serves as a working buffer).
 */
export function selectRanks(buf: Float64Array, n: number, ranks: ArrayLike<number>, out: Float64Array): Float64Array {
  if (ranks.length > 0) ranksIn(buf, spare.get(n), 0, n, ranks, 0, ranks.length, out, 0);
  return out;
}

/**
 * The ranks ranks[r0..r1) (positions in the whole buffer, all within [from, to)) of the values in
 * a[from..to), into out[r0..r1); b[from..to) is free to use.
 */
function ranksIn(a: Float64Array, b: Float64Array, from: number, to: number, ranks: ArrayLike<number>, r0: number, r1: number, out: Float64Array, depth: number): void {
  if (to - from < RADIX_MIN) return quickRanks(a, from, to, ranks, r0, r1, out);
  let lo = a[from]!;
  let hi = lo;
  for (let i = from + 1; i < to; i++) {
    const v = a[i]!;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi > lo)) {
    for (let r = r0; r < r1; r++) out[r] = lo; // all equal
    return;
  }
  // Bucket of v: floor((v - lo) * scale), monotone in v, so the buckets are in value order.
  const scale = BUCKETS / (hi - lo);
  if (!Number.isFinite(scale) || !Number.isFinite(hi - lo)) return quickRanks(a, from, to, ranks, r0, r1, out);
  const counts = (countsByDepth[depth] ??= new Int32Array(BUCKETS + 1));
  counts.fill(0);
  for (let i = from; i < to; i++) counts[Math.min(BUCKETS - 1, ((a[i]! - lo) * scale) | 0) + 1]!++;
  // counts[j] becomes the first position of bucket j; the scatter advances it to the next bucket's.
  counts[0] = from;
  for (let j = 1; j <= BUCKETS; j++) counts[j]! += counts[j - 1]!;
  for (let i = from; i < to; i++) {
    const v = a[i]!;
    b[counts[Math.min(BUCKETS - 1, ((v - lo) * scale) | 0)]!++] = v;
  }
  // Now bucket j is b[counts[j - 1] .. counts[j]) (bucket 0 starts at `from`): refine the wanted ones.
  let r = r0;
  let j = 0;
  while (r < r1) {
    const k = ranks[r]!;
    while (counts[j]! <= k) j++;
    const start = j === 0 ? from : counts[j - 1]!;
    const end = counts[j]!;
    let rEnd = r + 1;
    while (rEnd < r1 && ranks[rEnd]! < end) rEnd++;
    if (end - start > MAX_KEPT_SHARE * (to - from)) quickRanks(b, start, end, ranks, r, rEnd, out);
    else ranksIn(b, a, start, end, ranks, r, rEnd, out, depth + 1);
    r = rEnd;
  }
}

/** ranksIn by successive quickselects, each starting where the last one ended. */
function quickRanks(buf: Float64Array, from: number, to: number, ranks: ArrayLike<number>, r0: number, r1: number, out: Float64Array): void {
  let lo = from;
  for (let r = r0; r < r1; r++) {
    const k = ranks[r]!;
    out[r] = selectIn(buf, lo, to - 1, k);
    lo = k;
  }
}

/** Sample size and margin (in sample ranks either side) of select's bracket. */
const SAMPLE = 128;
const MARGIN = 12;
const sample = new Float64Array(SAMPLE);
const GOLDEN = (Math.sqrt(5) - 1) / 2;
const candidates = float64Scratch();

/**
 * The k-th smallest (0-based) of the first n values of `buf` (left in no particular order).
 *
 * Large buffers: two values of a sample spread over the buffer bracket the answer; one branch-free pass
 * counts the values below the bracket and gathers those inside it (about a fifth of them), and the
 * answer is selected among those. Should the sample mislead (the answer outside the bracket), the
 * whole buffer is searched.
 */
export function select(buf: Float64Array, n: number, k: number): number {
  if (n < 8 * SAMPLE) return selectIn(buf, 0, n - 1, k);
  // Spread by the golden ratio: an even stride could fall on the same few columns of an image.
  for (let s = 0; s < SAMPLE; s++) sample[s] = buf[Math.floor(((s * GOLDEN) % 1) * n)]!;
  const centre = Math.floor((k * SAMPLE) / n);
  const loRank = Math.max(0, centre - MARGIN);
  const lo = centre - MARGIN < 0 ? -Infinity : selectIn(sample, 0, SAMPLE - 1, loRank);
  const hi = centre + MARGIN >= SAMPLE ? Infinity : selectIn(sample, loRank, SAMPLE - 1, centre + MARGIN);
  const inside = candidates.get(n);
  let below = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = buf[i]!;
    inside[m] = v;
    m += Number(v >= lo) & Number(v <= hi);
    below += Number(v < lo);
  }
  if (k >= below && k < below + m) return selectIn(inside, 0, m - 1, k - below);
  return selectIn(buf, 0, n - 1, k);
}

/** Median of buf[from..to) (reordered); NaN when empty. */
export function medianIn(buf: Float64Array, from: number, to: number): number {
  const n = to - from;
  if (n === 0) return NaN;
  const half = from + (n >> 1);
  const upper = selectIn(buf, from, to - 1, half);
  if (n % 2 === 1) return upper;
  // After the select every value below `half` is <= upper: the lower middle is their maximum.
  let lower = -Infinity;
  for (let i = from; i < half; i++) if (buf[i]! > lower) lower = buf[i]!;
  return 0.5 * (lower + upper);
}

/** Median of the first n values of `buf` (reordered); NaN when n is 0. */
export function medianOf(buf: Float64Array, n: number): number {
  return medianIn(buf, 0, n);
}

const quantileRanks = new Int32Array(64);
const quantileValues = new Float64Array(64);

/**
 * The values below which the fractions `qs` of the first n values of `buf` lie, linearly interpolated
 * between order statistics, into `out` (NaN when n is 0). All the order statistics come from one
 * selectRanks, which leaves buf's contents undefined.
 */
export function quantilesOf(buf: Float64Array, n: number, qs: ArrayLike<number>, out: Float64Array): Float64Array {
  if (n === 0) return out.fill(NaN, 0, qs.length);
  const size = 2 * qs.length;
  const ranks = size <= quantileRanks.length ? quantileRanks.subarray(0, size) : new Int32Array(size);
  const values = size <= quantileValues.length ? quantileValues : new Float64Array(size);
  // The ranks each quantile reads, ascending and distinct: floor(pos) and the next one up.
  for (let j = 0; j < qs.length; j++) {
    const i = Math.floor(qs[j]! * (n - 1));
    ranks[2 * j] = i;
    ranks[2 * j + 1] = Math.min(i + 1, n - 1);
  }
  ranks.sort();
  let m = 0;
  for (let r = 0; r < size; r++) if (m === 0 || ranks[r]! > ranks[m - 1]!) ranks[m++] = ranks[r]!;
  selectRanks(buf, n, ranks.subarray(0, m), values);
  const valueAt = (k: number): number => {
    let r = 0;
    while (ranks[r] !== k) r++;
    return values[r]!;
  };
  for (let j = 0; j < qs.length; j++) {
    const pos = qs[j]! * (n - 1);
    const i = Math.floor(pos);
    const f = pos - i;
    const at = valueAt(i);
    out[j] = f === 0 || i + 1 >= n ? at : at * (1 - f) + valueAt(i + 1) * f;
  }
  return out;
}
