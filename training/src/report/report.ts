/**
 * The evaluation report: scores labelled test sets (no_sub, and spherical and/or vortex) with a
 * checkpoint's exported model (every score of its graph, through the one scoring path), computes the
 * reference's metrics for each score (pooled and per-class ROC AUC, AUPR, TPR at 1% and 5% FPR with
 * thresholds) and W1 between column sums of inputs and reconstructions, and writes report.json,
 * report.md, roc.png and scores.png (of the report's main score) to a folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DarklensError, MSE_SCORE, SCORES } from '@darklens/core';
import { calibrationBeside, flagRates, type FlagRate } from '../scoring/flag-rates.js';
import type { BackendName } from '../backend/select.js';
import { averagePrecision, evaluateScores } from '../metrics/pr.js';
import { rocAuc, rocCurve, tprAtFpr, type OperatingPoint } from '../metrics/roc.js';
import { scoreHistograms, type ScoreHistograms } from '../metrics/histogram.js';
import { w1ColumnSums } from '../metrics/w1.js';
import { LENS_CLASSES, type LensClass } from '../simulate/presets.js';
import { TRAINING_FILE } from '../train/checkpoint.js';
import { readSimulationManifest } from '../simulate/output.js';
import { evaluate } from '../train/evaluate.js';
import { histogramPlot, rocPlot, type RocPlotCurve } from './plots.js';

export interface EvaluateReportOptions {
  /** A checkpoint folder written by train. */
  checkpointDir: string;
  /** One data file (or folder) per class; no_sub is required, and at least one substructure class for AUCs. */
  sets: { no_sub: string; spherical?: string; vortex?: string };
  /** Where report.json, report.md, roc.png, scores.png and <class>_recon.npy go (created if missing). */
  outDir: string;
  backend?: BackendName;
  /** Score only the first N images of each set. */
  maxImages?: number;
  /** Bins of the score histograms (default 40). */
  bins?: number;
  /** Images per forward pass (default 64; does not change the scores). */
  batchSize?: number;
  /** Where the export is reported (default: stderr). */
  log?: (msg: string) => void;
  /** The main score: of `metrics`, `scores` and the pictures (default: the checkpoint's calibrated default, else mse). */
  score?: string;
}

/** An operating point as JSON: threshold null when no score reaches the level (threshold Infinity). */
export interface ReportOperatingPoint {
  maxFpr: number;
  tpr: number;
  fpr: number;
  threshold: number | null;
}

export interface ReportClass {
  /** The data file or folder. */
  file: string;
  count: number;
  /** Mean of the main score. */
  meanScore: number;
  /** Mean of every score. */
  meanScores: Record<string, number>;
  /** Mean over images of W1 between the column sums of input and reconstruction. */
  w1: number;
  /** The reconstructions, .npy [N, 1, H, W] float32. */
  reconstructions: string;
}

export interface ReportMetrics {
  /** Substructure classes given (spherical and/or vortex) against no_sub. */
  aucPooled: number;
  /** Spherical against no_sub; null when no spherical set was given. */
  aucSpherical: number | null;
  /** Vortex against no_sub; null when no vortex set was given. */
  aucVortex: number | null;
  /** Average precision of the pooled problem. */
  aupr: number;
  tprAt1: ReportOperatingPoint;
  tprAt5: ReportOperatingPoint;
}

/** Published numbers of the reference tool (Model A, 150x150, 500 epochs on a GPU). */
export const REFERENCE_RESULTS = {
  note: "the reference's published Model A numbers: 150x150 images, 500 epochs on a GPU",
  aucModelA: { AAE: 0.932, VAE: 0.899, DCAE: 0.73, RBM: 0.515 },
  aucModelB: { AAE: 0.769, VAE: 0.735, DCAE: 0.67, RBM: 0.509 },
  w1NoSubModelA: { DCAE: 0.266, VAE: 0.225, RBM: 1.271, AAE: 0.221 },
} as const;

/**
 * The reference's published pooled AUCs for test sets of `preset`: Model A's for model-a, Model B's
 * for model-b, null for other presets (the reference published no others).
 */
