/**
 * The quality gate of `darklens retrain`: a candidate version becomes the default only when, on one
 * fixed benchmark set scored for both, its pooled ROC AUC and its TPR at 1% FPR are not worse than
 * the current default's by more than stated tolerances. Trained on a user's own smooth cutouts (no
 * labelled anomalies), it is also held to its calibrated false-positive rate on held-out smooth
 * cutouts. Pure: the numbers come in, a verdict with its reasons goes out.
 */

/** A version's numbers on the benchmark set, each from its own default score. */
export interface BenchmarkMetrics {
  score: string;
  aucPooled: number;
  tprAt1: number;
  images: { no_sub: number; spherical: number; vortex: number };
}

export interface GateSide {
  model: string;
  version: string;
  onnxSha256: string;
  metrics: BenchmarkMetrics;
}

/** Fraction of held-out smooth cutouts above the candidate's fpr-<nominal> threshold. */
export interface HeldOutRate {
  nominal: number;
  observed: number;
  images: number;
}

export interface GateTolerances {
  /** Largest accepted drop of the pooled AUC. */
  auc: number;
  /** Largest accepted drop of the TPR at 1% FPR. */
  tpr: number;
}

export const DEFAULT_TOLERANCES: GateTolerances = { auc: 0.005, tpr: 0.02 };

export interface GateInput {
  candidate: GateSide;
  /** The current default on the same set; absent for a model's first version. */
  baseline?: GateSide;
  benchmark: { preset: string; perClass: number; seed: number };
  tolerances: GateTolerances;
  /** Own-data runs only. */
  heldOut?: HeldOutRate;
}

export interface GateCheck {
  name: string;
  passed: boolean;
  detail: string;
}

export interface GateVerdict {
  passed: boolean;
  checks: GateCheck[];
  /** What was compared and how, in a sentence or two. */
  basis: string;
}

/**
 * The held-out false-positive rate a calibrated threshold may show: its nominal rate plus three binomial
 * standard deviations of a sample that size (a calibration that is right fails this about 1 time in 700).
 */
export function heldOutLimit(r: Pick<HeldOutRate, 'nominal' | 'images'>): number {
  return r.nominal + 3 * Math.sqrt((r.nominal * (1 - r.nominal)) / r.images);
}

const f3 = (v: number): string => v.toFixed(3);
const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(3)}`;

export function judge(input: GateInput): GateVerdict {
  const c = input.candidate;
  const b = input.baseline;
  const t = input.tolerances;
  const checks: GateCheck[] = [];
  if (b === undefined) {
    checks.push({ name: 'baseline', passed: true, detail: `${c.model} has no default version yet: nothing to compare with; ${c.version} becomes the first` });
  } else {
    const dAuc = c.metrics.aucPooled - b.metrics.aucPooled;
    const dTpr = c.metrics.tprAt1 - b.metrics.tprAt1;
    checks.push({
      name: 'pooled AUC',
      passed: dAuc >= -t.auc,
      detail: `${f3(c.metrics.aucPooled)} vs ${f3(b.metrics.aucPooled)} (${signed(dAuc)}; a drop of more than ${t.auc} fails)`,
    });
    checks.push({
      name: 'TPR at 1% FPR',
      passed: dTpr >= -t.tpr,
      detail: `${f3(c.metrics.tprAt1)} vs ${f3(b.metrics.tprAt1)} (${signed(dTpr)}; a drop of more than ${t.tpr} fails)`,
    });
  }
  const h = input.heldOut;
  if (h !== undefined) {
    const limit = heldOutLimit(h);
    checks.push({
      name: 'held-out false-positive rate',
      passed: h.observed <= limit,
      detail: `${(h.observed * 100).toFixed(2)}% of ${h.images} held-out smooth cutouts flagged at the fpr-${h.nominal} threshold (at most ${(limit * 100).toFixed(2)}% passes)`,
    });
  }
  const set = `${input.benchmark.perClass} simulated lenses per class of preset ${input.benchmark.preset} (seed ${input.benchmark.seed}), the same images for both`;
  const basis =
    (b === undefined ? `${c.model} ${c.version} scored on ${set.replace(', the same images for both', '')}` : `${c.model} ${c.version} (score ${c.metrics.score}) against the current default ${b.version} (score ${b.metrics.score}) on ${set}`) +
    (h !== undefined ? `; trained on the user's own smooth cutouts, which have no labelled anomalies, so the simulated benchmark stands in for detection power and held-out cutouts check the calibration` : '');
  return { passed: checks.every((x) => x.passed), checks, basis };
}

/** The gate's report as Markdown (gate.md beside gate.json). */
export function gateMarkdown(input: GateInput, verdict: GateVerdict, forced: boolean): string {
  const lines = [`# Gate: ${input.candidate.model} ${input.candidate.version}: ${verdict.passed ? 'PASSED' : forced ? 'FAILED (promoted anyway: --force)' : 'FAILED'}`, '', verdict.basis + '.', ''];
  lines.push('| check | result | detail |', '|---|---|---|');
  for (const x of verdict.checks) lines.push(`| ${x.name} | ${x.passed ? 'pass' : 'FAIL'} | ${x.detail} |`);
  lines.push('');
  const row = (s: GateSide): string =>
    `| ${s.model} ${s.version} | ${s.metrics.score} | ${f3(s.metrics.aucPooled)} | ${f3(s.metrics.tprAt1)} | ${s.onnxSha256.slice(0, 12)} |`;
  lines.push('| version | score | pooled AUC | TPR at 1% FPR | ONNX sha256 |', '|---|---|---|---|---|', row(input.candidate));
  if (input.baseline !== undefined) lines.push(row(input.baseline));
  lines.push('', `Tolerances: pooled AUC ${input.tolerances.auc}, TPR at 1% FPR ${input.tolerances.tpr}.`, '');
  return lines.join('\n');
}
