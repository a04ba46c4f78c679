import { Command } from 'commander';
import { DarklensError } from '@darklens/core';
import { AAE_LAMBDA, MODEL_NAMES, SCHEDULES, train, MODEL_DEFAULTS, TRAIN_DEFAULTS, type BackendName, type ModelName, type OptimizerName, type ScheduleName, type TrainResult } from '@darklens/training';
import { ProgressBar } from '../progress.js';
import { choice, int, num, withBackendOption } from '../options.js';
import { runSignal } from '../context.js';
import { runModelJobs } from './train-jobs.js';

interface TrainCommandOptions {
  data: string;
  model: string;
  epochs?: number;
  batchSize: number;
  lr?: number;
  optimizer: OptimizerName;
  schedule: ScheduleName;
  weightDecay: number;
  adversarialWeight?: number;
  seed: number;
  out?: string;
  resume?: boolean;
  pretrain?: string;
  patience?: number;
  backend?: BackendName;
  valFraction: number;
  maxImages?: number;
  jobs: number;
  quiet?: boolean;
}

const fmt = (x: number): string => x.toPrecision(4);

const perModel = (k: 'epochs' | 'learningRate'): string => MODEL_NAMES.map((m) => `${m} ${MODEL_DEFAULTS[m][k]}`).join(', ');

/** `all`, one name or a comma-separated list, in MODEL_NAMES order. */
function modelList(v: string): ModelName[] {
  if (v === 'all') return [...MODEL_NAMES];
  const names = v.split(',').map((s) => s.trim());
  for (const n of names) choice<ModelName>('model', MODEL_NAMES)(n);
  return MODEL_NAMES.filter((m) => names.includes(m));
}

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description('train anomaly models on smooth lenses (.npy [N,1,H,W] or a folder of .npy/FITS), keeping the best checkpoint by validation loss (the score: reconstruction MSE)')
    .requiredOption('-d, --data <path>', '.npy file or folder of .npy/FITS files (each image min-max scaled to [0,1])')
    .option('-m, --model <name>', `model: ${MODEL_NAMES.join(', ')}, a comma-separated list, or all`, 'all')
    .option('-e, --epochs <n>', `number of epochs (the total, also when resuming; default per model: ${perModel('epochs')})`, int('epochs', 1, 1_000_000))
    .option('-b, --batch-size <n>', 'images per batch', int('batch size', 1, 65536), TRAIN_DEFAULTS.batchSize)
    .option('--lr <rate>', `peak learning rate (one-cycle) or the constant one (default per model: ${perModel('learningRate')})`, num('learning rate'))
    .option('--optimizer <name>', 'adam or sgd', choice<OptimizerName>('optimizer', ['adam', 'sgd']), TRAIN_DEFAULTS.optimizer)
    .option('--schedule <name>', `learning-rate schedule: ${SCHEDULES.join(', ')}`, choice<ScheduleName>('schedule', SCHEDULES), TRAIN_DEFAULTS.schedule)
    .option('--weight-decay <w>', 'L2 weight decay added to the gradients (0 disables)', num('weight decay'), TRAIN_DEFAULTS.weightDecay)
    .option('--adversarial-weight <w>', `aae: weight of the adversarial term against the reconstruction MSE (default ${AAE_LAMBDA})`, num('adversarial weight'))
    .option('-s, --seed <n>', 'seed of the weights, split and batch order (same seed, data and backend give the same history)', int('seed', 0, 0xffffffff), TRAIN_DEFAULTS.seed)
    .option('-o, --out <dir>', 'checkpoint folder (default: checkpoints/<model>); with several models, the parent folder of one folder per model (default: checkpoints)')
    .option('--resume', 'continue the run saved in --out at its next epoch (weights and optimizer state)')
    .option('--pretrain <dir>', 'start from the best weights of this checkpoint folder (new optimizer); with several models, the parent of one folder per model')
    .option('--patience <n>', 'stop after this many epochs without a better validation loss', int('patience', 1, 1_000_000))
    .option('--val-fraction <f>', 'fraction of the images kept for validation', num('validation fraction'), TRAIN_DEFAULTS.validationFraction)
    .option('--max-images <n>', 'use only the first N images', int('max images', 2, 100_000_000))
    .option('-j, --jobs <n>', 'with several models: train this many at once, one process each (wasm uses one core per process)', int('jobs', 1, 64), 1)
    .option('-q, --quiet', 'no progress bars (one line per epoch)');
  withBackendOption(cmd);
  cmd.addHelpText(
    'after',
    '\nEach checkpoint folder holds the best and last weights, training.json and loss.png (loss curves).\n\nExamples:\n  darklens train --data data/model-a/no_sub_train.npy --model all\n  darklens train --data data/train/no_sub.npy --model vae --epochs 30 --patience 5 --out checkpoints/vae\n',
  );
  return cmd.action(async (o: TrainCommandOptions) => {
    const models = modelList(o.model);
    const { optimizer, schedule } = o;
    const backend = o.backend;
    const outOf = (model: ModelName): string => (models.length === 1 ? (o.out ?? `checkpoints/${model}`) : `${o.out ?? 'checkpoints'}/${model}`);
    if (o.jobs > 1 && models.length > 1) {
      const codes = await runModelJobs(
        models.map((m) => ({ model: m, args: childArgs(o, m, outOf(m), o.pretrain === undefined ? undefined : `${o.pretrain}/${m}`) })),
        o.jobs,
      );
      if (runSignal.aborted) throw runSignal.reason instanceof Error ? runSignal.reason : new Error('stopped');
      const failed = models.filter((_, k) => codes[k] !== 0);
      if (failed.length > 0) throw new DarklensError('invalid_argument', `training failed for ${failed.join(', ')} (see the messages above)`);
      return;
    }
    for (const model of models) {
      const out = models.length === 1 ? (o.out ?? `checkpoints/${model}`) : `${o.out ?? 'checkpoints'}/${model}`;
      if (models.length > 1) process.stderr.write(`== ${model} -> ${out}\n`);
      const pretrain = o.pretrain === undefined ? undefined : models.length === 1 ? o.pretrain : `${o.pretrain}/${model}`;
      const result = await trainOne(o, model, out, { optimizer, schedule, backend, pretrain });
      process.stdout.write(summary(model, result));
    }
  });
}

