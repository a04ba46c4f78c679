/**
 * The noise model behind the noise-aware scores: each pixel's variance, in the scaled units models
 * see, as the ONNX contract's `variance` and `noise` inputs carry it (see onnx/contract.ts):
 *
 *   variance(pixel) = base(pixel) + gain * max(noiseless(pixel) - background, 0)
 *
 * From a variance plane (LSST-like multi-extension FITS carry one): base = the plane, carried through
 * resampling and the min-max scaling, gain = 0 (the plane already holds the source's own Poisson noise).
 *
 * Estimated from the cutout itself otherwise, assuming what holds for sky-subtracted CCD images: white
 * (pixel-to-pixel independent) noise whose variance is a constant sky + read-noise term plus a
 * Poisson term proportional to the light above the sky, and a PSF wide enough (sigma >~ 1 pixel)
 * that the image's second differences along a row are mostly noise:
 *  - the sky-dominated pixels are the quarter with the lowest smoothed intensity; the background
 *    level is their median and the base variance the median of their squared second differences
 *    (x[i-1] - 2 x[i] + x[i+1]) / sqrt(6), divided by the median of chi-square(1);
 *  - the gain is the median, over eight intensity bins spanning the brighter half of the remaining
 *    pixels (up to the 95th percentile: the sharpest cores leak signal into second differences), of
 *    (variance in the bin - base) / (intensity above the background).
 * Medians keep arcs, neighbours and cosmic rays from biasing it. On the simulated presets the
 * estimates fall within about 15% of the simulator's true sky variance and gain (80% of images).
 * The graph takes the noiseless intensity from the model's reconstruction.
 *
 * Masked pixels never count: they get +Inf base variance (zero weight in every score).
 */
import { gaussianBlur } from './blur.js';

/** What the graph's `variance` and `noise` inputs get for one cutout. */
export interface NoiseModel {
  /** Base variance per pixel on the model's grid, scaled units; +Inf where masked. */
  variance: Float32Array;
  /** Background level b, scaled units. */
  background: number;
  /** Poisson gain k: variance per unit of intensity above b (0 with a variance plane). */
  gain: number;
  /** Where the variance came from. */
  source: 'variance-plane' | 'estimated';
}

/** Median of chi-square with one degree of freedom. */
const MEDIAN_CHI2_1 = 0.454936423119572;
/** Smoothing (pixels) of the intensity estimate that picks the sky and the bins. */
const SMOOTH_SIGMA = 1.5;
/** Fraction of pixels, by smoothed intensity, taken as sky. */
const SKY_FRACTION = 0.25;
/** Bins of the gain fit and the intensity quantiles they span. */
const GAIN_BINS = 8;
const GAIN_QUANTILES: readonly [number, number] = [0.5, 0.95];
/** Pixels a bin needs to count. */
const MIN_BIN = 10;
/**
 * Floor of the base variance, in scaled units (a noise of 1e-4 of the image's range): a constant or
 * noiseless image must not divide by zero.
 */
export const MIN_VARIANCE = 1e-8;

/**
 * The k-th smallest (0-based) of the first n values of `buf`, which it reorders (Hoare's quickselect,
 * median-of-three pivots): linear time, where a sort would dominate a cutout's preprocessing.
 */
