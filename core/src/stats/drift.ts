/**
 * The drift watch: does a batch look like the data its models were calibrated on? Per model set, the
 * batch's scores against each model's calibration scores (two-sample KS test, median shift in units of
 * the calibration's interquartile range) and the input facts that decide whether the scores mean
 * anything (pixel scales, PSF, sizes, masked pixels, the guard's noise proxy, out-of-domain cutouts),
 * with warnings in plain words. Pure: the service (functions DriftWatch), jobs, the CLI and the web
 * page feed it their own lines and calibrations.
 */
import { interpolatedQuantile } from '../calibration/thresholds.js';
import { ksTwoSample } from './ks-test.js';

export { ksTwoSample, type KsResult } from './ks-test.js';
export { kolmogorovSf } from './kolmogorov.js';

/**
 * Batches smaller than this report the KS test but never warn on it: a dozen scores cannot tell a
 * modest shift from chance, and one odd lens would dominate the median.
 */
export const DRIFT_MIN_TESTED = 20;
/**
 * The score warning needs KS p below this AND the median moved by DRIFT_MIN_SHIFT IQRs. With four
 * models per set, a batch drawn from the calibration law trips the p-value alone in ~0.4% of batches;
 * the shift condition keeps a large batch (thousands of cutouts, where KS finds any difference at all,
 * float rounding included) from warning on a shift too small to change a verdict.
 */
export const DRIFT_MAX_P = 1e-3;
/**
 * A quarter of the calibration IQR: the median of 20 draws from the calibration law scatters by about
 * 0.2 IQR (a normal law's median of n draws: 0.93 / sqrt(n) IQR), so below that chance alone does it.
 */
export const DRIFT_MIN_SHIFT = 0.25;
/** Share of cutouts (another pixel scale or PSF, noise outside range, out of domain) that warns. */
export const DRIFT_WARN_FRACTION = 0.05;
/** A stated pixel scale this far (relative) from the set's: the cutouts were resampled. */
export const DRIFT_SCALE_TOLERANCE = 0.1;
/** A stated PSF FWHM off the set's by more than this factor either way (the guard refuses at 1.5). */
export const DRIFT_PSF_TOLERANCE = 1.2;

/** The fields of an API batch line the watch reads: a scored line, or one with an error. */
export interface DriftLine {
  error?: unknown;
  set?: { name: string };
  input?: { width: number; height: number; pixelScale: number | null; psfFwhm?: number | null; assumedPixelScale?: boolean; masked: number };
  domain?: { outOfDomain: boolean; stats?: { noise: number } };
  models?: Record<string, { model: string; score: string; loss: number }>;
}

/** What the watch needs of a set's domain (core SetDomain has it). */
export interface DriftDomain {
  pixelScale: number;
  psfFwhm: number;
  guard?: { stats: Record<string, readonly [number, number]> };
}

export interface DriftCalibrations {
  /** Ascending calibration scores of `score` of registered model `model`; undefined: unknown. */
  reference(model: string, score: string): ArrayLike<number> | undefined;
  /** The domain of the set `set`; undefined: unknown. */
  domain(set: string): DriftDomain | undefined;
}

export interface DriftModel {
  /** The role in the set (dcae, vae, ...) and the registered model behind it. */
  role: string;
  model: string;
  score: string;
  /** Scores in the batch, and in the calibration. */
  n: number;
  calibrationCount: number;
  ksStatistic: number;
  ksPValue: number;
  sampleMedian: number;
  calibrationMedian: number;
  /** Interquartile range of the calibration scores. */
  calibrationIqr: number;
  /** (sample median - calibration median) / calibration IQR; null when the IQR is 0. */
  medianShift: number | null;
  /** n >= DRIFT_MIN_TESTED: the test may warn. */
  tested: boolean;
  drifted: boolean;
}

