/**
 * Display stretches for astronomical images: each maps a pixel value to [0, 1] for a colour map.
 * Both are affine-invariant (limits come from the data), so a raw cutout in counts and its min-max
 * scaled copy that the models see look the same, and a reconstruction drawn with the limits of the
 * model's input is directly comparable to it.
 */
export type StretchKind = 'asinh' | 'zscale';

export const STRETCHES: { kind: StretchKind; label: string; hint: string }[] = [
  { kind: 'asinh', label: 'asinh', hint: 'asinh stretch between the 0.5 and 99.8 percentiles: faint arcs and bright cores both visible' },
  { kind: 'zscale', label: 'zscale', hint: 'IRAF zscale: linear, limits fitted to the bulk of the pixels (sky and noise)' },
];

export interface Limits {
  lo: number;
  hi: number;
}

/** At most this many pixels feed the limits: enough for stable percentiles, fast on big cutouts. */
const MAX_SAMPLES = 40_000;

/** Finite values (NaN = masked), evenly subsampled, sorted ascending. */
export function sampleSorted(values: ArrayLike<number>, max = MAX_SAMPLES): Float64Array {
  const step = Math.max(1, Math.floor(values.length / max));
  const out: number[] = [];
  for (let i = 0; i < values.length; i += step) {
    const v = values[i]!;
    if (Number.isFinite(v)) out.push(v);
  }
  return Float64Array.from(out).sort();
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * IRAF's zscale: fit a line to the sorted sample against its rank with iterative 2.5-sigma rejection,
 * divide the slope by the contrast (0.25) and take the limits around the median. Falls back to the
 * full range when too many pixels are rejected (e.g. a mostly empty image).
 */
export function zscaleLimits(sorted: Float64Array, contrast = 0.25): Limits {
  const n = sorted.length;
  if (n === 0) return { lo: 0, hi: 1 };
  const zmin = sorted[0]!;
  const zmax = sorted[n - 1]!;
  const centre = Math.floor((n - 1) / 2);
  const median = n % 2 === 1 ? sorted[centre]! : 0.5 * (sorted[centre]! + sorted[centre + 1]!);
  const minGood = Math.max(5, Math.floor(n * 0.5));
  if (n < minGood) return { lo: zmin, hi: zmax };
  const good = new Uint8Array(n).fill(1);
  let ngood = n;
  let slope = 0;
  for (let iter = 0; iter < 5; iter++) {
    // Least squares of value against (rank - centre) over the good pixels.
    let sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (let i = 0; i < n; i++) {
      if (!good[i]) continue;
      const x = i - centre;
      const y = sorted[i]!;
      sx += x; sy += y; sxx += x * x; sxy += x * y;
    }
    const det = ngood * sxx - sx * sx;
    if (det === 0) break;
    slope = (ngood * sxy - sx * sy) / det;
    const intercept = (sy - slope * sx) / ngood;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      if (!good[i]) continue;
      const r = sorted[i]! - (intercept + slope * (i - centre));
      ss += r * r;
    }
    const sigma = Math.sqrt(ss / ngood);
    let rejected = 0;
    for (let i = 0; i < n; i++) {
      if (!good[i]) continue;
      const r = sorted[i]! - (intercept + slope * (i - centre));
      if (Math.abs(r) > 2.5 * sigma) {
        good[i] = 0;
        rejected++;
      }
    }
    ngood -= rejected;
    if (rejected === 0 || ngood < minGood) break;
  }
  if (ngood < minGood || !(slope > 0)) return { lo: zmin, hi: zmax };
  const s = slope / contrast;
  return { lo: Math.max(zmin, median - centre * s), hi: Math.min(zmax, median + (n - 1 - centre) * s) };
}

export function stretchLimits(values: ArrayLike<number>, kind: StretchKind): Limits {
  const sorted = sampleSorted(values);
  return kind === 'zscale' ? zscaleLimits(sorted) : { lo: percentile(sorted, 0.005), hi: percentile(sorted, 0.998) };
}

/** Softening of the asinh stretch: smaller shows fainter structure. */
const ASINH_SOFTENING = 0.1;
const ASINH_NORM = Math.asinh(1 / ASINH_SOFTENING);

/** The stretch as a function value -> [0, 1] (NaN stays NaN, for masked pixels). */
export function stretchFunction(limits: Limits, kind: StretchKind): (v: number) => number {
  const span = limits.hi > limits.lo ? limits.hi - limits.lo : 1;
  return (v) => {
    if (Number.isNaN(v)) return NaN;
    const x = Math.min(1, Math.max(0, (v - limits.lo) / span));
    return kind === 'asinh' ? Math.asinh(x / ASINH_SOFTENING) / ASINH_NORM : x;
  };
}