export function referenceAucs(preset: string | null): { label: 'Model A' | 'Model B'; auc: Readonly<Record<'AAE' | 'VAE' | 'DCAE' | 'RBM', number>> } | null {
  if (preset === 'model-a') return { label: 'Model A', auc: REFERENCE_RESULTS.aucModelA };
  if (preset === 'model-b') return { label: 'Model B', auc: REFERENCE_RESULTS.aucModelB };
  return null;
}

export interface EvaluationReport {
  tool: 'darklens evaluate --report';
  format: 2;
  /** ISO time the report was made. */
  date: string;
  checkpoint: string;
  /** Summary of the checkpoint's training.json (null when it has none). */
  training: Record<string, unknown> | null;
  backend: string;
  /** The ONNX file scored (a checkpoint's export) and its sha256. */
  onnx: { path: string; sha256: string };
  /** The main score (of metrics, scores, histograms and the pictures) and its definition. */
  score: string;
  scoreDefinition: string;
  counts: Record<LensClass, number>;
  classes: Partial<Record<LensClass, ReportClass>>;
  /** Of the main score; null when only no_sub was given. */
  metrics: ReportMetrics | null;
  /** Every score's metrics, by score name ('mse' first). */
  metricsByScore: Record<string, ReportMetrics | null>;
  histograms: ScoreHistograms;
  /** Per-image main scores of each class, in file order. */
  scores: Partial<Record<LensClass, number[]>>;
  /** Per-image values of every score, by score name, then class. */
  scoresByName: Record<string, Partial<Record<LensClass, number[]>>>;
  /**
   * With the checkpoint's calibration.json: per score, the fraction of the no_sub test images flagged
   * at each calibrated FPR threshold (fpr-0.01, fpr-0.05...): the false-positive rate on fresh smooth
   * lenses against its nominal value. Null without a calibration.
   */
  calibratedFpr: Record<string, FlagRate[]> | null;
  /** Preset of the test sets (from the simulator's manifest beside the no_sub set), null when unknown. */
  preset: string | null;
  reference: typeof REFERENCE_RESULTS;
  /** roc is null when only no_sub was given (no ROC to draw). */
  files: { json: string; markdown: string; roc: string | null; scores: string };
}

function jsonPoint(p: OperatingPoint): ReportOperatingPoint {
  return { maxFpr: p.maxFpr, tpr: p.tpr, fpr: p.fpr, threshold: Number.isFinite(p.threshold) ? p.threshold : null };
}

function trainingSummary(t: Record<string, unknown>): Record<string, unknown> {
  const keys = ['model', 'inputSize', 'epoch', 'epochs', 'bestEpoch', 'bestValLoss', 'seed', 'backend', 'state', 'options', 'darklensVersion', 'savedAt'];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in t) out[k] = t[k];
  const data = t.data as { path?: unknown; count?: unknown; fingerprint?: unknown } | undefined;
  if (data !== undefined && data !== null && typeof data === 'object') {
    out.data = { path: data.path, count: data.count, fingerprint: data.fingerprint };
  }
  return out;
}

async function readTrainingSummary(dir: string): Promise<Record<string, unknown> | null> {
  const p = join(dir, TRAINING_FILE);
  if (!existsSync(p)) return null;
  try {
    return trainingSummary(JSON.parse(await readFile(p, 'utf8')) as Record<string, unknown>);
  } catch {
    return null;
  }
}

/** Pooled and per-class metrics of the given classes (evaluateScores when all three are present). */
export function computeMetrics(scores: Partial<Record<LensClass, Float32Array>>): ReportMetrics | null {
  const subs = (['spherical', 'vortex'] as const).filter((k) => scores[k] !== undefined);
  if (subs.length === 0) return null;
  const all: number[] = [];
  const classes: LensClass[] = [];
  for (const k of LENS_CLASSES) {
    const s = scores[k];
    if (s === undefined) continue;
    for (const v of s) {
      all.push(v);
      classes.push(k);
    }
  }
  if (subs.length === 2) {
    const e = evaluateScores({ scores: all, classes });
    return { aucPooled: e.aucPooled, aucSpherical: e.aucSpherical, aucVortex: e.aucVortex, aupr: e.aupr, tprAt1: jsonPoint(e.tprAt1), tprAt5: jsonPoint(e.tprAt5) };
  }
  const labels = classes.map((c) => (c === 'no_sub' ? 0 : 1));
  const auc = rocAuc(all, labels);
  return {
    aucPooled: auc,
    aucSpherical: subs[0] === 'spherical' ? auc : null,
    aucVortex: subs[0] === 'vortex' ? auc : null,
    aupr: averagePrecision(all, labels),
    tprAt1: jsonPoint(tprAtFpr(all, labels, 0.01)),
    tprAt5: jsonPoint(tprAtFpr(all, labels, 0.05)),
  };
}

