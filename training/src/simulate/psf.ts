/**
 * Gaussian PSF applied as two 1-D passes. The kernel is the Gaussian integrated over each pixel
 * (differences of erf), normalized to unit sum, so flux is conserved even when sigma is near a pixel.
 */
const kernels = new Map<number, Float64Array>();

export function gaussianKernel(sigmaPx: number): Float64Array {
  const known = kernels.get(sigmaPx);
  if (known) return known;
  if (kernels.size > 64) kernels.clear();
  const radius = Math.max(1, Math.ceil(4 * sigmaPx));
  const k = new Float64Array(2 * radius + 1);
  const s = sigmaPx * Math.SQRT2;
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = erf((i + 0.5) / s) - erf((i - 0.5) / s);
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  kernels.set(sigmaPx, k);
  return k;
}

/** Padding (pixels) a field needs around the cropped image so the convolution sees real light at the edges. */
export function psfPadding(sigmaPx: number): number {
  return sigmaPx > 0 ? Math.max(1, Math.ceil(4 * sigmaPx)) : 0;
}

/**
 * Convolves a side x side field with the separable kernel and returns the central crop of
 * (side - 2 * pad)^2 pixels. pad must be at least the kernel radius, so every tap stays inside the
 * field and the loops need no bounds checks.
 */
export function convolveAndCrop(field: Float64Array, side: number, kernel: Float64Array, pad: number): Float64Array {
  const r = (kernel.length - 1) / 2;
  if (pad < r) throw new RangeError(`padding ${pad} is smaller than the kernel radius ${r}`);
  const out = side - 2 * pad;
  const taps = kernel.length;
  // Horizontal pass over every row (the vertical pass needs the padding rows too).
  const tmp = new Float64Array(side * out);
  for (let j = 0; j < side; j++) {
    for (let i = 0; i < out; i++) {
      const first = j * side + i + pad - r;
      let acc = 0;
      for (let t = 0; t < taps; t++) acc += kernel[t]! * field[first + t]!;
      tmp[j * out + i] = acc;
    }
  }
  const res = new Float64Array(out * out);
  for (let j = 0; j < out; j++) {
    const first = (j + pad - r) * out;
    for (let i = 0; i < out; i++) {
      let acc = 0;
      for (let t = 0; t < taps; t++) acc += kernel[t]! * tmp[first + t * out + i]!;
      res[j * out + i] = acc;
    }
  }
  return res;
}

/** Crops the central (side - 2 pad)^2 pixels without convolving. */
export function crop(field: Float64Array, side: number, pad: number): Float64Array {
  if (pad === 0) return field;
  const out = side - 2 * pad;
  const res = new Float64Array(out * out);
  for (let j = 0; j < out; j++) res.set(field.subarray((j + pad) * side + pad, (j + pad) * side + pad + out), j * out);
  return res;
}

/** erf with Abramowitz & Stegun 7.1.26-style rational approximation refined to ~1e-12 (W. J. Cody's form). */
export function erf(x: number): number {
  // Series for small |x|, continued fraction via erfc for large |x|: both converge to double precision.
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const v = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -v : v;
  }
  // Lentz continued fraction for erfc(ax).
  let f = ax;
  let C = ax;
  let D = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    D = ax + an * D;
    D = D === 0 ? 1e-300 : 1 / D;
    C = ax + an / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
  const v = 1 - erfc;
  return x < 0 ? -v : v;
}
