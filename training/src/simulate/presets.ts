import { DarklensError } from '@darklens/core';

/** The three simulated classes: the smooth training class and two kinds of substructure. */
export const LENS_CLASSES = ['no_sub', 'spherical', 'vortex'] as const;
export type LensClass = (typeof LENS_CLASSES)[number];

/** Either a fixed value or a uniform range [lo, hi). */
export type ValueOrRange = number | readonly [number, number];

/** Everything that defines a family of simulated images. Presets are fixed; overrides make variants. */
export interface SimulationSpec {
  preset: string;
  /** Image side in pixels (square images). */
  grid: number;
  /** Arcsec per pixel. */
  pixelScale: number;
  /** 'fixed': z_l 0.5, z_s 1.0 and thetaE 1.2"; 'random': z_l ~ U(0.3, 0.7), z_s ~ U(z_l + 0.4, 2.0), thetaE scaled. */
  redshifts: 'fixed' | 'random';
  /** Peak signal-to-noise ratio of the lensed arc. */
  snr: ValueOrRange;
  /** Substructure mass fraction of the host, shared equally by the subhalos. */
  fSub: number;
  /** Number of subhalos (spherical) or of point masses on the vortex line. */
  nSub: number;
  /** Gaussian PSF sigma in arcsec (0 disables the PSF). */
  psfSigma: number;
  /** Sub-pixels per pixel side used before binning. */
  supersample: number;
  /**
   * Subhalo mass taken from the host instead of added to it: the host's thetaE is scaled by
   * (1 - fSub), so host + subhalos keep the smooth lens's Einstein radius and only the arcs' shape
   * tells substructure apart (false in every preset, as in the reference).
   */
  massConserving?: boolean;
}

const FWHM_TO_SIGMA = 1 / (2 * Math.sqrt(2 * Math.LN2));

/** The presets of ../shared/science.md, exactly. Change them only under a new name. */
export const PRESETS: Readonly<Record<string, SimulationSpec>> = {
  'model-a': { preset: 'model-a', grid: 64, pixelScale: 0.1, redshifts: 'fixed', snr: 20, fSub: 0.25, nSub: 25, psfSigma: 0.1, supersample: 4 },
  'model-b': { preset: 'model-b', grid: 64, pixelScale: 0.1, redshifts: 'random', snr: [10, 30], fSub: 0.25, nSub: 25, psfSigma: 0.1, supersample: 4 },
  paper: { preset: 'paper', grid: 150, pixelScale: 0.05, redshifts: 'fixed', snr: 20, fSub: 0.25, nSub: 25, psfSigma: 0.1, supersample: 4 },
  lsst: { preset: 'lsst', grid: 64, pixelScale: 0.2, redshifts: 'random', snr: [10, 30], fSub: 0.25, nSub: 25, psfSigma: 0.7 * FWHM_TO_SIGMA, supersample: 4 },
};

export const PRESET_NAMES = Object.keys(PRESETS);

/** User overrides of a preset; each is validated. */
export interface SpecOverrides {
  grid?: number;
  pixelScale?: number;
  snr?: ValueOrRange;
  fSub?: number;
  nSub?: number;
  psfSigma?: number;
  psfFwhm?: number;
  supersample?: number;
  massConserving?: boolean;
}

export function isLensClass(name: string): name is LensClass {
  return (LENS_CLASSES as readonly string[]).includes(name);
}

export function resolveSpec(presetName: string, overrides: SpecOverrides = {}): SimulationSpec {
  const base = PRESETS[presetName];
  if (!base) {
    throw new DarklensError('invalid_argument', `unknown preset '${presetName}'; accepted: ${PRESET_NAMES.join(', ')}`);
  }
  const spec: SimulationSpec = { ...base };
  if (overrides.grid !== undefined) spec.grid = checkInt('grid', overrides.grid, 8, 2048);
  if (overrides.pixelScale !== undefined) spec.pixelScale = checkNum('pixel scale', overrides.pixelScale, 1e-4, 10);
  if (overrides.snr !== undefined) spec.snr = checkRange('SNR', overrides.snr, 0.1, 1e6);
  if (overrides.fSub !== undefined) spec.fSub = checkNum('f_sub', overrides.fSub, 0, 1);
  if (overrides.nSub !== undefined) spec.nSub = checkInt('number of subhalos', overrides.nSub, 1, 10_000);
  if (overrides.psfFwhm !== undefined && overrides.psfSigma !== undefined) {
    throw new DarklensError('invalid_argument', 'give either a PSF sigma or a PSF FWHM, not both');
  }
  if (overrides.psfSigma !== undefined) spec.psfSigma = checkNum('PSF sigma', overrides.psfSigma, 0, 10);
  if (overrides.psfFwhm !== undefined) spec.psfSigma = checkNum('PSF FWHM', overrides.psfFwhm, 0, 20) * FWHM_TO_SIGMA;
  if (overrides.supersample !== undefined) spec.supersample = checkInt('supersampling', overrides.supersample, 1, 16);
  if (overrides.massConserving === true) spec.massConserving = true;
  return spec;
}

function checkNum(what: string, v: number, lo: number, hi: number): number {
  if (!Number.isFinite(v) || v < lo || v > hi) {
    throw new DarklensError('invalid_argument', `${what} must be a number in [${lo}, ${hi}], got ${v}`);
  }
  return v;
}

function checkInt(what: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new DarklensError('invalid_argument', `${what} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
  return v;
}

function checkRange(what: string, v: ValueOrRange, lo: number, hi: number): ValueOrRange {
  if (typeof v === 'number') return checkNum(what, v, lo, hi);
  const [a, b] = v;
  checkNum(what, a, lo, hi);
  checkNum(what, b, lo, hi);
  if (!(b >= a)) throw new DarklensError('invalid_argument', `${what} range [${a}, ${b}] is empty`);
  return [a, b];
}
