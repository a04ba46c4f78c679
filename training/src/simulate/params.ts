import { scaledEinsteinRadius, REFERENCE_Z } from './cosmology.js';
import type { LensClass, SimulationSpec, ValueOrRange } from './presets.js';
import { hashSeed, Rng, STREAM } from './rng.js';

/** Physical constants of the reference simulations (../shared/science.md). */
export const PHYSICS = {
  thetaERef: 1.2,
  shearMax: 0.3,
  lensLight: { n: 2.5, re: 0.5, ie: 1.2, qMin: 0.5 },
  source: { n: 1.5, re: 0.5, ieMin: 0.7, ieMax: 0.9, qMin: 0.7, rMax: 1.2 },
  sphericalRMax: 1.0,
  vortexLength: 1.0,
  sky: 0.1,
} as const;

export interface SersicParams {
  n: number;
  /** Effective (half-light) radius in arcsec, along the circularized radius sqrt(q x'^2 + y'^2 / q). */
  re: number;
  /** Surface brightness at re. */
  ie: number;
  /** Axis ratio b/a in (0, 1]. */
  q: number;
  /** Position angle of the major axis, radians from +x towards +y. */
  angle: number;
  x: number;
  y: number;
}

export interface Subhalo {
  x: number;
  y: number;
  /** Einstein radius of the point mass, arcsec. */
  thetaE: number;
}

/**
 * Every drawn parameter of one image: enough to re-render it bit for bit (see render.ts).
 * Angles in radians, lengths in arcsec, image coordinates with the lens at the grid centre,
 * x along columns, y along rows (row 0 at the bottom, FITS order).
 */
export interface LensParams {
  version: 1;
  preset: string;
  class: LensClass;
  seed: number;
  index: number;
  grid: number;
  pixelScale: number;
  supersample: number;
  psfSigma: number;
  zl: number;
  zs: number;
  thetaE: number;
  /** External shear: gamma and the angle of image elongation phi. */
  shear: { gamma: number; phi: number };
  lensLight: SersicParams;
  source: SersicParams;
  fSub: number;
  /** Present (true) when the subhalos' mass is taken from the host: see hostThetaE. */
  massConserving?: true;
  subhalos: Subhalo[];
  /** Orientation of the vortex line (vortex class only). */
  vortexAngle?: number;
  snr: number;
  sky: number;
  noiseSeed: number;
}

function drawValue(rng: Rng, v: ValueOrRange): number {
  return typeof v === 'number' ? v : rng.range(v[0], v[1]);
}

/**
 * Draws the parameters of image `index` of a run. The macro model and the noise depend only on
 * (seed, index), never on the class: image i of a spherical run and image i of a no_sub run with the
 * same seed are twins that differ only by their subhalos.
 */
export function drawParams(spec: SimulationSpec, klass: LensClass, seed: number, index: number): LensParams {
  const macro = new Rng(hashSeed(seed, index, STREAM.macro));
  const { lensLight: LL, source: SRC } = PHYSICS;

  let zl: number = REFERENCE_Z.zl;
  let zs: number = REFERENCE_Z.zs;
  if (spec.redshifts === 'random') {
    zl = macro.range(0.3, 0.7);
    zs = macro.range(zl + 0.4, 2.0);
  }
  const thetaE = spec.redshifts === 'random' ? scaledEinsteinRadius(PHYSICS.thetaERef, zl, zs) : PHYSICS.thetaERef;

  const shear = { gamma: macro.range(0, PHYSICS.shearMax), phi: macro.range(0, Math.PI) };
  const lensLight: SersicParams = { n: LL.n, re: LL.re, ie: LL.ie, q: macro.range(LL.qMin, 1), angle: macro.range(0, Math.PI), x: 0, y: 0 };
  const srcIe = macro.range(SRC.ieMin, SRC.ieMax);
  const srcQ = macro.range(SRC.qMin, 1);
  const srcAngle = macro.range(0, Math.PI);
  const srcR = macro.range(0, SRC.rMax);
  const srcPa = macro.range(0, 2 * Math.PI);
  const source: SersicParams = { n: SRC.n, re: SRC.re, ie: srcIe, q: srcQ, angle: srcAngle, x: srcR * Math.cos(srcPa), y: srcR * Math.sin(srcPa) };
  const snr = drawValue(macro, spec.snr);

  const params: LensParams = {
    version: 1,
    preset: spec.preset,
    class: klass,
    seed,
    index,
    grid: spec.grid,
    pixelScale: spec.pixelScale,
    supersample: spec.supersample,
    psfSigma: spec.psfSigma,
    zl,
    zs,
    thetaE,
    shear,
    lensLight,
    source,
    fSub: klass === 'no_sub' ? 0 : spec.fSub,
    subhalos: [],
    snr,
    sky: PHYSICS.sky,
    noiseSeed: hashSeed(seed, index, STREAM.noise),
  };
  if (spec.massConserving === true) params.massConserving = true;
  if (klass !== 'no_sub') drawSubhalos(params, klass, spec.nSub, new Rng(hashSeed(seed, index, STREAM.subhalos)));
  return params;
}

/**
 * Einstein radius of the host SIS as rendered: thetaE, or (1 - fSub) thetaE in a mass-conserving
 * lens, where the subhalos (sum thetaE_i^2 = fSub thetaE^2) make up the rest, so that the mass
 * inside thetaE, and with it the Einstein radius, stays that of the smooth lens (all subhalos lying
 * inside the ring).
 */
export function hostThetaE(p: LensParams): number {
  return p.massConserving === true ? p.thetaE * (1 - p.fSub) : p.thetaE;
}

function drawSubhalos(p: LensParams, klass: 'spherical' | 'vortex', n: number, rng: Rng): void {
  // Equal shares of the substructure mass: sum_i thetaE_i^2 = f_sub * thetaE^2.
  const thetaEi = p.thetaE * Math.sqrt(p.fSub / n);
  if (klass === 'spherical') {
    for (let i = 0; i < n; i++) {
      const r = rng.range(0, PHYSICS.sphericalRMax);
      const a = rng.range(0, 2 * Math.PI);
      p.subhalos.push({ x: r * Math.cos(a), y: r * Math.sin(a), thetaE: thetaEi });
    }
    return;
  }
  // Vortex: n masses evenly spaced on a segment of fixed length centred on the lens.
  const psi = rng.range(0, Math.PI);
  p.vortexAngle = psi;
  const c = Math.cos(psi);
  const s = Math.sin(psi);
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 0 : PHYSICS.vortexLength * (i / (n - 1) - 0.5);
    p.subhalos.push({ x: t * c, y: t * s, thetaE: thetaEi });
  }
}
