import { centredGrid, subpixelCoords, type Grid } from './grid.js';
import { addPoissonNoise, exposureForSnr } from './noise.js';
import { hostThetaE, type LensParams } from './params.js';
import { PointMassField } from './point-masses.js';
import { convolveAndCrop, crop, gaussianKernel, psfPadding } from './psf.js';
import { SersicEvaluator, shapeAt } from './sersic.js';

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
 * Renders one lens: ray-trace every sub-pixel through SIS (hostThetaE) + external shear + point masses, sample
 * the source's surface brightness there (lensing conserves surface brightness), add the lens light,
 * bin the sub-pixels, convolve with the PSF, then add Poisson noise at the requested peak SNR.
 * The field is padded by the PSF's radius so light from just outside the cutout blurs in; that ring
 * only feeds the PSF's tails and is sampled at pixel centres, the cutout itself at p.supersample^2.
 */
export function renderLens(p: LensParams, options: RenderOptions = {}): RenderResult {
  const usePsf = options.psf !== false && p.psfSigma > 0;
  const sigmaPx = p.psfSigma / p.pixelScale;
  const pad = usePsf ? psfPadding(sigmaPx) : 0;
  const grid = centredGrid(p.grid, p.pixelScale, pad);
  const side = grid.side;
  const inner = sampling(grid, p.supersample);
  const ring = pad > 0 ? sampling(grid, 1) : inner;

  const source = new SersicEvaluator(p.source);
  const light = options.lensLight === false ? undefined : new SersicEvaluator(p.lensLight);
  const field = p.subhalos.length > 0 ? new PointMassField(p.subhalos, grid, { exact: options.exactSubhalos === true }) : undefined;
  const arcAcc = new Float64Array(side * side);
  const lightAcc = new Float64Array(side * side);
  traceSource(p, grid, pad, inner, ring, source, field, arcAcc);
  if (light) sampleLensLight(grid, pad, inner, ring, light, lightAcc);

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
 * x/|x| and y/|x| at every sample of a coordinate axis: the SIS deflection is thetaE times this, and
 * it depends only on the grid, so it is computed once per grid and kept (a few MB at most).
 */
const unitCache = new Map<string, { ux: Float64Array; uy: Float64Array }>();

function sisUnitVectors(coords: Float64Array): { ux: Float64Array; uy: Float64Array } {
  const n = coords.length;
  const key = `${n}:${coords[0]}:${coords[n - 1]}`;
  const known = unitCache.get(key);
  if (known) return known;
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
  if (unitCache.size >= 8) unitCache.clear();
  unitCache.set(key, { ux, uy });
  return { ux, uy };
}

/** Sampling of one region of the grid: S x S sub-pixels per pixel. */
interface Sampling {
  S: number;
  coords: Float64Array;
  ux: Float64Array;
  uy: Float64Array;
  frac: Float64Array;
}

function sampling(grid: Grid, S: number): Sampling {
  const coords = subpixelCoords(grid, S);
  const frac = new Float64Array(S);
  for (let s = 0; s < S; s++) frac[s] = (s + 0.5) / S;
  return { S, coords, frac, ...sisUnitVectors(coords) };
}

/**
 * The hot loop: for every sub-pixel, deflect (SIS + shear + point masses), find where the ray lands
 * in the source's own frame, and sample the source there; sum per pixel.
 *
 * The traced position is linear in (x, y, x/|x|, y/|x|, point-mass field), and so is the source's
 * rotated, axis-ratio-scaled, table-scaled frame, so all of it folds into per-image coefficients:
 * per ray, a handful of multiply-adds, one sqrt and one table lookup. Far from every point mass their
 * field is interpolated from the pixel's corners (linear along a sub-row); the pixel's near masses
 * are summed exactly. The padding ring outside the image, which only feeds the PSF's tails, is
 * sampled at pixel centres (`ring`); the image itself at `inner`.
 */
function traceSource(
  p: LensParams,
  grid: Grid,
  pad: number,
  inner: Sampling,
  ring: Sampling,
  source: SersicEvaluator,
  field: PointMassField | undefined,
  arcAcc: Float64Array,
): void {
  const side = grid.side;
  const thetaE = hostThetaE(p);
  const g1 = p.shear.gamma * Math.cos(2 * p.shear.phi);
  const g2 = p.shear.gamma * Math.sin(2 * p.shear.phi);
  const c = source.cos, s = source.sin, sX = source.p.x, sY = source.p.y;
  // u, v: table-index units along the source's major and minor axes.
  const ku = source.sqrtQ * source.scale;
  const kv = source.invSqrtQ * source.scale;
  const Ax = ku * (c * (1 - g1) - s * g2), Ay = ku * (s * (1 + g1) - c * g2);
  const Aux = -ku * thetaE * c, Auy = -ku * thetaE * s, A0 = -ku * (c * sX + s * sY);
  const Bx = kv * (-c * g2 - s * (1 - g1)), By = kv * (c * (1 + g1) + s * g2);
  const Bux = kv * thetaE * s, Buy = -kv * thetaE * c, B0 = -kv * (c * sY - s * sX);
  // A deflection (fx, fy) moves (u, v) by (Fu fx + Fv fy, Gu fx + Gv fy).
  const Fu = -ku * c, Fv = -ku * s, Gu = kv * s, Gv = -kv * c;
  const T = source.table, ie = source.p.ie, n = source.p.n;

  const hasField = field !== undefined;
  const nearStart = field?.nearStart;
  const nearList = field?.nearList;
  const mx = field?.xs, my = field?.ys, mb = field?.bs;
  const corners = new Float64Array(8);

  for (let j = 0; j < side; j++) {
    const jIn = j >= pad && j < side - pad;
    for (let i = 0; i < side; i++) {
      const smp = jIn && i >= pad && i < side - pad ? inner : ring;
      const S = smp.S, coords = smp.coords, ux = smp.ux, uy = smp.uy, frac = smp.frac;
      const rowLen = side * S;
      // Far field at the corners, already in (u, v) units; near masses q0..q1.
      let u00 = 0, u10 = 0, u01 = 0, u11 = 0, v00 = 0, v10 = 0, v01 = 0, v11 = 0, q0 = 0, q1 = 0;
      if (hasField) {
        field.farCorners(i, j, corners);
        u00 = Fu * corners[0]! + Fv * corners[4]!;
        u10 = Fu * corners[1]! + Fv * corners[5]!;
        u01 = Fu * corners[2]! + Fv * corners[6]!;
        u11 = Fu * corners[3]! + Fv * corners[7]!;
        v00 = Gu * corners[0]! + Gv * corners[4]!;
        v10 = Gu * corners[1]! + Gv * corners[5]!;
        v01 = Gu * corners[2]! + Gv * corners[6]!;
        v11 = Gu * corners[3]! + Gv * corners[7]!;
        q0 = nearStart![j * side + i]!;
        q1 = nearStart![j * side + i + 1]!;
      }
      let sum = 0;
      for (let sj = 0; sj < S; sj++) {
        const row = j * S + sj;
        const y = coords[row]!;
        const fy = frac[sj]!;
        const uL = u00 + fy * (u01 - u00);
        const uD = u10 + fy * (u11 - u10) - uL;
        const vL = v00 + fy * (v01 - v00);
        const vD = v10 + fy * (v11 - v10) - vL;
        const rowU = Ay * y + A0 + uL;
        const rowV = By * y + B0 + vL;
        const base = row * rowLen + i * S;
        for (let si = 0; si < S; si++) {
          const x = coords[i * S + si]!;
          const ex = ux[base + si]!;
          const ey = uy[base + si]!;
          const f = frac[si]!;
          let u = rowU + Ax * x + Aux * ex + Auy * ey + f * uD;
          let v = rowV + Bx * x + Bux * ex + Buy * ey + f * vD;
          for (let q = q0; q < q1; q++) {
            const m = nearList![q]!;
            const dx = x - mx![m]!;
            const dy = y - my![m]!;
            const r2 = dx * dx + dy * dy;
            if (r2 > 0) {
              const w = mb![m]! / r2;
              u += w * (Fu * dx + Fv * dy);
              v += w * (Gu * dx + Gv * dy);
            }
          }
          sum += shapeAt(T, n, Math.sqrt(u * u + v * v));
        }
      }
      arcAcc[j * side + i] = (sum * ie) / (S * S);
    }
  }
}

/**
 * Lens light, averaged per pixel. The profile is centred on the lens and so point-symmetric, and the
 * grid is symmetric about the lens: pixel k and pixel N - 1 - k are mirror images and get the same
 * value, computed once.
 */
function sampleLensLight(grid: Grid, pad: number, inner: Sampling, ring: Sampling, light: SersicEvaluator, acc: Float64Array): void {
  const { ie, n, x: cx0, y: cy0 } = light.p;
  if (cx0 !== 0 || cy0 !== 0) throw new Error('lens light must be centred on the lens');
  const { table: T, scale: K } = light;
  const Lx = light.cos * light.sqrtQ * K, Ly = light.sin * light.sqrtQ * K;
  const Mx = -light.sin * light.invSqrtQ * K, My = light.cos * light.invSqrtQ * K;
  const side = grid.side;
  const N = side * side;
  for (let k = 0; k < Math.ceil(N / 2); k++) {
    const j = (k / side) | 0;
    const i = k - j * side;
    const smp = j >= pad && j < side - pad && i >= pad && i < side - pad ? inner : ring;
    const S = smp.S, coords = smp.coords;
    let sum = 0;
    for (let sj = 0; sj < S; sj++) {
      const y = coords[j * S + sj]!;
      const uy = Ly * y, vy = My * y;
      for (let si = 0; si < S; si++) {
        const x = coords[i * S + si]!;
        const u = Lx * x + uy;
        const v = Mx * x + vy;
        sum += shapeAt(T, n, Math.sqrt(u * u + v * v));
      }
    }
    const value = (sum * ie) / (S * S);
    acc[k] = value;
    acc[N - 1 - k] = value;
  }
}