/** The ROC curves to plot: pooled, then each class against no_sub. */
export function rocCurves(scores: Partial<Record<LensClass, Float32Array>>, m: ReportMetrics): RocPlotCurve[] {
  const noSub = scores.no_sub!;
  const versus = (subs: LensClass[]): { s: number[]; l: number[] } => {
    const s: number[] = Array.from(noSub);
    const l: number[] = new Array<number>(noSub.length).fill(0);
    for (const k of subs) for (const v of scores[k]!) {
      s.push(v);
      l.push(1);
    }
    return { s, l };
  };
  const present = (['spherical', 'vortex'] as const).filter((k) => scores[k] !== undefined);
  const out: RocPlotCurve[] = [];
  if (present.length === 2) {
    const p = versus([...present]);
    const c = rocCurve(p.s, p.l);
    out.push({ name: 'pooled', fpr: c.fpr, tpr: c.tpr, auc: m.aucPooled });
  }
  for (const k of present) {
    const p = versus([k]);
    const c = rocCurve(p.s, p.l);
    out.push({ name: k, fpr: c.fpr, tpr: c.tpr, auc: (k === 'spherical' ? m.aucSpherical : m.aucVortex) ?? NaN });
  }
  return out;
}

const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** The Markdown report: metrics of this run beside the reference's published numbers. */
export function reportMarkdown(r: EvaluationReport): string {
  const t = r.training;
  const model = typeof t?.model === 'string' ? t.model : 'unknown model';
  const lines: string[] = [];
  lines.push('# darklens evaluation report', '');
  lines.push(`- Date: ${r.date}`);
  const num = (v: unknown): string | undefined => (typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);
  const size = num(t?.inputSize);
  const epochs = num(t?.epoch);
  const best = num(t?.bestEpoch);
  lines.push(`- Checkpoint: \`${r.checkpoint}\` (${model}${size !== undefined ? `, ${size}x${size}` : ''}${epochs !== undefined ? `, ${epochs} epochs` : ''}${best !== undefined ? `, best epoch ${best}` : ''})`);
  lines.push(`- Scored with: ${r.backend}, \`${r.onnx.path}\` (sha256 ${r.onnx.sha256.slice(0, 16)}...)`);
  lines.push(`- Main score: ${r.score}: ${r.scoreDefinition}`);
  lines.push('');
  lines.push('## Test sets', '');
  lines.push('| class | file | images | mean score | W1 (column sums) |');
  lines.push('|---|---|---|---|---|');
  for (const k of LENS_CLASSES) {
    const c = r.classes[k];
    if (c === undefined) continue;
    lines.push(`| ${k} | \`${c.file}\` | ${c.count} | ${c.meanScore.toPrecision(4)} | ${fmt(c.w1)} |`);
  }
  lines.push('');
  lines.push('## Metrics', '');
  const ref = REFERENCE_RESULTS;
  // Unknown presets are shown against Model A, the reference's main benchmark.
  const refAuc = referenceAucs(r.preset) ?? referenceAucs('model-a')!;
  const isB = refAuc.label === 'Model B';
  lines.push(
    `Reference columns: the reference's published ${refAuc.label} numbers: 150x150 images, 500 epochs on a GPU (not the same data, size or training length as this run)${r.preset !== null && referenceAucs(r.preset) === null ? `; this run's preset is ${r.preset}` : ''}.`,
    '',
  );
  lines.push(`| metric | this run (${model}) | reference AAE | reference VAE | reference DCAE | reference RBM |`);
  lines.push('|---|---|---|---|---|---|');
  const m = r.metrics;
  const r3 = (v: number): string => v.toFixed(3);
  const a = refAuc.auc;
  const w = ref.w1NoSubModelA;
  lines.push(`| ROC AUC, pooled (spherical + vortex vs no_sub) | ${fmt(m?.aucPooled)} | ${r3(a.AAE)} | ${r3(a.VAE)} | ${r3(a.DCAE)} | ${r3(a.RBM)} |`);
  lines.push(`| ROC AUC, spherical vs no_sub | ${fmt(m?.aucSpherical)} | - | - | - | - |`);
  lines.push(`| ROC AUC, vortex vs no_sub | ${fmt(m?.aucVortex)} | - | - | - | - |`);
  lines.push(`| AUPR, pooled | ${fmt(m?.aupr)} | - | - | - | - |`);
  const op = (p: ReportOperatingPoint | undefined): string =>
    p === undefined ? '-' : `${fmt(p.tpr)} (FPR ${fmt(p.fpr)}, threshold ${p.threshold === null ? 'none' : p.threshold.toPrecision(4)})`;
  lines.push(`| TPR at FPR <= 1% | ${op(m?.tprAt1)} | - | - | - | - |`);
  lines.push(`| TPR at FPR <= 5% | ${op(m?.tprAt5)} | - | - | - | - |`);
  lines.push(`| W1, no_sub (reference: 150-pixel columns) | ${fmt(r.classes.no_sub?.w1)} | ${isB ? '- | - | - | -' : `${r3(w.AAE)} | ${r3(w.VAE)} | ${r3(w.DCAE)} | ${r3(w.RBM)}`} |`);
  lines.push('');
  if (m === null) lines.push('Only no_sub images were given: no AUCs (pass spherical and/or vortex sets).', '');
  if (r.calibratedFpr !== null && Object.keys(r.calibratedFpr).length > 0) {
    lines.push('## Calibrated false-positive rate on the no_sub test images', '', '| score | nominal FPR -> observed |', '|---|---|');
    for (const [name, rows] of Object.entries(r.calibratedFpr)) lines.push(`| ${name} | ${rows.map((x) => `${x.nominal} -> ${x.observed.toFixed(4)}`).join(', ')} |`);
    lines.push('');
  }
  const byScore = Object.entries(r.metricsByScore);
  if (byScore.length > 1 && m !== null) {
    lines.push('## Every score', '', '| score | ROC AUC pooled | spherical | vortex | AUPR | TPR @ 1% FPR | TPR @ 5% FPR |', '|---|---|---|---|---|---|---|');
    for (const [name, x] of byScore) {
      lines.push(`| ${name === r.score ? `**${name}**` : name} | ${fmt(x?.aucPooled)} | ${fmt(x?.aucSpherical)} | ${fmt(x?.aucVortex)} | ${fmt(x?.aupr)} | ${fmt(x?.tprAt1.tpr)} | ${fmt(x?.tprAt5.tpr)} |`);
    }
    lines.push('');
  }
  lines.push('## Plots', '');
  if (r.files.roc !== null) lines.push('![ROC curves](roc.png)', '');
  lines.push('![Score histograms](scores.png)', '');
  return lines.join('\n');
}