export interface DriftSummary {
  set: string;
  /** Scored cutouts routed to this set. */
  cutouts: number;
  /** Cutouts of the whole batch that could not be read or scored (an error line names no set). */
  failed: number;
  /** The set's own pixel scale ("/px), PSF FWHM (") and guard noise range; null when unknown. */
  domain: { pixelScale: number; psfFwhm: number; noise: [number, number] | null } | null;
  models: DriftModel[];
  input: {
    /** Pixel scales seen: null when the file stated none (the model's was assumed). */
    pixelScales: { pixelScale: number | null; assumed: boolean; count: number }[];
    /** PSF FWHMs the files stated (arcsec). */
    psfFwhms: { psfFwhm: number; count: number }[];
    sizes: { width: number; height: number; count: number }[];
    /** Fraction of each cutout's pixels masked: mean and max over the cutouts. */
    maskedFraction: { mean: number; max: number };
    /** The guard's noise proxy (sky noise / image range): median, and fractions below / above the set's range. */
    noise: { median: number | null; below: number; above: number };
  };
  outOfDomain: { count: number; fraction: number };
  warnings: string[];
  drifted: boolean;
}

interface ModelTally {
  role: string;
  model: string;
  score: string;
  losses: number[];
}

interface SetTally {
  cutouts: number;
  outOfDomain: number;
  scales: Map<string, { pixelScale: number | null; assumed: boolean; count: number }>;
  psfs: Map<number, number>;
  sizes: Map<string, { width: number; height: number; count: number }>;
  maskedSum: number;
  maskedMax: number;
  noise: number[];
  models: Map<string, ModelTally>;
}

const newTally = (): SetTally => ({ cutouts: 0, outOfDomain: 0, scales: new Map(), psfs: new Map(), sizes: new Map(), maskedSum: 0, maskedMax: 0, noise: [], models: new Map() });

/**
 * Lines in, summaries out. Keeps per set only counts and the numbers the tests need (one loss per
 * model and one noise value per cutout), so a long batch never holds its lines.
 */
export class DriftAccumulator {
  private failed = 0;
  private readonly sets = new Map<string, SetTally>();

  /** Counts a line: an error line as failed, a scored line in its set; anything else is ignored. */
  add(line: DriftLine): void {
    if (line.error !== undefined && line.error !== null) {
      this.failed++;
      return;
    }
    const { set, input, domain, models } = line;
    if (!set || !input || !domain || !models) return;
    let t = this.sets.get(set.name);
    if (!t) this.sets.set(set.name, (t = newTally()));
    t.cutouts++;
    if (domain.outOfDomain) t.outOfDomain++;
    const assumed = input.assumedPixelScale === true || input.pixelScale === null;
    const scale = assumed ? null : input.pixelScale;
    const sk = `${scale}`;
    const s = t.scales.get(sk) ?? { pixelScale: scale, assumed, count: 0 };
    s.count++;
    t.scales.set(sk, s);
    if (typeof input.psfFwhm === 'number') t.psfs.set(input.psfFwhm, (t.psfs.get(input.psfFwhm) ?? 0) + 1);
    const zk = `${input.width}x${input.height}`;
    const z = t.sizes.get(zk) ?? { width: input.width, height: input.height, count: 0 };
    z.count++;
    t.sizes.set(zk, z);
    const masked = input.width * input.height > 0 ? input.masked / (input.width * input.height) : 0;
    t.maskedSum += masked;
    t.maskedMax = Math.max(t.maskedMax, masked);
    if (domain.stats && Number.isFinite(domain.stats.noise)) t.noise.push(domain.stats.noise);
    for (const [role, m] of Object.entries(models)) {
      if (!Number.isFinite(m.loss)) continue;
      const key = `${role}\n${m.model}\n${m.score}`;
      let mt = t.models.get(key);
      if (!mt) t.models.set(key, (mt = { role, model: m.model, score: m.score, losses: [] }));
      mt.losses.push(m.loss);
    }
  }

  /** Lines counted (scored and failed). */
  get count(): number {
    let n = this.failed;
    for (const t of this.sets.values()) n += t.cutouts;
    return n;
  }

  /** One summary per set seen, in order of first appearance. */
  summarize(calibrations: DriftCalibrations): DriftSummary[] {
    return [...this.sets.entries()].map(([name, t]) => summarizeSet(name, t, this.failed, calibrations));
  }
}

