/**
 * Several models' evaluation reports side by side: the quality table (pooled and per-class ROC
 * AUC, AUPR, TPR at 1% and 5% FPR, W1) beside the reference's published AUC for the preset, and
 * one picture with every model's pooled ROC curve. Written as comparison.md, comparison.json and
 * roc.png by `darklens evaluate --report` when --checkpoint holds several models.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DarklensError } from '@darklens/core';
import { rocPlot, type RocPlotCurve } from './plots.js';
import { computeMetrics, referenceAucs, rocCurves, type EvaluationReport } from './report.js';

export interface ComparisonRow {
  model: string;
  /** The score of this row's metrics (the report's main score). */
  score: string;
  aucPooled: number | null;
  aucSpherical: number | null;
  aucVortex: number | null;
  aupr: number | null;
  tprAt1: number | null;
  tprAt5: number | null;
  w1NoSub: number | null;
  w1Spherical: number | null;
  w1Vortex: number | null;
  /** Epochs trained (from training.json). */
  epochs: number | null;
  /** The reference's published pooled AUC for this model and preset (model-a / model-b only). */
  referenceAuc: number | null;
}

export interface Comparison {
  tool: 'darklens evaluate --report (several models)';
  format: 1;
  date: string;
  /** The preset of the test sets, from the simulator's manifest beside the no_sub set (null if none). */
  preset: string | null;
  rows: ComparisonRow[];
  /** Pooled AUC and TPR at 1% FPR of every score of every model. */
  byScore: { model: string; score: string; aucPooled: number | null; tprAt1: number | null }[];
  files: { json: string; markdown: string; roc: string | null };
}

function referenceAuc(model: string, preset: string | null): number | null {
  const ref = referenceAucs(preset);
  const key = model.toUpperCase();
  return ref !== null && key in ref.auc ? ref.auc[key as keyof typeof ref.auc] : null;
}

export function comparisonRow(name: string, r: EvaluationReport): ComparisonRow {
  const m = r.metrics;
  const epoch = r.training?.epoch;
  return {
    model: name,
    score: r.score,
    aucPooled: m?.aucPooled ?? null,
    aucSpherical: m?.aucSpherical ?? null,
    aucVortex: m?.aucVortex ?? null,
    aupr: m?.aupr ?? null,
    tprAt1: m?.tprAt1.tpr ?? null,
    tprAt5: m?.tprAt5.tpr ?? null,
    w1NoSub: r.classes.no_sub?.w1 ?? null,
    w1Spherical: r.classes.spherical?.w1 ?? null,
    w1Vortex: r.classes.vortex?.w1 ?? null,
    epochs: typeof epoch === 'number' ? epoch : null,
    referenceAuc: referenceAuc(name, r.preset),
  };
}

const f3 = (v: number | null): string => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(3));

export function comparisonMarkdown(c: Comparison): string {
  const lines = [
    `# darklens model comparison${c.preset !== null ? ` (${c.preset})` : ''}`,
    '',
    `Date: ${c.date}. Each model's main score (its calibrated default). Pooled = spherical + vortex against no_sub.`,
    '',
    '| model | score | epochs | ROC AUC pooled | spherical | vortex | AUPR | TPR@1%FPR | TPR@5%FPR | W1 no_sub | W1 spherical | W1 vortex | reference AUC |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of c.rows) {
    lines.push(
      `| ${r.model} | ${r.score} | ${r.epochs ?? '-'} | ${f3(r.aucPooled)} | ${f3(r.aucSpherical)} | ${f3(r.aucVortex)} | ${f3(r.aupr)} | ${f3(r.tprAt1)} | ${f3(r.tprAt5)} | ${f3(r.w1NoSub)} | ${f3(r.w1Spherical)} | ${f3(r.w1Vortex)} | ${f3(r.referenceAuc)} |`,
    );
  }
  const scores = [...new Set(c.byScore.map((x) => x.score))];
  if (scores.length > 1) {
    lines.push('', 'Every score: pooled ROC AUC / TPR at 1% FPR.', '', `| model | ${scores.join(' | ')} |`, `|---|${scores.map(() => '---').join('|')}|`);
    for (const model of [...new Set(c.byScore.map((x) => x.model))]) {
      const cells = scores.map((s) => {
        const x = c.byScore.find((y) => y.model === model && y.score === s);
        return x === undefined ? '-' : `${f3(x.aucPooled)} / ${f3(x.tprAt1)}`;
      });
      lines.push(`| ${model} | ${cells.join(' | ')} |`);
    }
  }
  const which = referenceAucs(c.preset)?.label ?? null;
  lines.push(
    '',
    which === null
      ? 'Reference AUC: none for this preset (the reference published Model A and Model B only).'
      : `Reference AUC: the reference's published ${which} numbers (150x150 images, 500 epochs on a GPU). W1 is not comparable with the reference's: it sums image columns, which grow with the image side (150 there, 64 here).`,
  );
  if (c.files.roc !== null) lines.push('', '![pooled ROC of each model](roc.png)');
  return lines.join('\n') + '\n';
}

/** Writes comparison.json, comparison.md and roc.png (pooled ROC per model) to outDir; the preset is the reports' (same test sets). */
export async function writeComparison(models: { name: string; report: EvaluationReport }[], outDir: string): Promise<Comparison> {
  if (models.length === 0) throw new DarklensError('invalid_argument', 'writeComparison: no reports');
  const preset = models[0]!.report.preset;
  const curves: RocPlotCurve[] = [];
  for (const { name, report } of models) {
    const scores = Object.fromEntries(Object.entries(report.scores).map(([k, v]) => [k, Float32Array.from(v)]));
    const m = computeMetrics(scores);
    if (m === null || report.scores.no_sub === undefined) continue;
    const pooled = rocCurves(scores, m)[0];
    if (pooled !== undefined) curves.push({ ...pooled, name });
  }
  const files = { json: join(outDir, 'comparison.json'), markdown: join(outDir, 'comparison.md'), roc: curves.length > 0 ? join(outDir, 'roc.png') : null };
  const c: Comparison = {
    tool: 'darklens evaluate --report (several models)',
    format: 1,
    date: new Date().toISOString(),
    preset,
    rows: models.map((m) => comparisonRow(m.name, m.report)),
    byScore: models.flatMap((m) =>
      Object.entries(m.report.metricsByScore ?? {}).map(([score, x]) => ({ model: m.name, score, aucPooled: x?.aucPooled ?? null, tprAt1: x?.tprAt1.tpr ?? null })),
    ),
    files,
  };
  if (files.roc !== null) await writeFile(files.roc, rocPlot(curves, `Pooled ROC by model${preset !== null ? ` (${preset})` : ''}`));
  await writeFile(files.markdown, comparisonMarkdown(c));
  await writeFile(files.json, JSON.stringify(c, null, 2) + '\n');
  return c;
}
