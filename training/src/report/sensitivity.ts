/**
 * Sensitivity curve: pooled ROC AUC of each trained model against the substructure mass fraction
 * f_sub, on the physics of one preset (model-a by default). For every f_sub the spherical and vortex
 * test sets are simulated with the SAME seeds, so the lenses, sources, subhalo positions and noise
 * are identical across f_sub and only the subhalo masses change: the curve isolates the effect of
 * mass. The no_sub set (its own seed) is shared by every f_sub. Writes sensitivity.json,
 * sensitivity.md and sensitivity.png (AUC against f_sub, log axis) to a folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DarklensError, MSE_SCORE, parseModelCalibration } from '@darklens/core';
import type { BackendName } from '../backend/select.js';
import { rocAuc } from '../metrics/roc.js';
import { labelledScores } from '../metrics/labelled.js';
import { hashSeed } from '../simulate/rng.js';
import { simulateToFiles } from '../simulate/output.js';
import type { LensClass, SimulationSpec } from '../simulate/presets.js';
import { evaluate } from '../train/evaluate.js';
import { linePlot } from './plots.js';

export const DEFAULT_F_SUBS = [0.02, 0.05, 0.1, 0.25] as const;
const SET_STREAM = 0x5e75;

export interface SensitivityOptions {
  /** Trained models to score, each a checkpoint folder with a display name. */
  checkpoints: { name: string; dir: string }[];
  /** The physics (its fSub is replaced by each value of fSubs). */
  spec: SimulationSpec;
  fSubs?: readonly number[];
  /** Test images per class and f_sub (default 1000). */
  count?: number;
  seed?: number;
  /** Where data/, sensitivity.json, .md and .png go. */
  outDir: string;
  threads?: number;
  backend?: BackendName;
  /** Progress: a stage label, and images done of the stage's total. */
  onProgress?: (stage: string, done: number, total: number) => void;
  signal?: AbortSignal;
  log?: (msg: string) => void;
  /**
   * The score of the plot (default: mse), or DEFAULT_SCORE: each model's calibrated default (mse for
   * a model without calibration.json); the rows hold every score of each model's graph.
   */
  score?: string;
}

/** `score` that plots each model's own calibrated default score. */
export const DEFAULT_SCORE = 'default';

/** The default score recorded in the calibration.json beside a checkpoint (or an .onnx file); mse when there is none. */
export function calibratedDefaultScore(checkpoint: string): string {
  const file = join(checkpoint.toLowerCase().endsWith('.onnx') ? dirname(checkpoint) : checkpoint, 'calibration.json');
  return existsSync(file) ? parseModelCalibration(JSON.parse(readFileSync(file, 'utf8'))).defaultScore : MSE_SCORE;
}

export interface SensitivityRow {
  model: string;
  /** The anomaly score (onnx/contract.ts SCORES). */
  score: string;
  fSub: number;
  aucPooled: number;
  aucSpherical: number;
  aucVortex: number;
}

export interface SensitivityResult {
  tool: 'darklens sensitivity';
  format: 1;
  date: string;
  preset: string;
  count: number;
  seed: number;
  fSubs: number[];
  checkpoints: { name: string; dir: string }[];
  /** The score plotted ('default': each model's, in plotted). */
  score: string;
  /** The score plotted for each model, by model name. */
  plotted: Record<string, string>;
  rows: SensitivityRow[];
  files: { json: string; markdown: string; plot: string };
}

