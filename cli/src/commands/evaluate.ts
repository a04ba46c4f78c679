import { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DarklensError, SCORES } from '@darklens/core';
import { evaluate, evaluateReport, findCheckpoints, MODEL_NAMES, referenceAucs, REFERENCE_RESULTS, writeComparison, type BackendName, type EvaluationReport } from '@darklens/training';
import { int, num as numOption, withBackendOption } from '../options.js';

interface EvaluateCommandOptions {
  data?: string;
  checkpoint: string;
  out?: string;
  scores?: string;
  batchSize: number;
  backend?: BackendName;
  maxImages?: number;
  /**
   * --no-sub <path>: commander reads a `--no-` flag as the negation of `--sub`, so the path lands in
   * `sub`, which is `true` when the flag is absent.
   */
  sub?: string | boolean;
  spherical?: string;
  vortex?: string;
  report?: string;
  bins: number;
  score?: string;
  pixelScale?: number;
}

const num = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(3));

/** The reference's published pooled AUCs for the report's preset, as a note for the summary (none for other presets). */
function referenceNote(preset: string | null): string {
  const ref = referenceAucs(preset);
  if (ref === null) return '';
  return `   (reference ${ref.label}: ${Object.entries(ref.auc).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')})`;
}

/** The short metrics table printed after a --report run, with the reference's numbers for the report's preset. */
export function reportSummary(r: EvaluationReport): string {
  const preset = r.preset;
  const lines: string[] = [];
  const counts = (['no_sub', 'spherical', 'vortex'] as const).filter((k) => r.counts[k] > 0).map((k) => `${k} ${r.counts[k]}`).join(', ');
  lines.push(`images: ${counts} (${r.backend}, ${r.onnx.path}); main score ${r.score}`);
  const m = r.metrics;
  if (m !== null) {
    lines.push(`ROC AUC pooled      ${num(m.aucPooled)}${referenceNote(preset)}`);
    lines.push(`ROC AUC spherical   ${num(m.aucSpherical)}`);
    lines.push(`ROC AUC vortex      ${num(m.aucVortex)}`);
    lines.push(`AUPR pooled         ${num(m.aupr)}`);
    lines.push(`TPR at FPR<=1%      ${num(m.tprAt1.tpr)}   threshold ${m.tprAt1.threshold === null ? 'none' : m.tprAt1.threshold.toPrecision(4)}`);
    lines.push(`TPR at FPR<=5%      ${num(m.tprAt5.tpr)}   threshold ${m.tprAt5.threshold === null ? 'none' : m.tprAt5.threshold.toPrecision(4)}`);
  }
  for (const k of ['no_sub', 'spherical', 'vortex'] as const) {
    const c = r.classes[k];
    const w1Ref = REFERENCE_RESULTS.w1NoSubModelA;
    if (c !== undefined) {
      lines.push(`W1 ${k.padEnd(16)} ${num(c.w1)}${k === 'no_sub' && preset === 'model-a' ? `   (reference Model A at 150x150: ${Object.entries(w1Ref).map(([n, v]) => `${n} ${v}`).join(', ')})` : ''}`);
    }
  }
  const others = Object.entries(r.metricsByScore).filter(([name, x]) => name !== r.score && x !== null);
  if (others.length > 0) lines.push(`other scores, pooled AUC / TPR at 1%: ${others.map(([name, x]) => `${name} ${num(x!.aucPooled)} / ${num(x!.tprAt1.tpr)}`).join(', ')}`);
  lines.push(`report: ${r.files.markdown}, ${r.files.json}, ${r.files.roc ?? '(no ROC: no substructure set)'}, ${r.files.scores}`);
  return lines.join('\n') + '\n';
}

