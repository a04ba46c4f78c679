/**
 * The epoch loop of a set-up session (setup.ts): train an epoch (epoch.ts), measure the validation
 * loss (always the inference network's reconstruction MSE, the anomaly score) in inference mode,
 * keep the best epoch's weights, write the checkpoint with the hook's files (epoch-checkpoint.ts),
 * report progress, and stop early after `patience` epochs without a better validation loss. It
 * draws nothing: pictures come from the caller's checkpoint hook.
 */
import type * as TfNamespace from '@tensorflow/tfjs';
import { serializeModel } from './checkpoint.js';
import type { ImageSet } from './data.js';
import { runEpoch } from './epoch.js';
import { saveEpoch } from './epoch-checkpoint.js';
import { reconstructionScores } from './evaluate.js';
import type { TrainHooks, TrainResult } from './options.js';
import { progressEvents } from './progress.js';
import { nextEpoch } from './resume.js';
import type { TrainingSession } from './setup.js';

type Tf = typeof TfNamespace;

/** Mean reconstruction MSE of `set` (inference mode). */
function validationLoss(tf: Tf, model: TfNamespace.LayersModel, set: ImageSet, batchSize: number): number {
  const scores = reconstructionScores(tf, model, set, Math.max(batchSize, 64));
  let sum = 0;
  for (const s of scores) sum += s;
  return sum / scores.length;
}

/** Trains session `s` from its next epoch to its last (or early stopping). Does not dispose `s`. */
export async function runTraining(s: TrainingSession, hooks: TrainHooks = {}): Promise<TrainResult> {
  const { plan, tf, model, trainer, split, state } = s;
  const { epochs, patience, batchSize } = plan;
  const startEpoch = nextEpoch(state.history);
  const batches = Math.ceil(split.train.count / batchSize);
  const progress = progressEvents({ startEpoch, epochs, trainImages: split.train.count, batches }, hooks.now ?? Date.now);
  const { onProgress } = hooks;
  let stopped: TrainResult['stopped'] = 'completed';
  for (let epoch = startEpoch; epoch <= epochs; epoch++) {
    if (patience !== undefined && state.bestEpoch > 0 && epoch - 1 - state.bestEpoch >= patience) {
      stopped = 'early-stopping';
      break;
    }
    const loss = await runEpoch(tf, trainer, split.train, { seed: plan.seed, epoch, epochs, batchSize, schedule: plan.schedule, lr: plan.learningRate }, {
      signal: hooks.signal,
      ...(onProgress ? { onBatch: (batch: number, images: number, l: number) => onProgress(progress({ epoch, batch, images, loss: l })) } : {}),
    });
    const valLoss = validationLoss(tf, model, split.validation, batchSize);
    state.history.push({ epoch, loss, valLoss });
    const current = await serializeModel(tf, model);
    if (valLoss < state.bestValLoss || state.bestBlob === undefined) {
      state.bestValLoss = valLoss;
      state.bestEpoch = epoch;
      state.bestBlob = current;
    }
    const last = patience !== undefined && epoch - state.bestEpoch >= patience;
    await saveEpoch(s, epoch, last ? 'early-stopping' : epoch === epochs ? 'completed' : 'running', current, hooks.onCheckpoint);
    onProgress?.(progress({ epoch, batch: batches, images: split.train.count, loss, valLoss }));
    if (last) {
      stopped = 'early-stopping';
      break;
    }
  }
  return { history: state.history, bestEpoch: state.bestEpoch, bestValLoss: state.bestValLoss, backend: s.backend, checkpointDir: s.checkpointDir, stopped };
}