export async function sensitivity(opts: SensitivityOptions): Promise<SensitivityResult> {
  const fSubs = [...(opts.fSubs ?? DEFAULT_F_SUBS)];
  const count = opts.count ?? 1000;
  const seed = opts.seed ?? 0;
  if (opts.checkpoints.length === 0) throw new DarklensError('invalid_argument', 'sensitivity: no checkpoints; pass at least one trained model');
  if (fSubs.length === 0 || fSubs.some((f) => !(Number.isFinite(f) && f > 0 && f <= 1))) {
    throw new DarklensError('invalid_argument', `sensitivity: f_sub values must lie in (0, 1], got ${fSubs.join(', ')}`);
  }
  if (!Number.isInteger(count) || count < 2) throw new DarklensError('invalid_argument', `sensitivity: count must be an integer >= 2, got ${String(count)}`);
  for (const c of opts.checkpoints) {
    if (!existsSync(join(c.dir, 'model.json')) && !(c.dir.toLowerCase().endsWith('.onnx') && existsSync(c.dir))) {
      throw new DarklensError('not_found', `${c.dir} is not a darklens checkpoint (no model.json) or .onnx file`);
    }
  }
  const dataDir = join(opts.outDir, 'data');
  await mkdir(dataDir, { recursive: true });
  const simulate = async (klass: LensClass, spec: SimulationSpec, dir: string, label: string): Promise<string> => {
    await simulateToFiles({
      spec,
      klass,
      count,
      // One seed per class, the same for every f_sub (see the header).
      seed: hashSeed(seed, SET_STREAM, klass === 'no_sub' ? 0 : klass === 'spherical' ? 1 : 2),
      outDir: dir,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      ...(opts.onProgress ? { onProgress: (d: number, t: number) => opts.onProgress!(label, d, t) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return join(dir, `${klass}.npy`);
  };
  const noSub = await simulate('no_sub', opts.spec, dataDir, 'simulate no_sub');
  const sets: { fSub: number; spherical: string; vortex: string }[] = [];
  for (const fSub of fSubs) {
    const spec = { ...opts.spec, fSub };
    const dir = join(dataDir, `fsub-${fSub}`);
    sets.push({
      fSub,
      spherical: await simulate('spherical', spec, dir, `simulate spherical f_sub ${fSub}`),
      vortex: await simulate('vortex', spec, dir, `simulate vortex f_sub ${fSub}`),
    });
  }

  const rows: SensitivityRow[] = [];
  const score = async (dir: string, dataPath: string): Promise<Record<string, Float32Array>> =>
    (await evaluate({ dataPath, checkpointDir: dir, ...(opts.backend !== undefined ? { backend: opts.backend } : {}), ...(opts.log ? { log: opts.log } : {}) })).scores;
  for (const c of opts.checkpoints) {
    const total = count * (1 + 2 * sets.length);
    let done = 0;
    const tick = (): void => opts.onProgress?.(`score ${c.name}`, (done += count), total);
    const neg = await score(c.dir, noSub);
    tick();
    for (const s of sets) {
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted');
      const sph = await score(c.dir, s.spherical);
      tick();
      const vor = await score(c.dir, s.vortex);
      tick();
      for (const name of Object.keys(neg)) {
        const auc = (pos: Float32Array[]): number => {
          const l = labelledScores(neg[name]!, ...pos);
          return rocAuc(l.scores, l.labels);
        };
        rows.push({ model: c.name, score: name, fSub: s.fSub, aucPooled: auc([sph[name]!, vor[name]!]), aucSpherical: auc([sph[name]!]), aucVortex: auc([vor[name]!]) });
      }
    }
  }

  const files = { json: join(opts.outDir, 'sensitivity.json'), markdown: join(opts.outDir, 'sensitivity.md'), plot: join(opts.outDir, 'sensitivity.png') };
  const result: SensitivityResult = {
    tool: 'darklens sensitivity',
    format: 1,
    date: new Date().toISOString(),
    preset: opts.spec.preset,
    count,
    seed,
    fSubs,
    checkpoints: opts.checkpoints,
    score: opts.score ?? MSE_SCORE,
    plotted: Object.fromEntries(opts.checkpoints.map((c) => [c.name, opts.score === DEFAULT_SCORE ? calibratedDefaultScore(c.dir) : (opts.score ?? MSE_SCORE)])),
    rows,
    files,
  };
  await writeFile(files.plot, sensitivityPlot(result));
  await writeFile(files.markdown, sensitivityMarkdown(result));
  await writeFile(files.json, JSON.stringify(result, null, 2) + '\n');
  return result;
}

/** Pooled AUC against f_sub (log axis), one line per model, chance at 0.5. */
export function sensitivityPlot(r: Pick<SensitivityResult, 'rows' | 'checkpoints' | 'preset' | 'score' | 'plotted'>): Uint8Array {
  const series = r.checkpoints.map((c) => {
    const score = r.plotted[c.name] ?? r.score;
    const rows = r.rows.filter((x) => x.model === c.name && x.score === score);
    return { name: r.score === DEFAULT_SCORE ? `${c.name} ${score}` : c.name, x: rows.map((x) => x.fSub), y: rows.map((x) => x.aucPooled) };
  });
  return linePlot(series, {
    title: `Pooled ROC AUC vs f_sub (${r.preset}, ${r.score === DEFAULT_SCORE ? "each model's default score" : `score ${r.score}`})`,
    xLabel: 'f_sub (substructure mass fraction of the host)',
    yLabel: 'AUC',
    logX: true,
    yRange: [0.4, 1],
    references: [{ name: 'chance', y: 0.5 }],
    legend: 'bottom-right',
  });
}

/** The table: one row per model, one column per f_sub (pooled AUC, spherical / vortex beneath). */
export function sensitivityMarkdown(r: SensitivityResult): string {
  const lines = [
    `# Sensitivity to the substructure mass fraction (${r.preset} physics)`,
    '',
    `${r.count} test images per class and f_sub; the same lenses at every f_sub (only subhalo masses change); seed ${r.seed}.`,
    'Pooled ROC AUC (spherical / vortex), per model and anomaly score:',
    '',
    `| model | score | ${r.fSubs.map((f) => `f_sub ${f}`).join(' | ')} |`,
    `|---|---|${r.fSubs.map(() => '---').join('|')}|`,
  ];
  for (const c of r.checkpoints) {
    const scores = [...new Set(r.rows.filter((x) => x.model === c.name).map((x) => x.score))];
    for (const score of scores) {
      const cells = r.fSubs.map((f) => {
        const row = r.rows.find((x) => x.model === c.name && x.score === score && x.fSub === f);
        return row === undefined ? '-' : `${row.aucPooled.toFixed(3)} (${row.aucSpherical.toFixed(3)} / ${row.aucVortex.toFixed(3)})`;
      });
      lines.push(`| ${c.name} | ${score} | ${cells.join(' | ')} |`);
    }
  }
  lines.push('', `![AUC against f_sub, score ${r.score}](${'sensitivity.png'})`, '');
  return lines.join('\n');
}
