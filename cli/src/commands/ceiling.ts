import { Command } from 'commander';
import { DarklensError } from '@darklens/core';
import { CEILING_DEFAULTS, supervisedCeiling, writeCeilingReport, type BackendName, type CeilingProgress, type CeilingReport } from '@darklens/training';
import { ProgressBar } from '../progress.js';
import { int, num, withBackendOption } from '../options.js';
import { runSignal } from '../context.js';

interface CeilingCommandOptions {
  /** --no-sub <path>: commander reads a `--no-` flag as the negation of `--sub` (see evaluate.ts). */
  sub?: string | boolean;
  spherical: string;
  vortex: string;
  testNoSub: string;
  testSpherical: string;
  testVortex: string;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  valFraction: number;
  backend?: BackendName;
  out: string;
  quiet?: boolean;
}

const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '-');
const f4 = (v: number): string => v.toPrecision(4);

function summary(r: CeilingReport, files: { json: string; markdown: string }): string {
  const m = r.metrics;
  const c = r.counts.test;
  return [
    `supervised ceiling (labelled upper reference, not a darklens model): backend ${r.backend}; ${r.epochs} epochs, measured at epoch ${r.bestEpoch}`,
    `test images: no_sub ${c.no_sub}, spherical ${c.spherical}, vortex ${c.vortex}`,
    `ROC AUC pooled      ${f3(m.aucPooled)}`,
    `ROC AUC spherical   ${f3(m.aucSpherical)}`,
    `ROC AUC vortex      ${f3(m.aucVortex)}`,
    `TPR at FPR<=1%      ${f3(m.tprAt1.tpr)}`,
    `TPR at FPR<=5%      ${f3(m.tprAt5.tpr)}`,
    `report: ${files.markdown}, ${files.json}`,
  ].join('\n') + '\n';
}

/** One bar over the whole run (epochs x training images), so its ETA is the run's. */
function progressReporter(quiet: boolean | undefined): { onProgress: (e: CeilingProgress) => void; done: () => void } {
  let bar: ProgressBar | undefined;
  let shown = 0;
  const onProgress = (e: CeilingProgress): void => {
    const epochLine = e.valLoss !== undefined ? `epoch ${e.epoch}/${e.epochs} loss ${f4(e.loss)} val ${f4(e.valLoss)} auc ${f3(e.valAuc ?? NaN)}` : undefined;
    if (quiet) {
      if (epochLine !== undefined) process.stderr.write(`ceiling ${epochLine}\n`);
      return;
    }
    bar ??= new ProgressBar({ total: e.epochs * e.trainImages, label: 'ceiling', unit: 'img', stream: process.stderr });
    const at = (e.epoch - 1) * e.trainImages + e.images;
    bar.tick(Math.max(0, at - shown), epochLine ?? `epoch ${e.epoch}/${e.epochs} loss ${f4(e.loss)}`);
    shown = at;
  };
  return { onProgress, done: () => bar?.done() };
}

export function ceilingCommand(): Command {
  const cmd = new Command('ceiling')
    .description(
      'supervised ceiling for reports: train a small CNN WITH labels (no_sub = 0; spherical and vortex = 1) on labelled simulations and measure it on ' +
        'labelled test sets, to show the best a detector could do at this resolution and noise (never exported nor served)',
    )
    .option('--no-sub <path>', 'training images without substructure (.npy [N,1,H,W] or a folder of .npy/FITS; required)')
    .requiredOption('--spherical <path>', 'training images with spherical subhalos')
    .requiredOption('--vortex <path>', 'training images with vortices')
    .requiredOption('--test-no-sub <path>', 'test images without substructure (the negatives; FPR thresholds come from their scores)')
    .requiredOption('--test-spherical <path>', 'test images with spherical subhalos')
    .requiredOption('--test-vortex <path>', 'test images with vortices')
    .requiredOption('-o, --out <dir>', 'folder for ceiling.json (every number) and ceiling.md (a table); created when missing')
    .option('-e, --epochs <n>', 'number of epochs (the weights of the lowest validation loss are measured)', int('epochs', 1, 100_000), CEILING_DEFAULTS.epochs)
    .option('-b, --batch-size <n>', 'images per batch', int('batch size', 1, 65536), CEILING_DEFAULTS.batchSize)
    .option('--lr <rate>', 'Adam learning rate', num('learning rate'), CEILING_DEFAULTS.learningRate)
    .option('-s, --seed <n>', 'seed of the weights, the validation split and the batch order', int('seed', 0, 0xffffffff), CEILING_DEFAULTS.seed)
    .option('--val-fraction <f>', 'fraction of each training class kept for validation', num('validation fraction'), CEILING_DEFAULTS.validationFraction)
    .option('-q, --quiet', 'no progress bar (one line per epoch)');
  withBackendOption(cmd);
  cmd.addHelpText(
    'after',
    '\nAll six sets must hold square images of one size, a multiple of 8 (the CNN has three 2x2 max-pools), each min-max scaled to [0, 1].\n' +
      'Training classes are balanced: no_sub weighs as much as spherical and vortex together. The metrics (ROC AUC pooled and per class,\n' +
      'TPR at FPR <= 1% and 5%, thresholds from the no_sub test scores) are those of `darklens evaluate --report`, so the two compare directly.\n' +
      'The classifier is a reference only: it sees labels the unsupervised models never see, and nothing of it is saved.\n\n' +
      'Example:\n' +
      '  darklens ceiling --no-sub data/train/no_sub.npy --spherical data/train/spherical.npy --vortex data/train/vortex.npy \\\n' +
      '      --test-no-sub data/test/no_sub.npy --test-spherical data/test/spherical.npy --test-vortex data/test/vortex.npy --out reports/ceiling\n',
  );
  return cmd.action(async (o: CeilingCommandOptions) => {
    if (typeof o.sub !== 'string') throw new DarklensError('invalid_argument', "required option '--no-sub <path>' not specified (the training images without substructure)");
    const progress = progressReporter(o.quiet);
    let report: CeilingReport;
    try {
      report = await supervisedCeiling({
        data: {
          train: { no_sub: o.sub, spherical: o.spherical, vortex: o.vortex },
          test: { no_sub: o.testNoSub, spherical: o.testSpherical, vortex: o.testVortex },
        },
        epochs: o.epochs,
        batchSize: o.batchSize,
        learningRate: o.lr,
        seed: o.seed,
        validationFraction: o.valFraction,
        ...(o.backend !== undefined ? { backend: o.backend } : {}),
        signal: runSignal,
        onProgress: progress.onProgress,
      });
    } finally {
      progress.done();
    }
    const files = await writeCeilingReport(report, o.out);
    process.stdout.write(summary(report, files));
  });
}