/** The drift summaries of a batch's lines (see DriftAccumulator). */
export function summarizeDrift(lines: Iterable<DriftLine>, calibrations: DriftCalibrations): DriftSummary[] {
  const acc = new DriftAccumulator();
  for (const l of lines) acc.add(l);
  return acc.summarize(calibrations);
}

function modelDrift(mt: ModelTally, reference: ArrayLike<number>): DriftModel {
  const ks = ksTwoSample(mt.losses, reference);
  const sorted = Float64Array.from(mt.losses).sort();
  const sampleMedian = interpolatedQuantile(sorted, 0.5);
  const calibrationMedian = interpolatedQuantile(reference, 0.5);
  const iqr = interpolatedQuantile(reference, 0.75) - interpolatedQuantile(reference, 0.25);
  const medianShift = iqr > 0 ? (sampleMedian - calibrationMedian) / iqr : null;
  const tested = mt.losses.length >= DRIFT_MIN_TESTED;
  const shifted = medianShift === null ? sampleMedian !== calibrationMedian : Math.abs(medianShift) >= DRIFT_MIN_SHIFT;
  return {
    role: mt.role,
    model: mt.model,
    score: mt.score,
    n: mt.losses.length,
    calibrationCount: reference.length,
    ksStatistic: ks.statistic,
    ksPValue: ks.pValue,
    sampleMedian,
    calibrationMedian,
    calibrationIqr: iqr,
    medianShift,
    tested,
    drifted: tested && ks.pValue < DRIFT_MAX_P && shifted,
  };
}

const fmt = (v: number): string => String(Number(v.toPrecision(3)));
const pct = (f: number): string => `${Math.round(100 * f)}%`;
/** A KS p-value as the warnings print it: "= 0.31", "= 3.0e-12", "< 1e-300" (it underflowed). */
export const formatDriftP = (p: number): string => (p <= 0 ? '< 1e-300' : p < 1e-3 ? `= ${p.toExponential(1)}` : `= ${fmt(p)}`);

function summarizeSet(name: string, t: SetTally, failed: number, cal: DriftCalibrations): DriftSummary {
  const domain = cal.domain(name);
  const range = domain?.guard?.stats.noise;
  const noiseRange: [number, number] | null = range ? [range[0], range[1]] : null;
  const models: DriftModel[] = [];
  for (const mt of t.models.values()) {
    const ref = cal.reference(mt.model, mt.score);
    if (ref !== undefined && ref.length > 0) models.push(modelDrift(mt, ref));
  }
  const noise = Float64Array.from(t.noise).sort();
  const share = (k: number): number => (t.cutouts > 0 ? k / t.cutouts : 0);
  const below = noiseRange ? share(noise.filter((v) => v < noiseRange[0]).length) : 0;
  const above = noiseRange ? share(noise.filter((v) => v > noiseRange[1]).length) : 0;
  const summary: DriftSummary = {
    set: name,
    cutouts: t.cutouts,
    failed,
    domain: domain ? { pixelScale: domain.pixelScale, psfFwhm: domain.psfFwhm, noise: noiseRange } : null,
    models,
    input: {
      pixelScales: [...t.scales.values()].sort((a, b) => b.count - a.count),
      psfFwhms: [...t.psfs.entries()].map(([psfFwhm, count]) => ({ psfFwhm, count })).sort((a, b) => b.count - a.count),
      sizes: [...t.sizes.values()].sort((a, b) => b.count - a.count),
      maskedFraction: { mean: share(t.maskedSum), max: t.maskedMax },
      noise: { median: noise.length > 0 ? interpolatedQuantile(noise, 0.5) : null, below, above },
    },
    outOfDomain: { count: t.outOfDomain, fraction: share(t.outOfDomain) },
    warnings: [],
    drifted: false,
  };
  summary.warnings = driftWarnings(summary);
  summary.drifted = summary.warnings.length > 0;
  return summary;
}

