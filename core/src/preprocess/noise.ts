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
import { medianIn, medianOf, quantilesOf, select } from './order-statistics.js';
import { float64Scratch, int32Scratch, uint8Scratch } from './scratch.js';

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
/** The quantiles of the bins' edges, ascending. */
const EDGE_QUANTILES = Float64Array.from({ length: GAIN_BINS + 1 }, (_, i) => GAIN_QUANTILES[0] + ((GAIN_QUANTILES[1] - GAIN_QUANTILES[0]) * i) / GAIN_BINS);
/** Pixels a bin needs to count. */
const MIN_BIN = 10;
/** A second difference x[i-1] - 2 x[i] + x[i+1] of white noise has 6 times its variance. */
const SQRT6 = Math.sqrt(6);
/**
 * Floor of the base variance, in scaled units (a noise of 1e-4 of the image's range): a constant or
 * noiseless image must not divide by zero.
 */
export const MIN_VARIANCE = 1e-8;

// Working buffers of estimateNoise (see scratch.ts): one cutout's worth each, reused.
const pixelsBuf = float64Scratch();
const usableBuf = uint8Scratch();
const smoothBuf = float64Scratch();
const weightBuf = float64Scratch();
const d2Buf = float64Scratch();
const valuesBuf = float64Scratch();
const values2Buf = float64Scratch();
const brightBuf = int32Scratch();
const binBuf = uint8Scratch();
const edgesBuf = new Float64Array(GAIN_BINS + 1);
const ratiosBuf = new Float64Array(GAIN_BINS);

/** 1 where the pixel counts (mask[p] === 0, or no mask), else 0. */
function usablePixels(mask: Uint8Array | undefined, n: number): Uint8Array {
  const usable = usableBuf.get(n);
  if (mask === undefined) usable.fill(1);
  else for (let p = 0; p < n; p++) usable[p] = mask[p] === 0 ? 1 : 0;
  return usable;
}

/**
 * The image smoothed at SMOOTH_SIGMA, masked pixels left out (normalized convolution: the smoothed
 * image with masked pixels zeroed over the smoothed map of usable pixels).
 */
function smoothed(pixels: Float64Array, width: number, height: number, usable: Uint8Array, masked: boolean): Float64Array {
  const n = width * height;
  const smooth = smoothBuf.get(n);
  if (!masked) return gaussianBlur(pixels, width, height, SMOOTH_SIGMA, smooth);
  const weight = weightBuf.get(n);
  for (let p = 0; p < n; p++) {
    smooth[p] = usable[p] === 1 ? pixels[p]! : 0;
    weight[p] = usable[p]!;
  }
  gaussianBlur(smooth, width, height, SMOOTH_SIGMA, smooth);
  gaussianBlur(weight, width, height, SMOOTH_SIGMA, weight);
  for (let p = 0; p < n; p++) smooth[p] = weight[p]! > 0 ? smooth[p]! / weight[p]! : 0;
  return smooth;
}

/**
 * Squared second differences along the rows, (x[i-1] - 2 x[i] + x[i+1])^2 / 6; NaN at row ends and
 * where one of the three pixels is masked.
 */
