/**
 * Flux-conserving resampling of a cutout onto a model's pixel grid (exact area overlap, like
 * drizzle with a full-size drop). Both grids are axis-aligned, square-pixelled and centred on the
 * same sky point, so the 2-D overlap of two pixels is the product of two 1-D overlaps: the weights
 * are computed once per axis and applied in two separable passes.
 */
import { DarklensError } from '../errors.js';

/**
 * Scales that differ by at most this (relative) are treated as equal: FITS headers round the scale
 * (CDELT in degrees), and 1e-6 over 8192 pixels is under 0.01 pixel.
 */
const SCALE_TOLERANCE = 1e-6;

/** An output pixel needs at least this fraction of its area over finite input to hold a value. */
const MIN_PIXEL_COVER = 0.5;
/** Slack for the cover test so that an exact half computed with rounding error still counts. */
const COVER_EPSILON = 1e-9;

export interface Resampled {
  /** outHeight*outWidth values, row-major; NaN where less than half the pixel lies over finite input. */
  data: Float32Array;
  /** Fraction of output pixels that are finite. */
  coverage: number;
}

function checkSize(name: string, v: number): void {
  if (!(Number.isInteger(v) && v > 0)) {
    throw new DarklensError('invalid_argument', `resample: ${name} is ${String(v)}; accepted: a positive integer`);
  }
}

function checkScale(name: string, v: number): void {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
    throw new DarklensError('invalid_argument', `resample: ${name} is ${String(v)}; accepted: a positive finite arcsec/pixel`);
  }
}

function scalesEqual(a: number, b: number): boolean {
  return Math.abs(a - b) <= SCALE_TOLERANCE * Math.max(a, b);
}

/**
 * True when the image is already on the model's grid: same width and height, and scales equal
 * within 1e-6 relative. Then no resampling, cropping or padding is needed.
 */
export function sameGrid(
  width: number,
  height: number,
  fromScale: number,
  toScale: number,
  outWidth: number,
  outHeight: number,
): boolean {
  return width === outWidth && height === outHeight && scalesEqual(fromScale, toScale);
}

/** Output pixel size in input pixels; snapped to exactly 1 for equal scales so crops are exact. */
function sizeRatio(fromScale: number, toScale: number): number {
  return scalesEqual(fromScale, toScale) ? 1 : toScale / fromScale;
}

/**
 * 1-D overlap weights in CSR form: output pixel j overlaps input pixels index[start[j]..start[j+1])
 * with weight[...] = the length of that overlap in input pixels, i.e. the fraction of the input
 * pixel lying inside output pixel j. Coordinates are in input pixels, so equal scales with an
 * integer offset give weights of exactly 1.
 */
interface AxisWeights {
  start: Int32Array;
  index: Int32Array;
  weight: Float64Array;
  /** Fraction of each output pixel's length lying over the input (ignoring masked pixels). */
  cover: Float64Array;
}

function axisWeights(inLength: number, outLength: number, ratio: number): AxisWeights {
  const start = new Int32Array(outLength + 1);
  const index: number[] = [];
  const weight: number[] = [];
  const cover = new Float64Array(outLength);
  // Edge j of the output grid, in input pixel coordinates (input pixel i spans [i, i+1]); both
  // centres sit at the middle of their grid. Neighbouring pixels share the same computed edge.
  const edge = (j: number): number => inLength / 2 + (j - outLength / 2) * ratio;
  let lo = edge(0);
  for (let j = 0; j < outLength; j++) {
    const hi = edge(j + 1);
    start[j] = index.length;
    const first = Math.max(0, Math.floor(lo));
    const last = Math.min(inLength - 1, Math.ceil(hi) - 1);
    let sum = 0;
    for (let i = first; i <= last; i++) {
      const w = Math.min(hi, i + 1) - Math.max(lo, i);
      if (w > 0) {
        index.push(i);
        weight.push(w);
        sum += w;
      }
    }
    cover[j] = sum / ratio;
    lo = hi;
  }
  start[outLength] = index.length;
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight), cover };
}

