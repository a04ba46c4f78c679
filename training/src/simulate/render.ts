import { centredGrid, subpixelCoords } from './grid.js';
import { addPoissonNoise, exposureForSnr } from './noise.js';
import type { LensParams } from './params.js';
import { PointMassField } from './point-masses.js';
import { convolveAndCrop, crop, gaussianKernel, psfPadding } from './psf.js';
import { SersicEvaluator, STEPS_PER_RE, T_MAX, sersicShape } from './sersic.js';

export interface RenderOptions {
  /** Convolve with the PSF (default true). */
  psf?: boolean;
  /** Add the lens galaxy's own light (default true). */
  lensLight?: boolean;
  /** Add Poisson noise (default true). */
  noise?: boolean;
  /** Sum every point mass exactly at every sub-pixel instead of interpolating far fields (slow; for tests). */
  exactSubhalos?: boolean;
}

export interface RenderResult {
  /** Final image in physical units (noisy unless noise is off), grid x grid, row 0 at the bottom. */
  image: Float64Array;
  /** The same image before noise. */
  noiseless: Float64Array;
  /** Lensed source light only (after PSF, before noise). */
  arc: Float64Array;
  /** Exposure chosen for the requested SNR (Infinity when noise is off or there is no arc). */
  exposure: number;
  /** Index of the pixel where the arc peaks (the SNR reference pixel). */
  arcPeakIndex: number;
}

/**
 * Renders one lens: ray-trace every sub-pixel through SIS + external shear + point masses, sample
 * the source's surface brightness there (lensing conserves surface brightness), add the lens light,
 * bin the sub-pixels, convolve with the PSF, then add Poisson noise at the requested peak SNR.
 */
export function renderLens(p: LensParams, options: RenderOptions = {}): RenderResult {
  const usePsf = options.psf !== false && p.psfSigma > 0;
  const sigmaPx = p.psfSigma / p.pixelScale;
  const pad = usePsf ? psfPadding(sigmaPx) : 0;
  const grid = centredGrid(p.grid, p.pixelScale, pad);
  const S = p.supersample;
  const side = grid.side;
  const coords = subpixelCoords(grid, S);

  const source = new SersicEvaluator(p.source);
  const light = options.lensLight === false ? undefined : new SersicEvaluator(p.lensLight);
  const field = p.subhalos.length > 0 ? new PointMassField(p.subhalos, grid, { exact: options.exactSubhalos === true }) : undefined;
  const arcAcc = new Float64Array(side * side);
  const lightAcc = new Float64Array(side * side);
  traceSource(p, side, S, coords, sisUnitVectors(coords), source, field, arcAcc);
  if (light) sampleLensLight(side, S, coords, light, lightAcc);

  const inv = 1 / (S * S);
  for (let k = 0; k < arcAcc.length; k++) {
    arcAcc[k]! *= inv;
    lightAcc[k]! *= inv;
  }

  let arc: Float64Array;
  let lens: Float64Array;
  if (usePsf) {
    const kernel = gaussianKernel(sigmaPx);
    arc = convolveAndCrop(arcAcc, side, kernel, pad);
    lens = convolveAndCrop(lightAcc, side, kernel, pad);
  } else {
    arc = crop(arcAcc, side, pad);
    lens = crop(lightAcc, side, pad);
  }

  const noiseless = new Float64Array(arc.length);
  let peak = 0;
  for (let k = 0; k < arc.length; k++) {
    noiseless[k] = arc[k]! + lens[k]!;
    if (arc[k]! > arc[peak]!) peak = k;
  }

  const exposure = options.noise === false ? Infinity : exposureForSnr(p.snr, arc[peak]!, noiseless[peak]!, p.sky);
  const image = addPoissonNoise(noiseless, exposure, p.sky, p.noiseSeed);
  return { image, noiseless, arc, exposure, arcPeakIndex: peak };
}

/**
 * x/|x| and y/|x| at every sub-pixel: the SIS deflection is thetaE times this, and it depends only
 * on the grid, so it is computed once per grid and kept (a few MB at most).
 */
const unitCache = new Map<Float64Array, { ux: Float64Array; uy: Float64Array }>();
const unitKeys = new Map<string, Float64Array>();

function sisUnitVectors(coords: Float64Array): { ux: Float64Array; uy: Float64Array } {
  const key = `${coords.length}:${coords[0]}:${coords[1]}`;
  const known = unitKeys.get(key);
  if (known) return unitCache.get(known)!;
  const n = coords.length;
  const ux = new Float64Array(n * n);
  const uy = new Float64Array(n * n);
  for (let b = 0; b < n; b++) {
    const y = coords[b]!;
    for (let a = 0; a < n; a++) {
      const x = coords[a]!;
      const r = Math.sqrt(x * x + y * y);
      ux[b * n + a] = r > 0 ? x / r : 0;
      uy[b * n + a] = r > 0 ? y / r : 0;
    }
  }
  if (unitKeys.size > 8) {
    unitKeys.clear();
    unitCache.clear();
  }
  unitKeys.set(key, coords);
  unitCache.set(coords, { ux, uy });
  return { ux, uy };
}

const T_END = STEPS_PER_RE * T_MAX;

