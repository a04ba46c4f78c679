import { Command } from 'commander';
import { DarklensError } from '@darklens/core';
import { BACKEND_ORDER, MODEL_NAMES, train, TRAIN_DEFAULTS, type BackendName, type ModelName, type OptimizerName } from '@darklens/training';
import { ProgressBar } from '../progress.js';
import { int, num } from '../options.js';
import { runSignal } from '../context.js';

interface TrainCommandOptions {
  data: string;
  model: string;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: string;
  seed: number;
  out?: string;
  resume?: boolean;
  pretrain?: string;
  patience?: number;
  backend?: string;
  valFraction: number;
  maxImages?: number;
  quiet?: boolean;
}

function oneOf<T extends string>(name: string, accepted: readonly T[], v: string | undefined): T | undefined {
  if (v === undefined) return undefined;
  if (!(accepted as readonly string[]).includes(v)) {
    throw new DarklensError('invalid_argument', `unknown ${name} '${v}'; accepted: ${accepted.join(', ')}`);
  }
  return v as T;
}

const fmt = (x: number): string => x.toPrecision(4);

export function trainCommand(): Command {
  const cmd = new Command('train')
    .description('train an autoencoder on smooth lenses (.npy [N,1,H,W] or a folder of .npy/FITS), keeping the best checkpoint by validation loss')
    .requiredOption('-d, --data <path>', '.npy file or folder of .npy/FITS files (each image min-max scaled to [0,1])')
    .option('-m, --model <name>', `model: ${MODEL_NAMES.join(', ')}`, TRAIN_DEFAULTS.model)
    .option('-e, --epochs <n>', 'number of epochs (the total, also when resuming)', int('epochs', 1, 1_000_000), TRAIN_DEFAULTS.epochs)
    .option('-b, --batch-size <n>', 'images per batch', int('batch size', 1, 65536), TRAIN_DEFAULTS.batchSize)
    .option('--lr <rate>', 'learning rate', num('learning rate'), TRAIN_DEFAULTS.learningRate)
    .option('--optimizer <name>', 'adam or sgd', TRAIN_DEFAULTS.optimizer)
    .option('-s, --seed <n>', 'seed of the weights, split and batch order (same seed, data and backend give the same history)', int('seed', 0, 0xffffffff), TRAIN_DEFAULTS.seed)
    .option('-o, --out <dir>', 'checkpoint folder (default: checkpoints/<model>)')
    .option('--resume', 'continue the run saved in --out at its next epoch (weights and optimizer state)')
    .option('--pretrain <dir>', 'start from the best weights of this checkpoint folder (new optimizer)')
    .option('--patience <n>', 'stop after this many epochs without a better validation loss', int('patience', 1, 1_000_000))
    .option('--backend <name>', `TensorFlow.js backend: ${BACKEND_ORDER.join(', ')} (default: the first that works)`)
    .option('--val-fraction <f>', 'fraction of the images kept for validation', num('validation fraction'), TRAIN_DEFAULTS.validationFraction)
    .option('--max-images <n>', 'use only the first N images', int('max images', 2, 100_000_000))
    .option('-q, --quiet', 'no progress bars');
  cmd.addHelpText('after', '\nExample:\n  darklens train --data data/train/no_sub.npy --epochs 30 --patience 5 --out checkpoints/dcae\n');
  return cmd.action(async (o: TrainCommandOptions) => {
    const model = oneOf<ModelName>('model', MODEL_NAMES, o.model)!;
    const optimizer = oneOf<OptimizerName>('optimizer', ['adam', 'sgd'], o.optimizer)!;
    const backend = oneOf<BackendName>('backend', BACKEND_ORDER, o.backend);
    let bar: ProgressBar | undefined;
    let barEpoch = 0;
    let done = 0;
    const result = await train({
      dataPath: o.data,
      model,
      epochs: o.epochs,
      batchSize: o.batchSize,
      learningRate: o.lr,
      optimizer,
      seed: o.seed,
      checkpointDir: o.out ?? `checkpoints/${o.model}`,
      validationFraction: o.valFraction,
      ...(o.resume ? { resume: true } : {}),
      ...(o.pretrain !== undefined ? { pretrain: o.pretrain } : {}),
      ...(o.patience !== undefined ? { patience: o.patience } : {}),
      ...(backend !== undefined ? { backend } : {}),
      ...(o.maxImages !== undefined ? { maxImages: o.maxImages } : {}),
      signal: runSignal,
      onProgress: (e) => {
        if (o.quiet) {
          if (e.valLoss !== undefined) process.stderr.write(`epoch ${e.epoch}/${e.epochs} loss ${fmt(e.loss)} val ${fmt(e.valLoss)}\n`);
          return;
        }
        if (bar === undefined || barEpoch !== e.epoch) {
          bar?.done();
          bar = new ProgressBar({ total: e.trainImages, label: `epoch ${e.epoch}/${e.epochs}`, unit: 'img', stream: process.stderr });
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
    const last = result.history[result.history.length - 1];
    process.stdout.write(
      `backend ${result.backend}; ${result.history.length} epochs` +
        (last ? ` (last: loss ${fmt(last.loss)} val ${fmt(last.valLoss)})` : '') +
        `; best epoch ${result.bestEpoch} val loss ${fmt(result.bestValLoss)}` +
        (result.stopped === 'early-stopping' ? ' (early stopping)' : '') +
        `; checkpoint ${result.checkpointDir}\n`,
    );
  });
}