/**
 * Scores each set with `evaluate` (reconstructions to outDir/<class>_recon.npy), computes the
 * metrics, W1 per class (inputs as the model saw them: decoded with decodeStack and min-max scaled
 * per image by loadImages; a no-op on simulated data), score histograms, and writes report.json,
 * report.md, roc.png and scores.png to outDir. Returns the report (as written to report.json).
 */
export async function evaluateReport(opts: EvaluateReportOptions): Promise<EvaluationReport> {
  const given = LENS_CLASSES.filter((k) => opts.sets[k] !== undefined);
  if (opts.sets.no_sub === undefined || opts.sets.no_sub === '') {
    throw new DarklensError('invalid_argument', 'evaluateReport: sets.no_sub is required (the no-substructure test images)');
  }
  const bins = opts.bins ?? 40;
  await mkdir(opts.outDir, { recursive: true });
  const byName: Record<string, Partial<Record<LensClass, Float32Array>>> = {};
  const classes: Partial<Record<LensClass, ReportClass>> = {};
  let backend = '';
  let onnx = { path: '', sha256: '' };
  for (const k of given) {
    const file = opts.sets[k]!;
    const reconPath = join(opts.outDir, `${k}_recon.npy`);
    const r = await evaluate({
      dataPath: file,
      checkpointDir: opts.checkpointDir,
      outPath: reconPath,
      ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
      ...(opts.maxImages !== undefined ? { maxImages: opts.maxImages } : {}),
      ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
      ...(opts.log !== undefined ? { log: opts.log } : {}),
    });
    backend = r.backend;
    onnx = r.onnx;
    for (const name of r.scoreNames) (byName[name] ??= {})[k] = r.scores[name]!;
    // W1 on the inputs exactly as the model saw them (prepared by the scoring path) and its reconstructions.
    const w1 = w1ColumnSums(r.inputs!, r.reconstructions!, r.count, r.grid.height, r.grid.width);
    classes[k] = { file, count: r.count, meanScore: 0, meanScores: r.means, w1: w1.mean, reconstructions: reconPath };
  }
  const score = opts.score ?? calibratedDefault(opts.checkpointDir) ?? MSE_SCORE;
  const main = byName[score];
  if (main === undefined) throw new DarklensError('invalid_argument', `score ${score} is not computed by ${onnx.path}; accepted: ${Object.keys(byName).join(', ')}`);
  for (const k of given) classes[k]!.meanScore = classes[k]!.meanScores[score]!;

  const metrics = computeMetrics(main);
  const allScores: number[] = [];
  const allClasses: string[] = [];
  for (const k of given) for (const v of main[k]!) {
    allScores.push(v);
    allClasses.push(k);
  }
  const histograms = scoreHistograms(allScores, allClasses, { bins });
  const counts: Record<LensClass, number> = { no_sub: 0, spherical: 0, vortex: 0 };
  for (const k of given) counts[k] = classes[k]!.count;
  const perClass = (values: Partial<Record<LensClass, Float32Array>>): Partial<Record<LensClass, number[]>> =>
    Object.fromEntries(given.map((k) => [k, Array.from(values[k]!)]));

  const files = {
    json: join(opts.outDir, 'report.json'),
    markdown: join(opts.outDir, 'report.md'),
    roc: metrics === null ? null : join(opts.outDir, 'roc.png'),
    scores: join(opts.outDir, 'scores.png'),
  };
  const report: EvaluationReport = {
    tool: 'darklens evaluate --report',
    format: 2,
    date: new Date().toISOString(),
    checkpoint: opts.checkpointDir,
    training: await readTrainingSummary(opts.checkpointDir),
    backend,
    onnx,
    score,
    scoreDefinition: (SCORES as Record<string, string>)[score] ?? score,
    counts,
    classes,
    metrics,
    metricsByScore: Object.fromEntries(Object.entries(byName).map(([name, v]) => [name, computeMetrics(v)])),
    histograms,
    scores: perClass(main),
    scoresByName: Object.fromEntries(Object.entries(byName).map(([name, v]) => [name, perClass(v)])),
    calibratedFpr: observedFpr(opts.checkpointDir, byName),
    preset: readSimulationManifest(opts.sets.no_sub)?.preset ?? null,
    reference: REFERENCE_RESULTS,
    files,
  };

  const curves = metrics === null ? [] : rocCurves(main, metrics);
  if (files.roc !== null && curves.length > 0) await writeFile(files.roc, rocPlot(curves, `ROC: substructure vs no_sub (score ${score})`));
  const thresholds = metrics === null ? [] : [
    { name: 'threshold, FPR<=1%', value: metrics.tprAt1.threshold ?? NaN },
    { name: 'threshold, FPR<=5%', value: metrics.tprAt5.threshold ?? NaN },
  ];
  await writeFile(files.scores, histogramPlot(histograms, { title: `Anomaly scores by class (${score})`, xLabel: `score (${score})`, thresholds }));
  await writeFile(files.json, JSON.stringify(report, null, 2) + '\n');
  await writeFile(files.markdown, reportMarkdown(report));
  return report;
}

function calibratedDefault(checkpointDir: string): string | undefined {
  return calibrationBeside(checkpointDir)?.defaultScore;
}

/** Per calibrated score, the fraction of no_sub images above each FPR threshold (see calibratedFpr). */
function observedFpr(checkpointDir: string, byName: Record<string, Partial<Record<LensClass, Float32Array>>>): EvaluationReport['calibratedFpr'] {
  const cal = calibrationBeside(checkpointDir);
  if (cal === undefined) return null;
  const noSub = Object.fromEntries(Object.entries(byName).flatMap(([name, v]) => (v.no_sub === undefined ? [] : [[name, v.no_sub]])));
  return flagRates(cal, noSub);
}