/**
 * The hot loop: for every sub-pixel, deflect (SIS + shear + point masses), sample the source at the
 * traced position and sum per pixel. Inlined by hand (it is most of the simulator's time). Far from
 * all point masses their field is interpolated bilinearly from the pixel's corners, which along a
 * sub-pixel row is linear in x: two multiply-adds per sub-pixel.
 */
function traceSource(
  p: LensParams,
  side: number,
  S: number,
  coords: Float64Array,
  sis: { ux: Float64Array; uy: Float64Array },
  source: SersicEvaluator,
  field: PointMassField | undefined,
  arcAcc: Float64Array,
): void {
  const thetaE = p.thetaE;
  const g1 = p.shear.gamma * Math.cos(2 * p.shear.phi);
  const g2 = p.shear.gamma * Math.sin(2 * p.shear.phi);
  const { ux, uy } = sis;
  const sT = source.table, sC = source.cos, sS = source.sin, sQ = source.sqrtQ, sIQ = source.invSqrtQ;
  const sK = source.scale, sX = source.p.x, sY = source.p.y, sIe = source.p.ie, sN = source.p.n, sRe = source.p.re;
  const hasField = field !== undefined;
  const near = field?.near;
  const cx = field?.cornerX;
  const cy = field?.cornerY;
  const cs = side + 1;
  const n = side * S;
  const sub = [0, 0];
  const frac = new Float64Array(S);
  for (let s = 0; s < S; s++) frac[s] = (s + 0.5) / S;

  for (let j = 0; j < side; j++) {
    for (let sj = 0; sj < S; sj++) {
      const row = j * S + sj;
      const y = coords[row]!;
      const fy = frac[sj]!;
      for (let i = 0; i < side; i++) {
        const exact = hasField && near![j * side + i] === 1;
        // Far field along this sub-row of the pixel: value at the left edge and change across it.
        let fxL = 0, fxD = 0, fyL = 0, fyD = 0;
        if (hasField && !exact) {
          const k = j * cs + i;
          const x00 = cx![k]!, x10 = cx![k + 1]!, x01 = cx![k + cs]!, x11 = cx![k + cs + 1]!;
          const y00 = cy![k]!, y10 = cy![k + 1]!, y01 = cy![k + cs]!, y11 = cy![k + cs + 1]!;
          fxL = x00 + fy * (x01 - x00);
          fxD = x10 + fy * (x11 - x10) - fxL;
          fyL = y00 + fy * (y01 - y00);
          fyD = y10 + fy * (y11 - y10) - fyL;
        }
        let arcSum = 0;
        const base = row * n + i * S;
        for (let si = 0; si < S; si++) {
          const x = coords[i * S + si]!;
          let ax = thetaE * ux[base + si]! + g1 * x + g2 * y;
          let ay = thetaE * uy[base + si]! + g2 * x - g1 * y;
          if (hasField) {
            if (exact) {
              field.exactInto(x, y, sub);
              ax += sub[0]!;
              ay += sub[1]!;
            } else {
              const f = frac[si]!;
              ax += fxL + f * fxD;
              ay += fyL + f * fyD;
            }
          }
          const dx = x - ax - sX;
          const dy = y - ay - sY;
          const u = (sC * dx + sS * dy) * sQ;
          const v = (sC * dy - sS * dx) * sIQ;
          const t = Math.sqrt(u * u + v * v) * sK;
          if (t < T_END) {
            const ti = t | 0;
            const t0 = sT[ti]!;
            arcSum += t0 + (t - ti) * (sT[ti + 1]! - t0);
          } else {
            arcSum += sersicShape(sN, t / sK / sRe);
          }
        }
        arcAcc[j * side + i]! += arcSum * sIe;
      }
    }
  }
}

/**
 * Lens light, summed per pixel. The profile is centred on the lens and so point-symmetric, and the
 * grid is symmetric about the lens, so each sub-pixel value in the lower half also serves its mirror
 * image (-x, -y): half the evaluations, bit-identical values.
 */
function sampleLensLight(side: number, S: number, coords: Float64Array, light: SersicEvaluator, acc: Float64Array): void {
  const { table: T, cos: c, sin: s, sqrtQ: q, invSqrtQ: iq, scale: K } = light;
  const { ie, n: sn, re, x: cx0, y: cy0 } = light.p;
  if (cx0 !== 0 || cy0 !== 0) throw new Error('lens light must be centred on the lens');
  const n = side * S;
  const half = Math.ceil(n / 2);
  for (let b = 0; b < half; b++) {
    const y = coords[b]!;
    const j = (b / S) | 0;
    const jm = side - 1 - j;
    // The middle sub-row of an odd count mirrors onto itself: count it once.
    const selfMirror = 2 * b + 1 === n;
    for (let a = 0; a < n; a++) {
      const x = coords[a]!;
      const u = (c * x + s * y) * q;
      const v = (c * y - s * x) * iq;
      const t = Math.sqrt(u * u + v * v) * K;
      let val: number;
      if (t < T_END) {
        const ti = t | 0;
        const t0 = T[ti]!;
        val = t0 + (t - ti) * (T[ti + 1]! - t0);
      } else {
        val = sersicShape(sn, t / K / re);
      }
      const i = (a / S) | 0;
      acc[j * side + i]! += val * ie;
      if (!selfMirror) acc[jm * side + (side - 1 - i)]! += val * ie;
    }
  }
}
