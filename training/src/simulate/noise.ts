import { Rng } from './rng.js';

/**
 * Exposure time that makes the lensed arc's peak signal-to-noise equal `snr` under Poisson noise
 * on (image + sky) * exposure: snr = S sqrt(t) / sqrt(I + sky) at the pixel where the arc (source
 * light after lensing and PSF) peaks with value S, I being the total light there.
 */
export function exposureForSnr(snr: number, arcPeak: number, totalAtPeak: number, sky: number): number {
  if (!(arcPeak > 0)) return Infinity; // no arc in the field: nothing to normalize against
  return (snr * snr * (totalAtPeak + sky)) / (arcPeak * arcPeak);
}

/**
 * Poisson noise on (image + sky) * exposure, divided by the exposure and sky-subtracted, as the
 * reference pipeline did. Returns a new array; `exposure` Infinity returns a noiseless copy.
 */
export function addPoissonNoise(image: Float64Array, exposure: number, sky: number, seed: number): Float64Array {
  const out = new Float64Array(image.length);
  if (!Number.isFinite(exposure)) {
    out.set(image);
    return out;
  }
  const rng = new Rng(seed);
  for (let k = 0; k < image.length; k++) {
    const mean = Math.max(0, (image[k]! + sky) * exposure);
    out[k] = rng.poisson(mean) / exposure - sky;
  }
  return out;
}
