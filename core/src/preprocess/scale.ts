/**
 * Per-image min-max scaling to [0, 1]: the normalization the reference applied to every image
 * (through 8-bit PNGs) and that darklens models are trained on. Shared by the simulator, training and
 * serving so the three can never disagree. Non-finite (masked) pixels are ignored when finding the
 * range and come out as NaN; a constant image maps to zeros.
 */
export function minMaxScale(image: ArrayLike<number>, out: Float32Array = new Float32Array(image.length)): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < image.length; k++) {
    const v = image[k]!;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo;
  const scale = span > 0 ? 1 / span : 0;
  for (let k = 0; k < image.length; k++) {
    const v = image[k]!;
    out[k] = Number.isFinite(v) ? (scale > 0 ? (v - lo) * scale : 0) : NaN;
  }
  return out;
}
