import { Command } from 'commander';
import { DarklensError, LABELLED_METRICS, scoreFile, SCORE_NAMES, type CalibrationFile, type LabelledMetric } from '@darklens/core';
import { calibrate, type BackendName } from '@darklens/training';
import { runSignal } from '../context.js';
import { int, num, withBackendOption } from '../options.js';

interface CalibrateCommandOptions {
  checkpoint: string;
  data: string;
  fpr?: number[];
  k?: number[];
  manual?: number[];
  anomalies?: string[];
  metric?: string;
  default?: string;
  seed: number;
  resamples: number;
  out?: string;
  backend?: BackendName;
  maxImages?: number;
  pixelScale?: number;
  defaultScore?: string;
  fp16?: boolean;
}

/** A comma-separated list of numbers. */
function numList(name: string): (v: string) => number[] {
  const one = num(name);
  return (v) => v.split(',').map((s) => one(s.trim()));
}

/** A comma-separated list of paths. */
function pathList(v: string): string[] {
  const out = v.split(',').map((s) => s.trim());
  if (out.some((s) => s === '')) throw new DarklensError('invalid_argument', `anomalies must be comma-separated paths, got '${v}'`);
  return out;
}

function fmt(v: number): string {
  return v.toPrecision(6);
}

/** The thresholds of a calibration file as an aligned text table. */
export function thresholdTable(file: CalibrationFile): string {
  const rows = [['name', 'value', 'method', 'fpr', `CI${file.thresholds.bootstrap ? ` (${file.thresholds.bootstrap.level * 100}%)` : ''}`]];
  for (const t of file.thresholds.items) {
    rows.push([
      t.name + (t.name === file.thresholds.default ? ' *' : ''),
      fmt(t.value),
      t.method + (t.k !== undefined ? ` k=${t.k}` : '') + (t.metricValue !== undefined ? `=${t.metricValue.toFixed(3)}` : ''),
      t.fpr !== undefined ? String(t.fpr) : '-',
      t.ci !== undefined ? `[${fmt(t.ci[0])}, ${fmt(t.ci[1])}]` : '-',
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export function calibrateCommand(): Command {
  const cmd = new Command('calibrate')
    .description(
      'calibrate a trained checkpoint on held-out NORMAL (no_sub) images, scoring its exported model.onnx (exported first when missing) through the service\'s scoring path: for every score of the graph, thresholds, bootstrap CIs and the scores behind p-values, written to calibration.json',
    )
    .requiredOption('-c, --checkpoint <dir>', 'checkpoint folder written by `darklens train`')
    .requiredOption('-d, --data <path>', 'held-out no_sub images (.npy file or folder of .npy/FITS files); never the training set')
    .option('--fpr <list>', 'false-positive rates of the quantile thresholds, comma-separated (default 0.01,0.05)', numList('fpr'))
    .option('--k <list>', 'k values of the mean + k sigma thresholds, comma-separated (default 3)', numList('k'))
    .option('--manual <list>', 'hand-set threshold values, comma-separated', numList('manual threshold'))
    .option('--anomalies <list>', 'anomalous image sets (.npy), comma-separated, for the F1 / Youden thresholds', pathList)
    .option('--metric <name>', `labelled threshold to fit with --anomalies: ${LABELLED_METRICS.join(' or ')} (default: both)`)
    .option('--default <name>', 'name of the default threshold (default fpr-0.05, or the first fpr)')
    .option('--default-score <name>', `the score requests get when they name none: ${SCORE_NAMES.join(', ')}`, 'mse')
    .option('--fp16', 'calibrate the float16 export (model.fp16.onnx, exported when missing): what models add --fp16 registers')
    .option('-s, --seed <n>', 'seed of the bootstrap resampling', int('seed', 0, 0xffffffff), 0)
    .option('--resamples <n>', 'bootstrap resamples of the threshold CIs (0: no CIs)', int('resamples', 0, 1_000_000), 1000)
    .option('--pixel-scale <arcsec>', 'arcsec per pixel of the images (default: from the simulation manifest beside the data)', num('pixel scale'))
    .option('-o, --out <file>', 'where to write the file (default <checkpoint>/calibration.json)')
    .option('--max-images <n>', 'use only the first N images of each set', int('max images', 1, 100_000_000));
  withBackendOption(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n' +
      '  darklens calibrate --checkpoint checkpoints/dcae --data data/heldout/no_sub.npy\n' +
      '  darklens calibrate --checkpoint checkpoints/dcae --data data/heldout/no_sub.npy --fpr 0.01,0.05,0.1 --k 3 \\\n' +
      '      --anomalies data/heldout/spherical.npy,data/heldout/vortex.npy --metric f1 --default fpr-0.05\n',
  );
  return cmd.action(async (o: CalibrateCommandOptions) => {
    if (o.metric !== undefined && !(LABELLED_METRICS as readonly string[]).includes(o.metric)) {
      throw new DarklensError('invalid_argument', `unknown metric '${o.metric}'; accepted: ${LABELLED_METRICS.join(', ')}`);
    }
    if (o.metric !== undefined && o.anomalies === undefined) {
      throw new DarklensError('invalid_argument', `--metric ${o.metric} needs labelled anomalous images: give them with --anomalies`);
    }
    if (o.resamples !== 0 && o.resamples < 10) {
      throw new DarklensError('invalid_argument', `resamples must be 0 (no CIs) or an integer >= 10, got '${o.resamples}'`);
    }
    const r = await calibrate({
      checkpointDir: o.checkpoint,
      dataPath: o.data,
      seed: o.seed,
      resamples: o.resamples,
      signal: runSignal,
      ...(o.fpr !== undefined ? { fprs: o.fpr } : {}),
      ...(o.k !== undefined ? { kSigmas: o.k } : {}),
      ...(o.manual !== undefined ? { manual: o.manual } : {}),
      ...(o.anomalies !== undefined ? { labelled: o.anomalies.map((path) => ({ path, label: 1 as const })) } : {}),
      ...(o.metric !== undefined ? { metric: o.metric as LabelledMetric } : {}),
      ...(o.default !== undefined ? { defaultThreshold: o.default } : {}),
      ...(o.defaultScore !== undefined ? { defaultScore: o.defaultScore } : {}),
      ...(o.fp16 === true ? { fp16: true } : {}),
      ...(o.out !== undefined ? { outPath: o.out } : {}),
      ...(o.backend !== undefined ? { backend: o.backend } : {}),
      ...(o.maxImages !== undefined ? { maxImages: o.maxImages } : {}),
      ...(o.pixelScale !== undefined ? { pixelScale: o.pixelScale } : {}),
    });
    for (const name of Object.keys(r.file.scores)) {
      const f = scoreFile(r.file, name);
      process.stdout.write(
        `\n${name}${name === r.file.defaultScore ? ' (default score)' : ''}: ${f.calibration.count} held-out images of ${f.calibration.set}, scores ${fmt(f.calibration.scores[0]!)} to ${fmt(f.calibration.scores[f.calibration.count - 1]!)}\n` +
          thresholdTable(f),
      );
    }
    process.stdout.write(`(* default threshold; scored with ${r.backend}, ONNX sha256 ${r.file.model.onnxSha256?.slice(0, 16) ?? '-'}...) calibration ${r.outPath}\n`);
  });
}
