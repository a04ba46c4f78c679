/**
 * The one preprocessing path from a decoded cutout to model input, used by serving and usable by
 * training so the two cannot drift: onto the model's grid, masked-pixel check, min-max scaling,
 * fill of masked pixels.
 */
import type { Cutout } from '../cutout.js';
import { DarklensError } from '../errors.js';
import { checkMaskedFraction, fillMasked } from './mask.js';
import { estimatedNoiseModel, planeNoiseModel, type NoiseModel } from './noise.js';
import { fieldCoverage, resampleToGrid, sameGrid } from './resample.js';
import { minMaxScale } from './scale.js';

/** Smallest accepted cutout side: below this there is no lens left to score. */
export const MIN_CUTOUT_SIDE = 8;
/** Smallest accepted fraction of the model's grid the cutout's field must cover. */
export const MIN_FIELD_COVERAGE = 0.5;

/** The model's input grid. */
export interface ModelGrid {
  width: number;
  height: number;
  /** arcsec/pixel */
  pixelScale: number;
}

export interface PreparedCutout {
  /** height*width values on the model's grid, min-max scaled to [0, 1], masked pixels filled. Never NaN. */
  pixels: Float32Array;
  /** 1 where the pixel was masked (and filled); absent when none was. */
  mask?: Uint8Array;
  /** Number of masked pixels on the model's grid. */
  masked: number;
  /** Present when the cutout was resampled, cropped or padded onto the model's grid. */
  resampled?: { fromScale: number; toScale: number; fromWidth: number; fromHeight: number };
  /** True when the cutout stated no pixel scale and the model's was assumed. */
  assumedPixelScale: boolean;
  /** Each pixel's noise variance in the scaled units (the noise-aware scores' inputs; see noise.ts). */
  noise: NoiseModel;
}

/** Rounds for messages: 0.1 * 64 reads 6.4, not 6.4000000000000004. */
function round(v: number, digits: number): number {
  return Number(v.toPrecision(digits));
}

function field(width: number, height: number, scale: number): string {
  return `${round(width * scale, 4)}×${round(height * scale, 4)} arcsec (${width}×${height} px at ${round(scale, 6)} arcsec/px)`;
}

/**
 * Turns a decoded cutout into model input on `input`'s grid (see PreparedCutout). A cutout without a
 * pixel scale is assumed to be on the model's scale. Refuses ('bad_shape') a cutout under 8×8
 * pixels, one whose field covers less than half the model's grid, and one with more than half its
 * pixels masked (NaN or ±Inf, counted on the model's grid). The cutout itself is not modified.
 */
