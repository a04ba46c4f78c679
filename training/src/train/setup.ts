/**
 * Everything before the first epoch: check the options, load and split the data, choose the
 * backend, and build the network or restore it (resume: weights, history, best checkpoint,
 * training-only networks and optimizer state; pretrain: weights and training-only networks), with
 * its trainer. The result is a TrainingSession for the epoch loop (loop.ts); its owner disposes it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { selectBackend } from '../backend/select.js';
import { buildModel } from '../models/registry.js';
import { deserializeModel, readCheckpoint, readExtras, readModelBlob, TRAINING_FILE, type ModelBlob, type SavedState } from './checkpoint.js';
import { dataFingerprint, loadImages, splitImages, type Split } from './data.js';
import { checkAborted } from './epoch.js';
import { createTrainer, type Trainer } from './objectives/index.js';
import { planTraining, type TrainOptions, type TrainPlan } from './options.js';
import { freshRunState, restoreOptimizers, savedRunState, type RunState } from './resume.js';
import { simulationInput } from '../scoring/model-input.js';

type Tf = typeof TfNamespace;

export interface TrainingSession {
  readonly plan: TrainPlan;
  readonly dataPath: string;
  /** The data's pixel scale and PSF as given (TrainOptions.dataInput), else its simulation manifest's. */
  readonly dataInput: { pixelScale?: number; psfFwhm?: number };
  readonly checkpointDir: string;
  /** The checkpoint the run started from, if any (kept in training.json). */
  readonly pretrain: string | undefined;
  readonly tf: Tf;
  readonly backend: string;
  /** Images read, and their side in pixels. */
  readonly images: { count: number; size: number };
  readonly split: Split;
  readonly fingerprint: Awaited<ReturnType<typeof dataFingerprint>>;
  /** The inference network (saved, scored, exported). */
  readonly model: TfNamespace.LayersModel;
  readonly trainer: Trainer;
  /** What training.json says of the optimizer state. */
  readonly optimizerNote: string;
  /** Whether this run continues a saved one. */
  readonly resumed: boolean;
  readonly state: RunState;
  /** Frees the network and the trainer (its optimizers and training-only networks). */
  dispose(): void;
}

/** Whether `opts` continue the run in their checkpoint folder (resume: 'auto' looks for one). */
function resumes(opts: TrainOptions): boolean {
  return opts.resume === 'auto' ? existsSync(join(opts.checkpointDir, TRAINING_FILE)) : opts.resume === true;
}

export async function setupTraining(opts: TrainOptions): Promise<TrainingSession> {
  const plan = planTraining(opts);
  checkAborted(opts.signal);
  const images = await loadImages(opts.dataPath, plan.maxImages !== undefined ? { maxImages: plan.maxImages } : {});
  const split = splitImages(images, plan.validationFraction, plan.seed);
  const fingerprint = await dataFingerprint(opts.dataPath);
  const resumed = resumes(opts);
  const saved = resumed ? await readCheckpoint(opts.checkpointDir) : undefined;
  const pretrain = resumed ? undefined : opts.pretrain;
  // Read before the backend starts, so a bad folder fails fast.
  const pretrained = pretrain !== undefined ? { dir: pretrain, blob: await readModelBlob(pretrain) } : undefined;
  const { name: backend, tf } = await selectBackend({ ...(opts.backend !== undefined ? { force: opts.backend } : {}), ...(opts.log ? { log: opts.log } : {}) });

  const { model, state, extras } = await openNetwork(tf, plan, opts, saved, pretrained, images.size);
  let trainer: Trainer | undefined;
  try {
    trainer = await trainerWith(tf, plan, model, extras);
    const optimizerNote = saved !== undefined ? await restoreOptimizers(tf, trainer, saved, plan.optimizer) : 'saved with the checkpoint (restored on resume)';
    const owned = trainer;
    return {
      plan,
      dataPath: opts.dataPath,
      dataInput: opts.dataInput ?? simulationInput(opts.dataPath),
      checkpointDir: opts.checkpointDir,
      pretrain: opts.pretrain,
      tf,
      backend,
      images: { count: images.count, size: images.size },
      split,
      fingerprint,
      model,
      trainer: owned,
      optimizerNote,
      resumed,
      state,
      dispose() {
        owned.dispose();
        model.dispose();
      },
    };
  } catch (e) {
    trainer?.dispose();
    model.dispose();
    throw e;
  }
}

/**
 * The inference network to train: the checkpoint's last weights (resume), the pretrained best ones,
 * or a fresh seeded one; checked to be `plan.model` for images of side `size`. Also the run so far
 * and the saved training-only networks.
 */
async function openNetwork(
  tf: Tf,
  plan: TrainPlan,
  opts: TrainOptions,
  saved: SavedState | undefined,
  pretrained: { dir: string; blob: ModelBlob } | undefined,
  size: number,
): Promise<{ model: TfNamespace.LayersModel; state: RunState; extras: Record<string, ModelBlob> }> {
  const state = saved !== undefined ? savedRunState(saved, plan.model, opts.checkpointDir) : freshRunState();
  const model =
    saved !== undefined ? await deserializeModel(tf, saved.last) : pretrained !== undefined ? await deserializeModel(tf, pretrained.blob) : buildModel(plan.model, tf, { size, seed: plan.seed });
  try {
    if (model.name !== plan.model) {
      throw new DarklensError('invalid_argument', `${saved !== undefined ? opts.checkpointDir : String(pretrained?.dir)} holds a ${model.name} network, not a ${plan.model}`);
    }
    const inputSize = model.inputs[0]?.shape[1];
    if (inputSize !== size) {
      throw new DarklensError('bad_shape', `${opts.dataPath}: images are ${size}x${size}, the model takes ${String(inputSize)}x${String(inputSize)}`);
    }
    const extras = saved !== undefined ? saved.extras : pretrained !== undefined ? await readExtras(pretrained.dir) : {};
    return { model, state, extras };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** The model's trainer over the saved training-only networks `extras` (the AAE's discriminator). */
async function trainerWith(tf: Tf, plan: TrainPlan, model: TfNamespace.LayersModel, extras: Record<string, ModelBlob>): Promise<Trainer> {
  const extraModels: Record<string, TfNamespace.LayersModel> = {};
  try {
    for (const [name, blob] of Object.entries(extras)) extraModels[name] = await deserializeModel(tf, blob);
    const cfg = {
      optimizer: plan.optimizer,
      learningRate: plan.learningRate,
      weightDecay: plan.weightDecay,
      seed: plan.seed,
      ...(plan.adversarialWeight !== undefined ? { adversarialWeight: plan.adversarialWeight } : {}),
    };
    const trainer = createTrainer(plan.model, tf, model, cfg, extraModels);
    const used = new Set(Object.values(trainer.extras));
    for (const m of Object.values(extraModels)) if (!used.has(m)) m.dispose();
    return trainer;
  } catch (e) {
    // The trainer owns the extras once it exists; before that they are ours to free.
    for (const m of Object.values(extraModels)) m.dispose();
    throw e;
  }
}
