/**
 * The out-of-domain guard: is this cutout like the data its model set was trained and calibrated on?
 * A model trained on one survey scores another survey's cutouts with confidence and no meaning (an
 * LSST cutout scored by 0.1"/px models looks anomalous whatever it holds), so each scored cutout is
 * checked against its set's domain, and a cutout that fails any check is `outOfDomain` with the
 * reasons: its verdict is "out of domain", never "anomalous".
 *
 * Checks: a stated pixel scale coarser than the set's by more than resampling can honestly bridge
 * (upsampling adds no detail); a stated PSF FWHM far from the set's; the image's own lens radius,
 * sharpness and noise (image-stats.ts) outside the ranges the set's smooth calibration lenses span;
 * a score far beyond every calibration score.
 */
import type { Cutout } from '../cutout.js';
import type { SetDomain, StatRange } from '../registry/model-sets.js';
import { IMAGE_STATS, type ImageStats } from './image-stats.js';

/** A cutout whose pixels are more than this many times coarser than the set's cannot be resampled honestly. */
export const MAX_COARSER_PIXELS = 1.5;
/** A stated PSF FWHM off the set's by more than this factor (either way) is another instrument or seeing. */
export const PSF_TOLERANCE = 1.5;
/**
 * A score beyond max + SCORE_SPAN * (max - median) of the calibration scores is beyond anything the
 * set knows. Wide on purpose: lenses with strong substructure score far out too (at 3, 0.8% of the
 * model-a test lenses with spherical subhalos and 1.0% with a vortex were called out of domain by it), and the image checks do the rest.
 */
export const SCORE_SPAN = 10;
/**
 * Tails of the calibration statistics the guard ranges start from, and the factor they are widened
 * by (low / (1 + w), high * (1 + w): every statistic is positive and scales). At 5% the measured
 * costs are 0.2-0.7% of model-a lenses with substructure and 3.5-3.9% of LSST ones (their extra mass
 * makes larger rings) called out of domain, while every cutout of the other survey stays out.
 */
export const GUARD_TAIL = 0.0005;
export const GUARD_WIDEN = 0.05;

export interface DomainReason {
  check: 'pixel-scale' | 'psf' | keyof ImageStats | 'score';
  message: string;
}

const fmt = (v: number): string => String(Number(v.toPrecision(3)));

const WHAT: Record<keyof ImageStats, string> = {
  radius: 'lens radius',
  sharpness: 'finest-structure width (PSF and source)',
  noise: 'noise level (relative to the image range)',
  relativeWidth: 'structure width relative to the lens radius',
};

/** Reasons from what the file states and what the image shows; empty when the cutout is in the domain. */
export function domainReasons(cutout: Pick<Cutout, 'pixelScale' | 'psfFwhm'>, stats: ImageStats, domain: SetDomain): DomainReason[] {
  const out: DomainReason[] = [];
  if (cutout.pixelScale !== undefined && cutout.pixelScale > MAX_COARSER_PIXELS * domain.pixelScale) {
    out.push({ check: 'pixel-scale', message: `pixel scale ${fmt(cutout.pixelScale)}"/px is coarser than the set's ${fmt(domain.pixelScale)}"/px by more than ${MAX_COARSER_PIXELS}x: resampling cannot add the detail its models need` });
  }
  if (cutout.psfFwhm !== undefined && domain.psfFwhm > 0) {
    const r = cutout.psfFwhm / domain.psfFwhm;
    if (r > PSF_TOLERANCE || r < 1 / PSF_TOLERANCE) out.push({ check: 'psf', message: `PSF FWHM ${fmt(cutout.psfFwhm)}" differs from the set's ${fmt(domain.psfFwhm)}" by more than ${PSF_TOLERANCE}x` });
  }
  const ranges = domain.guard?.stats ?? {};
  for (const k of IMAGE_STATS) {
    const r = Object.hasOwn(ranges, k) ? ranges[k] : undefined;
    if (r === undefined) continue;
    const v = stats[k];
    if (!(v >= r[0] && v <= r[1])) out.push({ check: k, message: `${WHAT[k]} ${fmt(v)} is outside the set's calibration range [${fmt(r[0])}, ${fmt(r[1])}]` });
  }
  return out;
}

/** A reason when `value` is far beyond the calibration scores (ascending) of a model's score. */
export function scoreReason(model: string, score: string, value: number, calibration: ArrayLike<number>): DomainReason | undefined {
  const n = calibration.length;
  if (n === 0) return undefined;
  const max = calibration[n - 1]!;
  const median = calibration[n >> 1]!;
  const limit = max + SCORE_SPAN * Math.max(max - median, 0);
  if (value <= limit) return undefined;
  return { check: 'score', message: `${model} ${score} score ${fmt(value)} is far beyond every calibration score (max ${fmt(max)}): not a lens like its training data` };
}

function quantile(sorted: readonly number[], q: number): number {
  const x = q * (sorted.length - 1);
  const i = Math.floor(x);
  const f = x - i;
  return i + 1 < sorted.length ? sorted[i]! * (1 - f) + sorted[i + 1]! * f : sorted[i]!;
}

/**
 * Guard ranges from the statistics of a set's smooth calibration lenses: the GUARD_TAIL and
 * 1 - GUARD_TAIL quantiles, widened by the factor 1 + GUARD_WIDEN, so that under 0.1% of the
 * domain's own lenses fall outside any one range. Non-finite values (no measurable structure) are left out.
 */
export function guardRanges(samples: readonly ImageStats[]): Record<keyof ImageStats, StatRange> {
  const out = {} as Record<keyof ImageStats, StatRange>;
  for (const k of IMAGE_STATS) {
    const v = samples.map((s) => s[k]).filter(Number.isFinite).sort((a, b) => a - b);
    if (v.length === 0) continue;
    const lo = quantile(v, GUARD_TAIL);
    const hi = quantile(v, 1 - GUARD_TAIL);
    out[k] = [lo > 0 ? lo / (1 + GUARD_WIDEN) : lo * (1 + GUARD_WIDEN), hi > 0 ? hi * (1 + GUARD_WIDEN) : hi / (1 + GUARD_WIDEN)];
  }
  return out;
}