function select(buf: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const a = buf[lo]!, b = buf[mid]!, c = buf[hi]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (buf[i]! < pivot) i++;
      while (buf[j]! > pivot) j--;
      if (i <= j) {
        const t = buf[i]!;
        buf[i++] = buf[j]!;
        buf[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return buf[k]!;
  }
  return buf[k]!;
}

/** Median of the first n values of `buf` (reordered). */
function medianOf(buf: Float64Array, n: number): number {
  if (n === 0) return NaN;
  if (n % 2 === 1) return select(buf, n, (n - 1) / 2);
  const upper = select(buf, n, n / 2);
  // After the select, every value below position n/2 is <= upper: the lower middle is their maximum.
  let lower = -Infinity;
  for (let i = 0; i < n / 2; i++) if (buf[i]! > lower) lower = buf[i]!;
  return 0.5 * (lower + upper);
}

/** The value below which a fraction q of the first n values of `buf` lies (linear interpolation; reorders buf). */
function quantileOf(buf: Float64Array, n: number, q: number): number {
  const pos = q * (n - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  const at = select(buf, n, i);
  if (f === 0 || i + 1 >= n) return at;
  // After the select, the next value up is the smallest of those above position i.
  let next = Infinity;
  for (let j = i + 1; j < n; j++) if (buf[j]! < next) next = buf[j]!;
  return at * (1 - f) + next * f;
}

/** The image smoothed at SMOOTH_SIGMA, masked pixels left out (normalized convolution). */
function smoothed(pixels: ArrayLike<number>, width: number, height: number, mask?: Uint8Array): Float64Array {
  if (mask === undefined) return gaussianBlur(pixels, width, height, SMOOTH_SIGMA);
  const n = width * height;
  const valid = Float64Array.from({ length: n }, (_, p) => (mask[p] === 0 ? 1 : 0));
  const sum = gaussianBlur(Float64Array.from({ length: n }, (_, p) => (mask[p] === 0 ? pixels[p]! : 0)), width, height, SMOOTH_SIGMA);
  const weight = gaussianBlur(valid, width, height, SMOOTH_SIGMA);
  for (let p = 0; p < n; p++) sum[p] = weight[p]! > 0 ? sum[p]! / weight[p]! : 0;
  return sum;
}

export interface NoiseEstimate {
  background: number;
  /** Sky (base) variance, floored at MIN_VARIANCE. */
  variance: number;
  gain: number;
}

/**
 * Estimates the background level, sky variance and Poisson gain of `pixels` (width*height,
 * row-major, finite: masked pixels filled) leaving out pixels where mask[p] !== 0. See the module
 * comment for the method and its assumptions.
 */
export function estimateNoise(image: ArrayLike<number>, width: number, height: number, mask?: Uint8Array): NoiseEstimate {
  const n = width * height;
  const pixels = Float64Array.from(image);
  const ok = mask === undefined ? new Uint8Array(n).fill(1) : Uint8Array.from(mask, (m) => (m === 0 ? 1 : 0));
  const usable = (p: number): boolean => ok[p] === 1;
  const smooth = smoothed(pixels, width, height, mask);
  // Squared second difference along the row; NaN at row ends and next to masked pixels.
  const d2 = new Float64Array(n).fill(NaN);
  for (let y = 0; y < height; y++) {
    for (let x = 1; x < width - 1; x++) {
      const p = y * width + x;
      if (!usable(p - 1) || !usable(p) || !usable(p + 1)) continue;
      const h = (pixels[p - 1]! - 2 * pixels[p]! + pixels[p + 1]!) / Math.sqrt(6);
      d2[p] = h * h;
    }
  }
  // The sky: the usable pixels at or below the SKY_FRACTION quantile of the smoothed intensity.
  const levels = new Float64Array(n);
  let m = 0;
  for (let p = 0; p < n; p++) if (usable(p)) levels[m++] = smooth[p]!;
  const skyLevel = select(levels, m, Math.max(0, Math.floor(m * SKY_FRACTION) - 1));
  const buf = new Float64Array(n);
  const buf2 = new Float64Array(n);
  let k = 0;
  let k2 = 0;
  for (let p = 0; p < n; p++) {
    if (!usable(p) || smooth[p]! > skyLevel) continue;
    buf[k++] = pixels[p]!;
    if (!Number.isNaN(d2[p]!)) buf2[k2++] = d2[p]!;
  }
  const background = medianOf(buf, k);
  const base = k2 > 0 ? medianOf(buf2, k2) / MEDIAN_CHI2_1 : 0;
  const variance = Math.max(MIN_VARIANCE, Number.isFinite(base) ? base : 0);

  // Gain: per intensity bin of the brighter pixels, the excess variance over the intensity above the background.
  const above = new Float64Array(n);
  let b = 0;
  for (let p = 0; p < n; p++) if (usable(p) && smooth[p]! - background > 0 && !Number.isNaN(d2[p]!)) above[b++] = smooth[p]! - background;
  let gain = 0;
  if (b >= GAIN_BINS * MIN_BIN) {
    const [q0, q1] = GAIN_QUANTILES;
    const edges = Array.from({ length: GAIN_BINS + 1 }, (_, i) => quantileOf(above, b, q0 + ((q1 - q0) * i) / GAIN_BINS));
    // Each bright pixel's bin; then the bins' values laid out one after another, and per bin the
    // medians of its intensities and squared differences.
    const binOf = new Int8Array(n).fill(-1);
    const counts = new Int32Array(GAIN_BINS);
    for (let p = 0; p < n; p++) {
      const v = smooth[p]! - background;
      if (!usable(p) || !(v > 0) || Number.isNaN(d2[p]!) || v < edges[0]! || v >= edges[GAIN_BINS]!) continue;
      let bin = 0;
      while (bin < GAIN_BINS - 1 && v >= edges[bin + 1]!) bin++;
      binOf[p] = bin;
      counts[bin]!++;
    }
    const start = new Int32Array(GAIN_BINS + 1);
    for (let bin = 0; bin < GAIN_BINS; bin++) start[bin + 1] = start[bin]! + counts[bin]!;
    const fill = start.slice(0, GAIN_BINS);
    for (let p = 0; p < n; p++) {
      const bin = binOf[p]!;
      if (bin < 0) continue;
      const at = fill[bin]!++;
      buf[at] = smooth[p]! - background;
      buf2[at] = d2[p]!;
    }
    const ratios = new Float64Array(GAIN_BINS);
    let r = 0;
    for (let bin = 0; bin < GAIN_BINS; bin++) {
      if (counts[bin]! < MIN_BIN) continue;
      const from = start[bin]!;
      const to = start[bin + 1]!;
      const level = medianOf(buf.subarray(from, to), to - from);
      const excess = medianOf(buf2.subarray(from, to), to - from) / MEDIAN_CHI2_1 - variance;
      if (level > 0) ratios[r++] = excess / level;
    }
    if (r > 0) gain = Math.max(0, medianOf(ratios, r));
  }
  return { background, variance, gain };
}

/** The noise model of a cutout without a variance plane: estimated from its own (scaled) pixels. */
export function estimatedNoiseModel(pixels: Float32Array, width: number, height: number, mask?: Uint8Array): NoiseModel {
  const e = estimateNoise(pixels, width, height, mask);
  const variance = new Float32Array(width * height).fill(e.variance);
  if (mask !== undefined) for (let p = 0; p < mask.length; p++) if (mask[p] !== 0) variance[p] = Infinity;
  return { variance, background: e.background, gain: e.gain, source: 'estimated' };
}

/**
 * The noise model from a variance plane already on the model's grid, in the cutout's own units:
 * divided by span^2 (the min-max scaling's range) and floored; masked or non-finite pixels +Inf.
 */
export function planeNoiseModel(plane: Float32Array, span: number, mask?: Uint8Array): NoiseModel {
  const variance = new Float32Array(plane.length);
  const s2 = span > 0 ? span * span : 1;
  for (let p = 0; p < plane.length; p++) {
    const v = plane[p]!;
    variance[p] = (mask !== undefined && mask[p] !== 0) || !(Number.isFinite(v) && v >= 0) ? Infinity : Math.max(MIN_VARIANCE, v / s2);
  }
  return { variance, background: 0, gain: 0, source: 'variance-plane' };
}