export function prepareCutout(cutout: Cutout, input: ModelGrid): PreparedCutout {
  const { width: outWidth, height: outHeight, pixelScale: toScale } = input;
  if (!(Number.isInteger(outWidth) && outWidth > 0 && Number.isInteger(outHeight) && outHeight > 0)) {
    throw new DarklensError(
      'invalid_argument',
      `prepareCutout: model input size ${String(outWidth)}×${String(outHeight)}; accepted: positive integers`,
    );
  }
  if (!(typeof toScale === 'number' && Number.isFinite(toScale) && toScale > 0)) {
    throw new DarklensError(
      'invalid_argument',
      `prepareCutout: model pixelScale ${String(toScale)}; accepted: a positive finite arcsec/pixel`,
    );
  }
  const { width, height, data } = cutout;
  if (width < MIN_CUTOUT_SIDE || height < MIN_CUTOUT_SIDE) {
    throw new DarklensError(
      'bad_shape',
      `the cutout is ${width}×${height} pixels; accepted: at least ${MIN_CUTOUT_SIDE}×${MIN_CUTOUT_SIDE} pixels`,
    );
  }
  if (data.length !== width * height) {
    throw new DarklensError(
      'invalid_argument',
      `prepareCutout: cutout data has ${data.length} values; accepted: width*height = ${width * height}`,
    );
  }
  const assumedPixelScale = cutout.pixelScale === undefined;
  const fromScale = cutout.pixelScale ?? toScale;
  if (!(Number.isFinite(fromScale) && fromScale > 0)) {
    throw new DarklensError(
      'invalid_argument',
      `prepareCutout: cutout pixelScale ${String(fromScale)}; accepted: a positive finite arcsec/pixel or none`,
    );
  }

  let grid: Float32Array = data;
  let variancePlane = checkedVariance(cutout);
  let resampled: PreparedCutout['resampled'];
  if (!sameGrid(width, height, fromScale, toScale, outWidth, outHeight)) {
    // Judged on geometry alone, so that masked pixels are reported by the masked-fraction rule.
    if (fieldCoverage(width, height, fromScale, toScale, outWidth, outHeight) < MIN_FIELD_COVERAGE) {
      throw new DarklensError(
        'bad_shape',
        `the cutout's field ${field(width, height, fromScale)} is far smaller than the model's field ` +
          `${field(outWidth, outHeight, toScale)}; accepted: a cutout covering at least ` +
          `${MIN_FIELD_COVERAGE * 100}% of the model's pixels (smaller fields are padded, larger ones cropped, ` +
          `other pixel scales resampled)`,
      );
    }
    grid = resampleToGrid(data, width, height, fromScale, toScale, outWidth, outHeight).data;
    if (variancePlane !== undefined) variancePlane = resampleVariance(variancePlane, width, height, fromScale, toScale, outWidth, outHeight);
    resampled = { fromScale, toScale, fromWidth: width, fromHeight: height };
  }

  let masked = 0;
  for (let p = 0; p < grid.length; p++) if (!Number.isFinite(grid[p])) masked++;
  checkMaskedFraction(masked, grid.length);

  // minMaxScale writes a new array (the cutout stays untouched) with NaN wherever grid is ±Inf/NaN.
  const pixels = minMaxScale(grid);
  const mask = masked > 0 ? fillMasked(pixels, outWidth, outHeight) : undefined;
  const noise =
    variancePlane === undefined ? estimatedNoiseModel(pixels, outWidth, outHeight, mask) : planeNoiseModel(variancePlane, finiteSpan(grid), mask);

  const prepared: PreparedCutout = { pixels, masked, assumedPixelScale, noise };
  if (mask !== undefined) prepared.mask = mask;
  if (resampled !== undefined) prepared.resampled = resampled;
  return prepared;
}

/** The cutout's variance plane, checked against its size (undefined when it has none). */
function checkedVariance(cutout: Cutout): Float32Array | undefined {
  const v = cutout.variance;
  if (v === undefined) return undefined;
  if (v.length !== cutout.width * cutout.height) {
    throw new DarklensError(
      'invalid_argument',
      `prepareCutout: the variance plane has ${v.length} values; accepted: width*height = ${cutout.width * cutout.height}`,
    );
  }
  return v;
}

/**
 * A variance plane carried through resampleToGrid. The resampled image sums input pixels times the
 * fraction of each inside the output pixel, so its variance sums variance times fraction squared:
 * when downsampling whole input pixels fall inside (fraction 1, resampling the plane is exact but for
 * the edge pixels); when upsampling each output pixel is the fraction ratio^2 of one input pixel, so
 * the resampled plane is scaled by ratio^2 once more.
 */
function resampleVariance(plane: Float32Array, width: number, height: number, fromScale: number, toScale: number, outWidth: number, outHeight: number): Float32Array {
  const out = resampleToGrid(plane, width, height, fromScale, toScale, outWidth, outHeight).data;
  const ratio = toScale / fromScale;
  if (ratio < 1) for (let p = 0; p < out.length; p++) out[p] = out[p]! * ratio * ratio;
  return out;
}

/** hi - lo of the finite values (what minMaxScale divides by); 0 when there are none or all are equal. */
function finiteSpan(values: Float32Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi > lo ? hi - lo : 0;
}