/** The `darklens train` arguments of one model's child process (see train-jobs.ts). */
function childArgs(o: TrainCommandOptions, model: ModelName, out: string, pretrain: string | undefined): string[] {
  const a = ['train', '--data', o.data, '--model', model, '--out', out, '--batch-size', String(o.batchSize), '--optimizer', o.optimizer, '--schedule', o.schedule];
  a.push('--weight-decay', String(o.weightDecay), '--seed', String(o.seed), '--val-fraction', String(o.valFraction), '--quiet');
  if (o.epochs !== undefined) a.push('--epochs', String(o.epochs));
  if (o.lr !== undefined) a.push('--lr', String(o.lr));
  if (o.resume === true) a.push('--resume');
  if (pretrain !== undefined) a.push('--pretrain', pretrain);
  if (o.patience !== undefined) a.push('--patience', String(o.patience));
  if (o.backend !== undefined) a.push('--backend', o.backend);
  if (o.maxImages !== undefined) a.push('--max-images', String(o.maxImages));
  if (o.adversarialWeight !== undefined) a.push('--adversarial-weight', String(o.adversarialWeight));
  return a;
}

function summary(model: ModelName, result: TrainResult): string {
  const last = result.history[result.history.length - 1];
  return (
    `${model}: backend ${result.backend}; ${result.history.length} epochs` +
    (last ? ` (last: loss ${fmt(last.loss)} val ${fmt(last.valLoss)})` : '') +
    `; best epoch ${result.bestEpoch} val loss ${fmt(result.bestValLoss)}` +
    (result.stopped === 'early-stopping' ? ' (early stopping)' : '') +
    `; checkpoint ${result.checkpointDir}\n`
  );
}

async function trainOne(
  o: TrainCommandOptions,
  model: ModelName,
  out: string,
  choice: { optimizer: OptimizerName; schedule: ScheduleName; backend: BackendName | undefined; pretrain: string | undefined },
): Promise<TrainResult> {
  const { optimizer, schedule, backend, pretrain } = choice;
  let bar: ProgressBar | undefined;
  let barEpoch = 0;
  let done = 0;
  const result = await train({
    dataPath: o.data,
    model,
    ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
    batchSize: o.batchSize,
    ...(o.lr !== undefined ? { learningRate: o.lr } : {}),
    optimizer,
    schedule,
    weightDecay: o.weightDecay,
    ...(o.adversarialWeight !== undefined ? { adversarialWeight: o.adversarialWeight } : {}),
    seed: o.seed,
    checkpointDir: out,
    validationFraction: o.valFraction,
    ...(o.resume ? { resume: true } : {}),
    ...(pretrain !== undefined ? { pretrain } : {}),
    ...(o.patience !== undefined ? { patience: o.patience } : {}),
    ...(backend !== undefined ? { backend } : {}),
    ...(o.maxImages !== undefined ? { maxImages: o.maxImages } : {}),
    signal: runSignal,
    onProgress: (e) => {
      if (o.quiet) {
        if (e.valLoss !== undefined) process.stderr.write(`${model} epoch ${e.epoch}/${e.epochs} loss ${fmt(e.loss)} val ${fmt(e.valLoss)}\n`);
        return;
      }
      if (bar === undefined || barEpoch !== e.epoch) {
        bar?.done();
        bar = new ProgressBar({ total: e.trainImages, label: `${model} epoch ${e.epoch}/${e.epochs}`, unit: 'img', stream: process.stderr });
        barEpoch = e.epoch;
        done = 0;
      }
      bar.tick(Math.max(0, e.images - done), `loss ${fmt(e.loss)}`);
      done = e.images;
      if (e.valLoss !== undefined) {
        bar.done(`loss ${fmt(e.loss)} val ${fmt(e.valLoss)}`);
        bar = undefined;
      }
    },
  });
  bar?.done();
  return result;
}
