/**
 * What a prepared cutout says about where it came from, measured on the model's grid with its noise
 * model: how big the lens is, how sharp its finest structure is (the PSF bounds it from below), and
 * how noisy it is. The out-of-domain guard compares these with the ranges measured on the model
 * set's own smooth calibration lenses (see guard.ts), so a cutout from another survey is recognised
 * even when its file says nothing about its pixel scale or PSF.
 */
import { gaussianBlur } from '../preprocess/blur.js';
import { select } from '../preprocess/order-statistics.js';
import { float64Scratch, uint8Scratch } from '../preprocess/scratch.js';
import type { PreparedCutout } from '../preprocess/prepare.js';

export interface ImageStats {
  /** Light-weighted RMS radius of the lens light about its centroid, in pixels of the model's grid. */
  radius: number;
  /**
   * Width (Gaussian sigma, pixels) of the image's finest structure: sqrt(2 E|grad I|^2 / E(lap I)^2)
   * of the image smoothed by 1 pixel, the smoothed noise's expected part taken out of both sums and
   * the smoothing taken out in quadrature. It grows with the PSF and the source's width together: a
   * proxy compared only with the set's own calibration range, not a calibrated PSF measurement.
   */
  sharpness: number;
  /** Sky noise (standard deviation) relative to the image's range: about 1/SNR of the faintest light. */
  noise: number;
  /**
   * sharpness / radius: the resolution relative to the lens's size. Pixel-scale free, so it tells
   * surveys apart when the file states no scale: at 0.7" seeing an arc is wide for its ring, at 0.1"
   * it is thin (model-a's 20,000 calibration lenses reach up to 0.175, LSST's start at 0.185).
   */
  relativeWidth: number;
}

/** Names of the statistics, in the order reports print them. */
export const IMAGE_STATS: readonly (keyof ImageStats)[] = ['radius', 'sharpness', 'noise', 'relativeWidth'];

/** Pixels count in the radius when they are this many sky sigmas above the background. */
const RADIUS_SIGMAS = 3;

/** Smoothing (pixels, Gaussian sigma) before the sharpness sums: it keeps pixel noise from dominating them. */
const SMOOTH = 1;

let gains: [number, number] | undefined;
/** Variance of the smoothed gradient and Laplacian of unit white noise: the filters' summed squared taps. */
function noiseGains(): [number, number] {
  if (gains !== undefined) return gains;
  const n = 21;
  const c = (n >> 1) * n + (n >> 1);
  const delta = new Float64Array(n * n);
  delta[c] = 1;
  const k = gaussianBlur(delta, n, n, SMOOTH);
  // The response of output pixel p to input pixel q is filter(p - q): sum the squares over p.
  let g = 0;
  let l = 0;
  for (let y = 1; y < n - 1; y++) {
    for (let i = 1; i < n - 1; i++) {
      const p = y * n + i;
      g += ((k[p + 1]! - k[p - 1]!) / 2) ** 2 + ((k[p + n]! - k[p - n]!) / 2) ** 2;
      l += (k[p - 1]! + k[p + 1]! + k[p - n]! + k[p + n]! - 4 * k[p]!) ** 2;
    }
  }
  gains = [g, l];
  return gains;
}

// Working buffers (see scratch.ts), reused from cutout to cutout.
const usableBuf = uint8Scratch();
const valuesBuf = float64Scratch();
const smoothBuf = float64Scratch();

/** What one pass over a cutout's noise model gives imageStats. */
interface NoiseSummary {
  /** 1 where a pixel counts: its base variance is finite and it is not masked. */
  usable: Uint8Array;
  /** Sky variance: the median (upper middle) base variance of the usable pixels; 0 when none is. */
  skyVariance: number;
  /** Mean expected noise variance of the usable pixels (base plus Poisson term); 0 when none is. */
  meanVariance: number;
}

function noiseSummary(prep: PreparedCutout): NoiseSummary {
  const x = prep.pixels;
  const { variance, background, gain } = prep.noise;
  const { mask } = prep;
  const n = x.length;
  const usable = usableBuf.get(n);
  const values = valuesBuf.get(n);
  let m = 0;
  let vsum = 0;
  let allEqual = true;
  for (let p = 0; p < n; p++) {
    const v = variance[p]!;
    const ok = Number.isFinite(v) && (mask === undefined || mask[p] === 0);
    usable[p] = ok ? 1 : 0;
    if (!ok) continue;
    if (m > 0 && v !== values[0]) allEqual = false;
    values[m++] = v;
    vsum += v + gain * Math.max(x[p]! - background, 0);
  }
  // An estimated noise model has a single base variance: no median to select then.
  const skyVariance = m === 0 ? 0 : allEqual ? values[0]! : select(values, m, m >> 1);
  return { usable, skyVariance, meanVariance: m > 0 ? vsum / m : 0 };
}

/** The statistics of one prepared cutout (masked pixels and their neighbours never count). */
export function imageStats(prep: PreparedCutout, width: number, height: number): ImageStats {
  const x = prep.pixels;
  const { background } = prep.noise;
  const { usable, skyVariance, meanVariance: vmean } = noiseSummary(prep);
  // Sky sigma: the median base variance of the usable pixels (constant when estimated).
  const noise = Math.sqrt(skyVariance);

  // Radius: light above background + 3 sigma, weighted by its excess.
  const cut = background + RADIUS_SIGMAS * noise;
  let s = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width; i++) {
      const p = y * width + i;
      const w = usable[p] === 1 ? x[p]! - cut : 0;
      if (w <= 0) continue;
      s += w;
      sx += w * i;
      sy += w * y;
    }
  }
  let radius = 0;
  if (s > 0) {
    const cx = sx / s;
    const cy = sy / s;
    let r2 = 0;
    for (let y = 0; y < height; y++) {
      for (let i = 0; i < width; i++) {
        const p = y * width + i;
        const w = usable[p] === 1 ? x[p]! - cut : 0;
        if (w > 0) r2 += w * ((i - cx) ** 2 + (y - cy) ** 2);
      }
    }
    radius = Math.sqrt(r2 / s);
  }

  // Sharpness: gradient (central differences) and 5-point Laplacian energies of the image smoothed by
  // SMOOTH pixels, less what the smoothed noise adds to each (exact for white noise of the mean
  // variance); the smoothing's own width is then taken out in quadrature.
  const smooth = gaussianBlur(x, width, height, SMOOTH, smoothBuf.get(width * height));
  const [noiseG, noiseL] = noiseGains();
  let g = 0;
  let l = 0;
  let m = 0;
  for (let y = 2; y < height - 2; y++) {
    for (let i = 2; i < width - 2; i++) {
      const p = y * width + i;
      if (usable[p] === 0) continue;
      const gx = (smooth[p + 1]! - smooth[p - 1]!) / 2;
      const gy = (smooth[p + width]! - smooth[p - width]!) / 2;
      const lap = smooth[p - 1]! + smooth[p + 1]! + smooth[p - width]! + smooth[p + width]! - 4 * smooth[p]!;
      g += gx * gx + gy * gy;
      l += lap * lap;
      m++;
    }
  }
  g -= m * vmean * noiseG;
  l -= m * vmean * noiseL;
  const total2 = g > 0 && l > 0 ? (2 * g) / l : Infinity;
  const sharpness = Math.sqrt(Math.max(total2 - SMOOTH * SMOOTH, 0));
  return { radius, sharpness, noise, relativeWidth: radius > 0 ? sharpness / radius : Infinity };
}
