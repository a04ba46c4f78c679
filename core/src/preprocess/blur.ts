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
  const tmp = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += taps[k + r]! * image[row + Math.min(width - 1, Math.max(0, x + k))]!;
      tmp[row + x] = s;
    }
  }
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = -r; k <= r; k++) s += taps[k + r]! * tmp[Math.min(height - 1, Math.max(0, y + k)) * width + x]!;
      out[y * width + x] = s;
    }
  }
  return out;
}