export function evaluateCommand(): Command {
  const cmd = new Command('evaluate')
    .description('score images with a trained model (its exported ONNX file, through the service\'s scoring path): every anomaly score of the graph; with --report, the labelled evaluation report (ROC AUC, AUPR, TPR at fixed FPR, W1, plots)')
    .option('-d, --data <path>', 'score one unlabelled .npy file or folder of .npy/FITS files')
    .requiredOption('-c, --checkpoint <dir>', 'checkpoint folder written by `darklens train` (scored through its model.onnx, exported when missing) or an .onnx file; with --report also a parent folder of several (dcae/, vae/, aae/, rbm/): one report each plus a comparison')
    .option('-o, --out <file>', 'with --data: write the reconstructions as .npy [N,1,H,W] float32 (and scores.json beside it)')
    .option('--scores <file>', 'with --data: write the scores as JSON here')
    .option('--no-sub <path>', 'labelled test set without substructure (for --report)')
    .option('--spherical <path>', 'labelled test set with spherical subhalos (for --report)')
    .option('--vortex <path>', 'labelled test set with vortices (for --report)')
    .option('--report <dir>', 'write report.json, report.md, roc.png, scores.png and <class>_recon.npy here (needs --no-sub)')
    .option('--bins <n>', 'score histogram bins of the report', int('bins', 1, 10000), 40)
    .option('--score <name>', `the report's main score (tables, pictures): ${Object.keys(SCORES).join(', ')} (default: the calibrated default, else mse)`)
    .option('--pixel-scale <arcsec>', 'arcsec per pixel of the model\'s grid (default: the training data\'s, else the images\' own)', numOption('pixel scale'))
    .option('-b, --batch-size <n>', 'images per forward pass (does not change the scores)', int('batch size', 1, 65536), 64)
    .option('--max-images <n>', 'score only the first N images (of each set)', int('max images', 1, 100_000_000));
  withBackendOption(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  darklens evaluate --data data/test/spherical.npy --checkpoint checkpoints/dcae --out out/spherical_recon.npy\n' +
      '  darklens evaluate --checkpoint checkpoints/dcae --no-sub data/test/no_sub.npy --spherical data/test/spherical.npy \\\n' +
      '      --vortex data/test/vortex.npy --report out/report\n' +
      '  darklens evaluate --checkpoint checkpoints --no-sub data/model-a/no_sub_test.npy --spherical data/model-a/spherical_test.npy \\\n' +
      '      --vortex data/model-a/vortex_test.npy --report reports/model-a      (every model in checkpoints/, and comparison.md)\n',
  );
  return cmd.action(async (o: EvaluateCommandOptions) => {
    const noSub = typeof o.sub === 'string' ? o.sub : undefined;
    const labelled = noSub !== undefined || o.spherical !== undefined || o.vortex !== undefined;
    if (o.report !== undefined || labelled) {
      if (o.report === undefined) {
        throw new DarklensError('invalid_argument', '--no-sub, --spherical and --vortex need --report <dir> (where the evaluation report goes)');
      }
      if (noSub === undefined) {
        throw new DarklensError('invalid_argument', '--report needs --no-sub <path> (the no-substructure test set), and --spherical and/or --vortex for AUCs');
      }
      if (o.data !== undefined || o.out !== undefined || o.scores !== undefined) {
        throw new DarklensError('invalid_argument', '--data, --out and --scores score one unlabelled set; do not combine them with --report (it writes <class>_recon.npy and report.json itself)');
      }
      const checkpoints = findCheckpoints(o.checkpoint, MODEL_NAMES);
      const several = checkpoints.length > 1 || checkpoints[0]!.dir !== o.checkpoint;
      const reports: { name: string; report: EvaluationReport }[] = [];
      for (const c of checkpoints) {
        const r = await evaluateReport({
          checkpointDir: c.dir,
          sets: { no_sub: noSub, ...(o.spherical !== undefined ? { spherical: o.spherical } : {}), ...(o.vortex !== undefined ? { vortex: o.vortex } : {}) },
          outDir: several ? join(o.report, c.name) : o.report,
          bins: o.bins,
          batchSize: o.batchSize,
          ...(o.score !== undefined ? { score: o.score } : {}),
          ...(o.backend !== undefined ? { backend: o.backend } : {}),
          ...(o.maxImages !== undefined ? { maxImages: o.maxImages } : {}),
        });
        process.stdout.write((several ? `== ${c.name}\n` : '') + reportSummary(r));
        reports.push({ name: c.name, report: r });
      }
      if (several) {
        const cmp = await writeComparison(reports, o.report);
        process.stdout.write(`== comparison: ${cmp.files.markdown}, ${cmp.files.json}${cmp.files.roc !== null ? `, ${cmp.files.roc}` : ''}\n`);
      }
      return;
    }
    if (o.data === undefined) {
      throw new DarklensError('invalid_argument', 'pass --data <path> to score one set, or --no-sub/--spherical/--vortex with --report <dir> for the evaluation report');
    }
    const r = await evaluate({
      dataPath: o.data,
      checkpointDir: o.checkpoint,
      batchSize: o.batchSize,
      ...(o.out !== undefined ? { outPath: o.out } : {}),
      ...(o.backend !== undefined ? { backend: o.backend } : {}),
      ...(o.maxImages !== undefined ? { maxImages: o.maxImages } : {}),
      ...(o.pixelScale !== undefined ? { pixelScale: o.pixelScale } : {}),
    });
    const scoresPath = o.scores ?? (o.out !== undefined ? join(dirname(o.out), 'scores.json') : undefined);
    if (scoresPath !== undefined) {
      const json = {
        data: o.data,
        checkpoint: o.checkpoint,
        onnx: r.onnx,
        count: r.count,
        definitions: Object.fromEntries(r.scoreNames.map((s) => [s, (SCORES as Record<string, string>)[s] ?? s])),
        means: r.means,
        scores: Object.fromEntries(r.scoreNames.map((s) => [s, Array.from(r.scores[s]!)])),
      };
      await writeFile(scoresPath, JSON.stringify(json) + '\n');
    }
    process.stdout.write(`${r.count} images, mean ${r.scoreNames.map((s) => `${s} ${r.means[s]!.toPrecision(6)}`).join(', ')} (${r.backend}, ${r.onnx.path})` +
      (o.out !== undefined ? `; reconstructions ${o.out}` : '') + (scoresPath !== undefined ? `; scores ${scoresPath}` : '') + '\n');
    if (r.flagged !== undefined) {
      process.stdout.write('flagged by the calibrated thresholds (on smooth lenses: the false-positive rate):\n');
      for (const [name, rates] of Object.entries(r.flagged)) process.stdout.write(`  ${name.padEnd(6)} ${rates.map((x) => `${x.name} ${x.observed.toFixed(4)}`).join(', ')}\n`);
    }
  });
}
