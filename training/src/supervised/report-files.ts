/** The ceiling's report files: ceiling.json (everything) and ceiling.md (a small table for people). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CeilingReport } from './ceiling.js';
import { CEILING_CLASSES } from './labelled-sets.js';
import type { CeilingOperatingPoint } from './metrics.js';

export const CEILING_JSON = 'ceiling.json';
export const CEILING_MARKDOWN = 'ceiling.md';

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '-');

function point(p: CeilingOperatingPoint): string {
  return `${fmt(p.tpr)} (FPR ${fmt(p.fpr)}, logit threshold ${p.threshold === null ? 'none' : p.threshold.toPrecision(4)})`;
}

export function ceilingMarkdown(r: CeilingReport): string {
  const m = r.metrics;
  const best = r.history.find((h) => h.epoch === r.bestEpoch);
  const lines = [
    '# Supervised ceiling',
    '',
    `> ${r.note}`,
    '',
    '| metric (test sets) | value |',
    '|---|---|',
    `| ROC AUC pooled (no_sub vs spherical + vortex) | ${fmt(m.aucPooled)} |`,
    `| ROC AUC no_sub vs spherical | ${fmt(m.aucSpherical)} |`,
    `| ROC AUC no_sub vs vortex | ${fmt(m.aucVortex)} |`,
    `| TPR at FPR <= 1% | ${point(m.tprAt1)} |`,
    `| TPR at FPR <= 5% | ${point(m.tprAt5)} |`,
    '',
    `| images | ${CEILING_CLASSES.join(' | ')} |`,
    '|---|---|---|---|',
    ...(['train', 'validation', 'test'] as const).map((k) => `| ${k} | ${CEILING_CLASSES.map((c) => r.counts[k][c]).join(' | ')} |`),
    '',
    `CNN ${r.model.filters.join('/')} filters (3x3 conv, max-pool, global average pool, sigmoid), ${r.model.inputSize}x${r.model.inputSize} input, ` +
      `${r.model.parameters} parameters; backend ${r.backend}, seed ${r.seed}; ${r.epochs} epochs of Adam (learning rate ${r.options.learningRate}, ` +
      `batch ${r.options.batchSize}) on the class-weighted BCE (no_sub weighs as much as spherical and vortex together); ` +
      `measured at epoch ${r.bestEpoch}${best ? ` (validation loss ${fmt(best.valLoss)}, AUC ${fmt(best.valAuc)})` : ''}.`,
    '',
  ];
  return lines.join('\n');
}

/** Writes ceiling.json and ceiling.md into outDir (created when missing); returns their paths. */
export async function writeCeilingReport(r: CeilingReport, outDir: string): Promise<{ json: string; markdown: string }> {
  await mkdir(outDir, { recursive: true });
  const files = { json: join(outDir, CEILING_JSON), markdown: join(outDir, CEILING_MARKDOWN) };
  await writeFile(files.json, JSON.stringify(r, null, 2) + '\n');
  await writeFile(files.markdown, ceilingMarkdown(r));
  return files;
}
