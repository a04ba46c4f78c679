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

function median(values: Float64Array | number[]): number {
  const s = Float64Array.from(values).sort();
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 === 1 ? s[(n - 1) / 2]! : 0.5 * (s[n / 2 - 1]! + s[n / 2]!);
}

/** The value below which a fraction q of `sorted` lies (linear interpolation). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i]! * (1 - f) + sorted[i + 1]! * f : sorted[i]!;
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
export function estimateNoise(pixels: ArrayLike<number>, width: number, height: number, mask?: Uint8Array): NoiseEstimate {
  const n = width * height;
  const usable = (p: number): boolean => mask === undefined || mask[p] === 0;
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
  const order: number[] = [];
  for (let p = 0; p < n; p++) if (usable(p)) order.push(p);
  order.sort((a, b) => smooth[a]! - smooth[b]!);
  const skyCount = Math.max(1, Math.floor(order.length * SKY_FRACTION));
  const sky = order.slice(0, skyCount);
  const background = median(sky.map((p) => pixels[p]!));
  const skyD2 = sky.map((p) => d2[p]!).filter((v) => !Number.isNaN(v));
  const base = skyD2.length > 0 ? median(skyD2) / MEDIAN_CHI2_1 : 0;
  const variance = Math.max(MIN_VARIANCE, Number.isFinite(base) ? base : 0);

  // Gain: per intensity bin, the excess variance over the intensity above the background.
  const bright = order.filter((p) => smooth[p]! - background > 0 && !Number.isNaN(d2[p]!));
  let gain = 0;
  if (bright.length >= GAIN_BINS * MIN_BIN) {
    const intensity = Float64Array.from(bright, (p) => smooth[p]! - background).sort();
    const [q0, q1] = GAIN_QUANTILES;
    const edges = Array.from({ length: GAIN_BINS + 1 }, (_, i) => quantile(intensity, q0 + ((q1 - q0) * i) / GAIN_BINS));
    const ratios: number[] = [];
    for (let b = 0; b < GAIN_BINS; b++) {
      const inBin = bright.filter((p) => {
        const v = smooth[p]! - background;
        return v >= edges[b]! && v < edges[b + 1]!;
      });
      if (inBin.length < MIN_BIN) continue;
      const level = median(inBin.map((p) => smooth[p]! - background));
      const excess = median(inBin.map((p) => d2[p]!)) / MEDIAN_CHI2_1 - variance;
      if (level > 0) ratios.push(excess / level);
    }
    if (ratios.length > 0) gain = Math.max(0, median(ratios));
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