/** The summary's findings in plain words; empty when the batch looks like the calibration data. */
function driftWarnings(s: DriftSummary): string[] {
  const out: string[] = [];
  const share = (k: number): number => (s.cutouts > 0 ? k / s.cutouts : 0);
  const d = s.domain;
  if (d) {
    for (const p of s.input.pixelScales) {
      if (p.pixelScale === null || share(p.count) < DRIFT_WARN_FRACTION) continue;
      if (Math.abs(p.pixelScale / d.pixelScale - 1) > DRIFT_SCALE_TOLERANCE) {
        out.push(`pixel scale ${fmt(p.pixelScale)}"/px (${pct(share(p.count))} of cutouts) differs from the models' ${fmt(d.pixelScale)}"/px: those cutouts were resampled`);
      }
    }
    for (const p of s.input.psfFwhms) {
      const r = p.psfFwhm / d.psfFwhm;
      if (share(p.count) >= DRIFT_WARN_FRACTION && d.psfFwhm > 0 && (r > DRIFT_PSF_TOLERANCE || r < 1 / DRIFT_PSF_TOLERANCE)) {
        out.push(`PSF FWHM ${fmt(p.psfFwhm)}" (${pct(share(p.count))} of cutouts) differs from the models' ${fmt(d.psfFwhm)}"`);
      }
    }
  }
  const { below, above } = s.input.noise;
  if (above >= DRIFT_WARN_FRACTION) out.push(`noise level above the calibration range for ${pct(above)} of cutouts`);
  if (below >= DRIFT_WARN_FRACTION) out.push(`noise level below the calibration range for ${pct(below)} of cutouts`);
  if (s.outOfDomain.fraction >= DRIFT_WARN_FRACTION) out.push(`${pct(s.outOfDomain.fraction)} of cutouts (${s.outOfDomain.count}) are out of the models' domain`);
  for (const m of s.models) {
    if (!m.drifted) continue;
    const shift = m.medianShift === null ? 'median moved' : `median shifted ${m.medianShift > 0 ? 'up' : 'down'} by ${fmt(Math.abs(m.medianShift))} IQR`;
    out.push(`${m.role} (${m.model}, ${m.score}): score distribution unlike the calibration lenses: KS p ${formatDriftP(m.ksPValue)}, ${shift}`);
  }
  return out;
}

/** A few plain lines per set, for a terminal. */
export function formatDrift(summary: DriftSummary | readonly DriftSummary[]): string {
  const list: readonly DriftSummary[] = Array.isArray(summary) ? summary : [summary as DriftSummary];
  const lines: string[] = [];
  for (const s of list) {
    const failed = s.failed > 0 ? `, ${s.failed} failed in the batch` : '';
    lines.push(`drift, set ${s.set}: ${s.cutouts} cutouts${failed}: ${s.drifted ? `${s.warnings.length} warning${s.warnings.length > 1 ? 's' : ''}` : 'looks like the calibration data'}`);
    for (const w of s.warnings) lines.push(`  ! ${w}`);
    for (const m of s.models) {
      const shift = m.medianShift === null ? 'n/a' : `${m.medianShift >= 0 ? '+' : ''}${m.medianShift.toFixed(2)} IQR`;
      lines.push(`  ${m.role} (${m.model}, ${m.score}): KS D = ${fmt(m.ksStatistic)}, p ${formatDriftP(m.ksPValue)}, median shift ${shift}${m.tested ? '' : ` (n = ${m.n}: too few to warn)`}`);
    }
    const scales = s.input.pixelScales.map((p) => `${p.pixelScale === null ? 'none stated' : `${fmt(p.pixelScale)}"/px`} x${p.count}`).join(', ');
    const sizes = s.input.sizes.map((z) => `${z.width}x${z.height} x${z.count}`).join(', ');
    const n = s.input.noise;
    const range = s.domain?.noise ? ` (range ${fmt(s.domain.noise[0])}-${fmt(s.domain.noise[1])}: ${pct(n.below)} below, ${pct(n.above)} above)` : '';
    lines.push(`  input: pixel scale ${scales}; size ${sizes}; masked ${pct(s.input.maskedFraction.mean)} mean, ${pct(s.input.maskedFraction.max)} max`);
    lines.push(`  noise median ${n.median === null ? 'n/a' : fmt(n.median)}${range}; out of domain ${s.outOfDomain.count} (${pct(s.outOfDomain.fraction)})`);
  }
  return lines.join('\n');
}
