/**
 * Separable Gaussian smoothing of an image, edges extended with the nearest pixel. Used to estimate
 * the noiseless intensity of a cutout (noise.ts); the scores' PSF filters live in the ONNX graph.
 */

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

/** `image` (width*height, row-major, finite) smoothed by a Gaussian of `sigma` pixels. */
export function gaussianBlur(image: ArrayLike<number>, width: number, height: number, sigma: number): Float64Array {
  const taps = gaussianTaps(sigma);
  const r = (taps.length - 1) / 2;
  const src = Float64Array.from(image);
  const tmp = new Float64Array(width * height);
  // Along rows, then columns; the edge-clamped index only near the borders.
  const pass = (from: Float64Array, to: Float64Array, length: number, lines: number, stride: number, step: number): void => {
    for (let line = 0; line < lines; line++) {
      const base = line * stride;
      for (let i = 0; i < length; i++) {
        let sum = 0;
        if (i >= r && i < length - r) {
          const at = base + (i - r) * step;
          for (let k = 0; k < taps.length; k++) sum += taps[k]! * from[at + k * step]!;
        } else {
          for (let k = -r; k <= r; k++) sum += taps[k + r]! * from[base + Math.min(length - 1, Math.max(0, i + k)) * step]!;
        }
        to[base + i * step] = sum;
      }
    }
  };
  pass(src, tmp, width, height, width, 1);
  const out = new Float64Array(width * height);
  pass(tmp, out, height, width, 1, width);
  return out;
}
