/**
 * Separable Gaussian smoothing of an image, edges extended with the nearest pixel. Used to estimate
 * the noiseless intensity of a cutout (noise.ts) and the sharpness of its structure (image-stats.ts);
 * the scores' PSF filters live in the ONNX graph.
 *
 * It runs for every cutout served, so it is written for speed, but every output pixel is still the
 * same float64 sum, taken in the same order (taps[0] * first neighbour + taps[1] * next ...), as the
 * plain loop it replaced: the registered calibrations were computed with those exact values. The
 * speed comes from summing eight neighbouring pixels at once (eight independent chains of additions
 * keep the CPU busy where one chain waits on each addition, and each tap is loaded once for eight
 * pixels), from clamping edges once per line instead of per tap, and from reusing the intermediate
 * buffers.
 */
import { float64Scratch, int32Scratch } from './scratch.js';

/** Taps of a normalized 1-D Gaussian of `sigma` pixels, truncated at 4 sigma. */
export function gaussianTaps(sigma: number): Float64Array {
  const radius = Math.max(1, Math.ceil(4 * sigma));
  const taps = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    const v = Math.exp(-(k * k) / (2 * sigma * sigma));
    taps[k + radius] = v;
    sum += v;
  }
  for (let k = 0; k < taps.length; k++) taps[k] = taps[k]! / sum;
  return taps;
}

/** Taps by sigma: the code uses two widths, so a handful of entries at most. */
const tapsCache = new Map<number, Float64Array>();

function cachedTaps(sigma: number): Float64Array {
  let taps = tapsCache.get(sigma);
  if (taps === undefined) {
    if (tapsCache.size >= 8) tapsCache.clear();
    taps = gaussianTaps(sigma);
    tapsCache.set(sigma, taps);
  }
  return taps;
}

const rowPass = float64Scratch();
const paddedLine = float64Scratch();
const lineOffsets = int32Scratch();

/**
 * `image` (width*height, row-major, finite) smoothed by a Gaussian of `sigma` pixels, written to `out`
 * (a new array unless given; `image` itself is fine: it is read whole before `out` is written).
 */
export function gaussianBlur(
  image: ArrayLike<number>,
  width: number,
  height: number,
  sigma: number,
  out: Float64Array = new Float64Array(width * height),
): Float64Array {
  const taps = cachedTaps(sigma);
  const rows = rowPass.get(width * height);
  blurRows(image, rows, width, height, taps);
  blurColumns(rows, out, width, height, taps);
  return out;
}

/**
 * Along each row: the row is copied into a buffer padded with its end values (so the taps never need
 * a clamped index), then each output is the taps' dot product with the padded window.
 */
function blurRows(src: ArrayLike<number>, dst: Float64Array, width: number, height: number, taps: Float64Array): void {
  const nt = taps.length;
  const r = (nt - 1) >> 1;
  const line = paddedLine.get(width + 2 * r);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    const first = src[base]!;
    const last = src[base + width - 1]!;
    for (let j = 0; j < r; j++) {
      line[j] = first;
      line[r + width + j] = last;
    }
    for (let i = 0; i < width; i++) line[r + i] = src[base + i]!;
    let i = 0;
    for (; i + 7 < width; i += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let k = 0; k < nt; k++) {
        const t = taps[k]!;
        const at = i + k;
        s0 += t * line[at]!;
        s1 += t * line[at + 1]!;
        s2 += t * line[at + 2]!;
        s3 += t * line[at + 3]!;
        s4 += t * line[at + 4]!;
        s5 += t * line[at + 5]!;
        s6 += t * line[at + 6]!;
        s7 += t * line[at + 7]!;
      }
      store8(dst, base + i, s0, s1, s2, s3, s4, s5, s6, s7);
    }
    for (; i < width; i++) {
      let sum = 0;
      for (let k = 0; k < nt; k++) sum += taps[k]! * line[i + k]!;
      dst[base + i] = sum;
    }
  }
}

/**
 * Along each column, eight columns at a time (reading along rows); the clamped source row of each tap
 * is looked up from a table of row offsets.
 */
function blurColumns(src: Float64Array, dst: Float64Array, width: number, height: number, taps: Float64Array): void {
  const nt = taps.length;
  const r = (nt - 1) >> 1;
  // rowAt[y + k] = offset of row clamp(y + k - r), the source row of tap k for output row y.
  const rowAt = lineOffsets.get(height + 2 * r);
  for (let j = 0; j < rowAt.length; j++) rowAt[j] = Math.min(height - 1, Math.max(0, j - r)) * width;
  for (let y = 0; y < height; y++) {
    const base = y * width;
    let i = 0;
    for (; i + 7 < width; i += 8) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      for (let k = 0; k < nt; k++) {
        const t = taps[k]!;
        const at = rowAt[y + k]! + i;
        s0 += t * src[at]!;
        s1 += t * src[at + 1]!;
        s2 += t * src[at + 2]!;
        s3 += t * src[at + 3]!;
        s4 += t * src[at + 4]!;
        s5 += t * src[at + 5]!;
        s6 += t * src[at + 6]!;
        s7 += t * src[at + 7]!;
      }
      store8(dst, base + i, s0, s1, s2, s3, s4, s5, s6, s7);
    }
    for (; i < width; i++) {
      let sum = 0;
      for (let k = 0; k < nt; k++) sum += taps[k]! * src[rowAt[y + k]! + i]!;
      dst[base + i] = sum;
    }
  }
}

/** dst[at..at+7] = s0..s7. */
function store8(dst: Float64Array, at: number, s0: number, s1: number, s2: number, s3: number, s4: number, s5: number, s6: number, s7: number): void {
  dst[at] = s0;
  dst[at + 1] = s1;
  dst[at + 2] = s2;
  dst[at + 3] = s3;
  dst[at + 4] = s4;
  dst[at + 5] = s5;
  dst[at + 6] = s6;
  dst[at + 7] = s7;
}