/**
 * Resamples `image` (width*height, row-major, fromScale arcsec/pixel) onto an outWidth*outHeight
 * grid of toScale arcsec/pixel with the same centre. Each output pixel is the sum over input pixels
 * of value × (fraction of that input pixel's area inside the output pixel), so the output holds the
 * flux of the input it covers. NaN/±Inf input pixels are missing: they add no flux and their area
 * counts as not covered. An output pixel less than half covered by finite input is NaN; otherwise
 * its flux is divided by its covered fraction, so edges and holes are not darkened (the sum is
 * therefore exact only where every output pixel touching the input is fully covered).
 *
 * With equal scales (within 1e-6) and an integer offset between the grids this is an exact centre
 * crop or pad. Cost is O((height + outHeight) * outWidth * k), k the input pixels per output pixel.
 */
export function resampleToGrid(
  image: Float32Array,
  width: number,
  height: number,
  fromScale: number,
  toScale: number,
  outWidth: number,
  outHeight: number,
): Resampled {
  checkSize('width', width);
  checkSize('height', height);
  checkSize('outWidth', outWidth);
  checkSize('outHeight', outHeight);
  checkScale('fromScale', fromScale);
  checkScale('toScale', toScale);
  if (image.length !== width * height) {
    throw new DarklensError(
      'invalid_argument',
      `resample: image has ${image.length} values; accepted: width*height = ${width}*${height} = ${width * height}`,
    );
  }
  const ratio = sizeRatio(fromScale, toScale);
  const wx = axisWeights(width, outWidth, ratio);
  const wy = axisWeights(height, outHeight, ratio);

  // Only the input rows some output row overlaps take part in the x pass (indices ascend).
  const rowFirst = wy.index[0] ?? 0;
  const rows = wy.index.length > 0 ? (wy.index[wy.index.length - 1] as number) - rowFirst + 1 : 0;

  // Pass 1 (along x): flux and finite-area per (input row, output column), in float64.
  const flux = new Float64Array(rows * outWidth);
  const area = new Float64Array(flux.length);
  for (let r = 0; r < rows; r++) {
    const rowOffset = (rowFirst + r) * width;
    for (let j = 0; j < outWidth; j++) {
      let f = 0;
      let a = 0;
      for (let e = wx.start[j] as number; e < (wx.start[j + 1] as number); e++) {
        const v = image[rowOffset + (wx.index[e] as number)] as number;
        if (!Number.isFinite(v)) continue;
        const w = wx.weight[e] as number;
        f += v * w;
        a += w;
      }
      flux[r * outWidth + j] = f;
      area[r * outWidth + j] = a;
    }
  }

  // Pass 2 (along y), then the cover rule. Covered area is in input pixel areas; one output pixel
  // is ratio^2 of them.
  const outArea = ratio * ratio;
  const data = new Float32Array(outWidth * outHeight);
  let finite = 0;
  for (let l = 0; l < outHeight; l++) {
    for (let j = 0; j < outWidth; j++) {
      let f = 0;
      let a = 0;
      for (let e = wy.start[l] as number; e < (wy.start[l + 1] as number); e++) {
        const k = ((wy.index[e] as number) - rowFirst) * outWidth + j;
        const w = wy.weight[e] as number;
        f += (flux[k] as number) * w;
        a += (area[k] as number) * w;
      }
      const covered = a / outArea;
      const v = covered >= MIN_PIXEL_COVER - COVER_EPSILON ? f / covered : NaN;
      data[l * outWidth + j] = v;
      if (Number.isFinite(data[l * outWidth + j])) finite++;
    }
  }
  return { data, coverage: finite / data.length };
}

/**
 * Fraction of the output grid that a fully finite input of this geometry covers (the coverage
 * resampleToGrid would report for an image without masked pixels). It tells a field of view that
 * is too small apart from one with many masked pixels, without resampling.
 */
export function fieldCoverage(
  width: number,
  height: number,
  fromScale: number,
  toScale: number,
  outWidth: number,
  outHeight: number,
): number {
  checkSize('width', width);
  checkSize('height', height);
  checkSize('outWidth', outWidth);
  checkSize('outHeight', outHeight);
  checkScale('fromScale', fromScale);
  checkScale('toScale', toScale);
  const ratio = sizeRatio(fromScale, toScale);
  const cx = axisWeights(width, outWidth, ratio).cover;
  const cy = axisWeights(height, outHeight, ratio).cover;
  let covered = 0;
  for (const y of cy) for (const x of cx) if (x * y >= MIN_PIXEL_COVER - COVER_EPSILON) covered++;
  return covered / (outWidth * outHeight);
}
