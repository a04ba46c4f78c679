import { Command } from 'commander';
import { DarklensError } from '@darklens/core';
import { train, type ModelName, type TrainResult } from '@darklens/training';
import { ProgressBar } from '../progress.js';
import { runSignal } from '../context.js';
import { runModelJobs } from './train-jobs.js';
import { addTrainFlags, childArgs, modelTargets, trainOptionsFor, type ModelTarget, type TrainFlagValues } from './train-options.js';

const fmt = (x: number): string => x.toPrecision(4);

export function trainCommand(): Command {
  const cmd = new Command('train').description(
    'train anomaly models on smooth lenses (.npy [N,1,H,W] or a folder of .npy/FITS), keeping the best checkpoint by validation loss (the score: reconstruction MSE)',
  );
  addTrainFlags(cmd);
  cmd.addHelpText(
    'after',
    '\nEach checkpoint folder holds the best and last weights, training.json and loss.png (loss curves).\n\nExamples:\n  darklens train --data data/model-a/no_sub_train.npy --model all\n  darklens train --data data/train/no_sub.npy --model vae --epochs 30 --patience 5 --out checkpoints/vae\n',
  );
  return cmd.action(async (o: TrainFlagValues) => {
    const targets = modelTargets(o);
    if (o.jobs > 1 && targets.length > 1) {
      const codes = await runModelJobs(
        targets.map((t) => ({ model: t.model, args: childArgs(o, t) })),
        o.jobs,
      );
      if (runSignal.aborted) throw runSignal.reason instanceof Error ? runSignal.reason : new Error('stopped');
      const failed = targets.filter((_, k) => codes[k] !== 0).map((t) => t.model);
      if (failed.length > 0) throw new DarklensError('invalid_argument', `training failed for ${failed.join(', ')} (see the messages above)`);
      return;
    }
    for (const t of targets) {
      if (targets.length > 1) process.stderr.write(`== ${t.model} -> ${t.out}\n`);
      const result = await trainOne(o, t);
      process.stdout.write(summary(t.model, result));
    }
  });
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

async function trainOne(o: TrainFlagValues, t: ModelTarget): Promise<TrainResult> {
  const { model } = t;
  let bar: ProgressBar | undefined;
  let barEpoch = 0;
  let done = 0;
  const result = await train({
    ...trainOptionsFor(o, t),
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
