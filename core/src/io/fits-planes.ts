/**
 * The planes survey pipelines write beside a science image in one FITS file, by EXTNAME:
 *
 *   LSST (afw Exposure)   IMAGE, MASK (bit planes named by MP_<NAME> = <bit> cards), VARIANCE
 *   HST (calibrated)      SCI, ERR (1-sigma), DQ (data-quality flags)
 *   Euclid VIS, others    SCI, RMS (1-sigma), FLG; some write VAR, SIGMA, NOISE, IVAR, BPM, FLAGS
 *
 * A noise plane becomes the cutout's variance (the noise-aware scores' input); a mask plane masks the
 * pixels whose flags mark them bad. In an LSST mask, the DETECTED and DETECTED_NEGATIVE planes mark
 * sources (the lens itself), not defects, so they never mask; every other named plane does. For DQ
 * and the like any non-zero flag masks.
 */
import type { FitsHeader } from './fits-header.js';

const SCIENCE = ['IMAGE', 'SCI'];
const NOISE: Record<string, 'variance' | 'sigma' | 'inverse-variance'> = {
  VARIANCE: 'variance',
  VAR: 'variance',
  ERR: 'sigma',
  RMS: 'sigma',
  SIGMA: 'sigma',
  NOISE: 'sigma',
  IVAR: 'inverse-variance',
  INVVAR: 'inverse-variance',
};
const MASKS: Record<string, 'lsst' | 'flags'> = { MASK: 'lsst', DQ: 'flags', FLG: 'flags', FLAGS: 'flags', BPM: 'flags' };

/** Mask planes that mark sources rather than defects. */
const SOURCE_PLANES = ['DETECTED', 'DETECTED_NEGATIVE'];
/** LSST's standard bit layout, for a MASK without MP_ cards: BAD, SAT, INTRP, CR, EDGE, DETECTED, DETECTED_NEGATIVE, SUSPECT, NO_DATA. */
const LSST_DEFAULT_PLANES = ['BAD', 'SAT', 'INTRP', 'CR', 'EDGE', 'DETECTED', 'DETECTED_NEGATIVE', 'SUSPECT', 'NO_DATA'];

const upper = (name: string | undefined): string => (name ?? '').trim().toUpperCase();

export function isScienceName(extname: string | undefined): boolean {
  return SCIENCE.includes(upper(extname));
}

export function noiseKind(extname: string | undefined): 'variance' | 'sigma' | 'inverse-variance' | undefined {
  const n = upper(extname);
  return Object.hasOwn(NOISE, n) ? NOISE[n] : undefined;
}

export function maskKind(extname: string | undefined): 'lsst' | 'flags' | undefined {
  const n = upper(extname);
  return Object.hasOwn(MASKS, n) ? MASKS[n] : undefined;
}

/** A noise plane as variance: squared sigmas, inverted inverse variances; negative or non-finite values NaN. */
export function toVariance(plane: Float32Array, kind: 'variance' | 'sigma' | 'inverse-variance'): Float32Array {
  return plane.map((v) => {
    const x = kind === 'sigma' ? v * v : kind === 'inverse-variance' ? 1 / v : v;
    return Number.isFinite(x) && (kind !== 'sigma' ? v >= 0 : true) && x >= 0 ? x : NaN;
  });
}

/** The bits of a mask plane that mark a pixel bad. */
export function badBits(kind: 'lsst' | 'flags', header: FitsHeader): number {
  if (kind === 'flags') return 0xffffffff;
  const named = new Map<string, number>();
  for (const key of header.keys()) {
    if (!key.startsWith('MP_')) continue;
    const bit = header.integer(key, 'of the MASK HDU');
    if (bit !== undefined && bit >= 0 && bit < 32) named.set(key.slice(3), bit);
  }
  if (named.size === 0) LSST_DEFAULT_PLANES.forEach((name, bit) => named.set(name, bit));
  let bad = 0;
  for (const [name, bit] of named) if (!SOURCE_PLANES.includes(name)) bad |= 1 << bit;
  return bad >>> 0;
}