function secondDifferences(pixels: Float64Array, width: number, height: number, usable: Uint8Array): Float64Array {
  const d2 = d2Buf.get(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    d2[row] = NaN;
    for (let p = row + 1; p < row + width - 1; p++) {
      if (usable[p - 1] === 1 && usable[p] === 1 && usable[p + 1] === 1) {
        const h = (pixels[p - 1]! - 2 * pixels[p]! + pixels[p + 1]!) / SQRT6;
        d2[p] = h * h;
      } else d2[p] = NaN;
    }
    d2[row + width - 1] = NaN;
  }
  return d2;
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
  const pixels = pixelsBuf.get(n);
  for (let p = 0; p < n; p++) pixels[p] = image[p]!;
  const usable = usablePixels(mask, n);
  const smooth = smoothed(pixels, width, height, usable, mask !== undefined);
  const d2 = secondDifferences(pixels, width, height, usable);
  const values = valuesBuf.get(n);
  const values2 = values2Buf.get(n);

  // The sky: the usable pixels at or below the SKY_FRACTION quantile of the smoothed intensity.
  let m = 0;
  for (let p = 0; p < n; p++) if (usable[p] === 1) values[m++] = smooth[p]!;
  const skyLevel = select(values, m, Math.max(0, Math.floor(m * SKY_FRACTION) - 1));
  let k = 0;
  let k2 = 0;
  for (let p = 0; p < n; p++) {
    if (usable[p] === 0 || smooth[p]! > skyLevel) continue;
    values[k++] = pixels[p]!;
    if (!Number.isNaN(d2[p]!)) values2[k2++] = d2[p]!;
  }
  const background = medianOf(values, k);
  const base = k2 > 0 ? medianOf(values2, k2) / MEDIAN_CHI2_1 : 0;
  const variance = Math.max(MIN_VARIANCE, Number.isFinite(base) ? base : 0);
  const gain = estimateGain(smooth, d2, usable, background, variance);
  return { background, variance, gain };
}

/**
 * The Poisson gain: per intensity bin of the brighter pixels, the excess of their variance over the
 * sky's, divided by their intensity above the background; the median over the bins that have enough
 * pixels (see the module comment).
 */
function estimateGain(smooth: Float64Array, d2: Float64Array, usable: Uint8Array, background: number, variance: number): number {
  const n = smooth.length;
  // The pixels above the background with a second difference: their positions and intensities.
  const bright = brightBuf.get(n);
  const above = valuesBuf.get(n);
  let b = 0;
  for (let p = 0; p < n; p++) {
    if (usable[p] === 1 && smooth[p]! - background > 0 && !Number.isNaN(d2[p]!)) {
      bright[b] = p;
      above[b++] = smooth[p]! - background;
    }
  }
  if (b < GAIN_BINS * MIN_BIN) return 0;
  const edges = quantilesOf(above, b, EDGE_QUANTILES, edgesBuf);

  // Each bright pixel's bin (GAIN_BINS: none); then the bins' values laid out one after another, and
  // per bin the medians of its intensities and squared differences.
  const binOf = binBuf.get(b);
  const start = new Int32Array(GAIN_BINS + 1);
  for (let j = 0; j < b; j++) {
    const v = smooth[bright[j]!]! - background;
    let bin = GAIN_BINS;
    if (v >= edges[0]! && v < edges[GAIN_BINS]!) {
      bin = 0;
      while (bin < GAIN_BINS - 1 && v >= edges[bin + 1]!) bin++;
      start[bin + 1]!++;
    }
    binOf[j] = bin;
  }
  for (let bin = 0; bin < GAIN_BINS; bin++) start[bin + 1]! += start[bin]!;
  const fill = start.slice(0, GAIN_BINS);
  // `above` is spent (the select reordered it): its buffer takes the bins' intensities.
  const levels = above;
  const squares = values2Buf.get(n);
  for (let j = 0; j < b; j++) {
    const bin = binOf[j]!;
    if (bin === GAIN_BINS) continue;
    const p = bright[j]!;
    const at = fill[bin]!++;
    levels[at] = smooth[p]! - background;
    squares[at] = d2[p]!;
  }
  let r = 0;
  for (let bin = 0; bin < GAIN_BINS; bin++) {
    const from = start[bin]!;
    const to = start[bin + 1]!;
    if (to - from < MIN_BIN) continue;
    const level = medianIn(levels, from, to);
    const excess = medianIn(squares, from, to) / MEDIAN_CHI2_1 - variance;
    if (level > 0) ratiosBuf[r++] = excess / level;
  }
  return r > 0 ? Math.max(0, medianOf(ratiosBuf, r)) : 0;
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
