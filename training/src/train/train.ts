/**
 * Training loop for the autoencoders: shuffled mini-batches in a seeded order per epoch,
 * optimizer.minimize on the model's training loss (registry.ts: the DCAE's is the reconstruction MSE,
 * the anomaly score's definition: mean over pixels of (x - recon)^2, averaged over the batch; the
 * VAE's adds beta * KL to the MSE of a sampled reconstruction), validation loss (always the
 * inference network's reconstruction MSE, the anomaly score) in inference mode after every epoch,
 * best-checkpoint selection, early stopping, resume and fine-tuning from a checkpoint.
 *
 * Reproducibility: the split, the batch order of every epoch (a generator seeded from (seed,
 * epoch)), the VAE's sampling noise (seeded from (seed, epoch, batch)) and the initial weights all
 * come from `seed`, so two runs with the same seed, data and
 * backend give the same loss history bit for bit. A resumed run restores the weights, BatchNorm
 * statistics and optimizer state (Adam's moments and step count) of the last finished epoch, so it
 * continues exactly as if it had not stopped.
 *
 * Optimization as the reference: Adam (learning rate 2e-3) with L2 weight decay 1e-5 and the
 * one-cycle learning-rate schedule over all the run's steps (schedule.ts); each model's step is its
 * own objective (objectives/). A picture of the loss curves (`loss.png`) is rewritten with every
 * checkpoint.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { simulationInput } from '../scoring/model-input.js';
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '../backend/select.js';
import { buildModel, checkModelName, type ModelName } from '../models/registry.js';
import { lossCurvePlot } from '../report/plots.js';
import { hashSeed } from '../simulate/rng.js';
import {
  deserializeModel,
  readCheckpoint,
  readExtras,
  readModelBlob,
  restoreOptimizer,
  serializeModel,
  serializeOptimizer,
  writeCheckpoint,
  type ModelBlob,
  type SavedOptimizer,
} from './checkpoint.js';
import { AAE_LAMBDA, createTrainer, setLearningRate, type OptimizerName, type Trainer } from './objectives/index.js';
import { isScheduleName, learningRateAt, SCHEDULES, type ScheduleName } from './schedule.js';
import { dataFingerprint, loadImages, seededPermutation, splitImages, type ImageSet } from './data.js';
import { reconstructionScores } from './evaluate.js';

type Tf = typeof TfNamespace;

export type { OptimizerName } from './objectives/index.js';

export interface TrainProgress {
  /** 1-based epoch. */
  epoch: number;
  epochs: number;
  /** Batches done in this epoch (1..batches). */
  batch: number;
  batches: number;
  /** Training images done in this epoch, and per epoch. */
  images: number;
  trainImages: number;
  /** Mean training loss of the epoch so far. */
  loss: number;
  /** Present once per epoch, after the last batch: the validation loss. */
  valLoss?: number;
}

export interface TrainOptions {
  dataPath: string;
  model?: ModelName;
  epochs?: number;
  batchSize?: number;
  /** The peak learning rate (one-cycle) or the constant one. */
  learningRate?: number;
  optimizer?: OptimizerName;
  schedule?: ScheduleName;
  /** L2 weight decay added to the gradients. */
  weightDecay?: number;
  /** AAE: weight of the adversarial term (default AAE_LAMBDA). */
  adversarialWeight?: number;
  seed?: number;
  checkpointDir: string;
  /** Continue the run saved in checkpointDir at its next epoch. */
  resume?: boolean;
  /** A checkpoint folder whose best weights to start from (fresh optimizer). */
  pretrain?: string;
  /** Stop after this many epochs without a better validation loss. */
  patience?: number;
  validationFraction?: number;
  backend?: BackendName;
  maxImages?: number;
  onProgress?: (e: TrainProgress) => void;
  signal?: AbortSignal;
  /** Where the backend choice is reported (default: stderr). */
  log?: (msg: string) => void;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  valLoss: number;
}

export interface TrainResult {
  history: EpochRecord[];
  bestEpoch: number;
  bestValLoss: number;
  backend: string;
  checkpointDir: string;
  /** Why the loop ended. */
  stopped: 'completed' | 'early-stopping';
}

/**
 * The default training budget per model (on the 22,500 training images of `darklens splits`): the
 * budget of the shipped v2 models, chosen by measurement (README, "Train the four models"): longer
 * training lowered every model's validation loss and raised its detection of mass-conserving
 * substructure (the sharp score); the convolutional models run ~75-110 img/s on one core here, the
 * RBM ~670, so `darklens train --model all --jobs 2` takes about 3 hours on 2 cores. The RBM's
 * contrastive-divergence updates want a larger step than the autoencoders' reconstruction gradients
 * (1e-2 against the reference's 2e-3).
 */
export const MODEL_DEFAULTS: Readonly<Record<ModelName, { epochs: number; learningRate: number }>> = {
  dcae: { epochs: 12, learningRate: 2e-3 },
  vae: { epochs: 8, learningRate: 2e-3 },
  aae: { epochs: 8, learningRate: 2e-3 },
  rbm: { epochs: 30, learningRate: 1e-2 },
};

export const TRAIN_DEFAULTS = {
  model: 'dcae' as ModelName,
  batchSize: 32,
  optimizer: 'adam' as OptimizerName,
  schedule: 'one-cycle' as ScheduleName,
  weightDecay: 1e-5,
  seed: 0,
  validationFraction: 0.1,
};

const EPOCH_STREAM = 0xe90c;

function darklensVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function intIn(name: string, v: number | undefined, lo: number, hi: number, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < lo || x > hi) throw new DarklensError('invalid_argument', `${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  return x;
}

export const LOSS_PLOT_FILE = 'loss.png';

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('training aborted');
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const modelName = checkModelName(opts.model ?? TRAIN_DEFAULTS.model);
  const epochs = intIn('epochs', opts.epochs, 1, 1_000_000, MODEL_DEFAULTS[modelName].epochs);
  const batchSize = intIn('batch size', opts.batchSize, 1, 65536, TRAIN_DEFAULTS.batchSize);
  const seed = intIn('seed', opts.seed, 0, 0xffffffff, TRAIN_DEFAULTS.seed);
  const patience = opts.patience === undefined ? undefined : intIn('patience', opts.patience, 1, 1_000_000, 1);
  const lr = opts.learningRate ?? MODEL_DEFAULTS[modelName].learningRate;
  if (!(Number.isFinite(lr) && lr > 0 && lr <= 10)) throw new DarklensError('invalid_argument', `learning rate must be in (0, 10], got ${String(opts.learningRate)}`);
  const optimizerName = opts.optimizer ?? TRAIN_DEFAULTS.optimizer;
  if (optimizerName !== 'adam' && optimizerName !== 'sgd') {
    throw new DarklensError('invalid_argument', `optimizer must be adam or sgd, got ${JSON.stringify(optimizerName)}`);
  }
  const schedule = opts.schedule ?? TRAIN_DEFAULTS.schedule;
  if (!isScheduleName(schedule)) throw new DarklensError('invalid_argument', `schedule must be one of ${SCHEDULES.join(', ')}, got ${JSON.stringify(schedule)}`);
  const weightDecay = opts.weightDecay ?? TRAIN_DEFAULTS.weightDecay;
  if (!(Number.isFinite(weightDecay) && weightDecay >= 0 && weightDecay < 1)) {
    throw new DarklensError('invalid_argument', `weight decay must be in [0, 1), got ${String(opts.weightDecay)}`);
  }
  const validationFraction = opts.validationFraction ?? TRAIN_DEFAULTS.validationFraction;
  if (opts.resume && opts.pretrain !== undefined) throw new DarklensError('invalid_argument', 'resume and pretrain exclude each other');
  checkAborted(opts.signal);

  const images = await loadImages(opts.dataPath, opts.maxImages !== undefined ? { maxImages: opts.maxImages } : {});
  const split = splitImages(images, validationFraction, seed);
  const fingerprint = await dataFingerprint(opts.dataPath);
  const saved = opts.resume ? await readCheckpoint(opts.checkpointDir) : undefined;
  const pretrainBlob = opts.pretrain !== undefined ? await readModelBlob(opts.pretrain) : undefined;

  const { name: backend, tf } = await selectBackend({ ...(opts.backend !== undefined ? { force: opts.backend } : {}), ...(opts.log ? { log: opts.log } : {}) });

  let model: TfNamespace.LayersModel | undefined;
  let trainer: Trainer | undefined;
  let history: EpochRecord[] = [];
  let bestEpoch = 0;
  let bestValLoss = Infinity;
  let bestBlob: ModelBlob | undefined;
  let optimizerNote = 'saved with the checkpoint (restored on resume)';
  try {
    let extras: Record<string, ModelBlob> = {};
    if (saved !== undefined) {
      const t = saved.training as { model?: string; epoch?: number; bestEpoch?: number; bestValLoss?: number; history?: EpochRecord[] };
      if (t.model !== modelName) throw new DarklensError('invalid_argument', `checkpoint ${opts.checkpointDir} holds model ${String(t.model)}, not ${modelName}`);
      model = await deserializeModel(tf, saved.last);
      history = t.history ?? [];
      bestEpoch = t.bestEpoch ?? 0;
      bestValLoss = t.bestValLoss ?? Infinity;
      bestBlob = saved.best;
      extras = saved.extras;
    } else if (pretrainBlob !== undefined) {
      model = await deserializeModel(tf, pretrainBlob);
      extras = await readExtras(opts.pretrain!);
    } else {
      model = buildModel(modelName, tf, { size: images.size, seed });
    }
    if (model.name !== modelName) {
      throw new DarklensError('invalid_argument', `${saved !== undefined ? opts.checkpointDir : String(opts.pretrain)} holds a ${model.name} network, not a ${modelName}`);
    }
    const inputSize = model.inputs[0]?.shape[1];
    if (inputSize !== images.size) {
      throw new DarklensError('bad_shape', `${opts.dataPath}: images are ${images.size}x${images.size}, the model takes ${String(inputSize)}x${String(inputSize)}`);
    }
    const extraModels: Record<string, TfNamespace.LayersModel> = {};
    try {
      for (const [name, blob] of Object.entries(extras)) extraModels[name] = await deserializeModel(tf, blob);
      trainer = createTrainer(modelName, tf, model, { optimizer: optimizerName, learningRate: lr, weightDecay, seed, ...(opts.adversarialWeight !== undefined ? { adversarialWeight: opts.adversarialWeight } : {}) }, extraModels);
      const used = new Set(Object.values(trainer.extras));
      for (const m of Object.values(extraModels)) if (!used.has(m)) m.dispose();
    } catch (e) {
      // The trainer owns the extras once it exists; before that they are ours to free.
      for (const m of Object.values(extraModels)) m.dispose();
      throw e;
    }
    if (saved !== undefined) {
      const notes: string[] = [];
      for (const [name, opt] of Object.entries(trainer.optimizers)) {
        const s = saved.optimizers[name];
        if (s !== undefined && s.type === optimizerName) {
          // Adam's moments are created lazily on the first step; setWeights installs them in variable order.
          await restoreOptimizer(tf, opt, s.blob);
        } else {
          notes.push(s === undefined ? `${name}: not in the checkpoint, fresh` : `${name}: checkpoint used ${s.type}, fresh ${optimizerName}`);
        }
      }
      optimizerNote = notes.length === 0 ? 'restored from the checkpoint' : `resumed with fresh optimizer state (${notes.join('; ')})`;
    }
    const startEpoch = history.length > 0 ? history[history.length - 1]!.epoch + 1 : 1;
    let stopped: TrainResult['stopped'] = 'completed';
    const trainingJson = (epoch: number, state: string): object => ({
      tool: 'darklens train',
      format: 1,
      model: modelName,
      inputSize: images.size,
      epoch,
      epochs,
      bestEpoch,
      bestValLoss,
      history,
      seed,
      backend,
      state,
      optimizerState: optimizerNote,
      options: { batchSize, learningRate: lr, optimizer: optimizerName, schedule, weightDecay, ...(modelName === 'aae' ? { adversarialWeight: opts.adversarialWeight ?? AAE_LAMBDA } : {}), patience: patience ?? null, validationFraction, maxImages: opts.maxImages ?? null },
      pretrain: opts.pretrain ?? null,
      darklensVersion: darklensVersion(),
      // The data's pixel scale and PSF travel with the checkpoint: export sizes the filtered scores by them.
      data: { path: resolve(opts.dataPath), count: images.count, train: split.train.count, validation: split.validation.count, fingerprint, input: simulationInput(opts.dataPath) },
      savedAt: new Date().toISOString(),
    });

    for (let epoch = startEpoch; epoch <= epochs; epoch++) {
      if (patience !== undefined && bestEpoch > 0 && epoch - 1 - bestEpoch >= patience) {
        stopped = 'early-stopping';
        break;
      }
      const loss = await runEpoch(tf, trainer, split.train, batchSize, { seed, epoch, epochs, schedule, lr }, opts);
      const scores = reconstructionScores(tf, model, split.validation, Math.max(batchSize, 64));
      let sum = 0;
      for (const s of scores) sum += s;
      const valLoss = sum / scores.length;
      history.push({ epoch, loss, valLoss });
      const current = await serializeModel(tf, model);
      if (valLoss < bestValLoss || bestBlob === undefined) {
        bestValLoss = valLoss;
        bestEpoch = epoch;
        bestBlob = current;
      }
      const optimizers: Record<string, SavedOptimizer> = {};
      for (const [name, opt] of Object.entries(trainer.optimizers)) optimizers[name] = { type: optimizerName, blob: await serializeOptimizer(tf, opt) };
      const extrasNow: Record<string, ModelBlob> = {};
      for (const [name, m] of Object.entries(trainer.extras)) extrasNow[name] = await serializeModel(tf, m);
      const last = patience !== undefined && epoch - bestEpoch >= patience;
      await writeCheckpoint(opts.checkpointDir, {
        best: bestBlob,
        last: current,
        optimizers,
        extras: extrasNow,
        training: trainingJson(epoch, last ? 'early-stopping' : epoch === epochs ? 'completed' : 'running'),
        files: { [LOSS_PLOT_FILE]: lossCurvePlot(history, `${modelName} loss`) },
      });
      const batches = Math.ceil(split.train.count / batchSize);
      opts.onProgress?.({ epoch, epochs, batch: batches, batches, images: split.train.count, trainImages: split.train.count, loss, valLoss });
      if (last) {
        stopped = 'early-stopping';
        break;
      }
    }
    return { history, bestEpoch, bestValLoss, backend, checkpointDir: opts.checkpointDir, stopped };
  } finally {
    trainer?.dispose();
    model?.dispose();
  }
}

interface EpochPlan {
  seed: number;
  /** 1-based epoch of `epochs`. */
  epoch: number;
  epochs: number;
  schedule: ScheduleName;
  /** Peak (one-cycle) or constant learning rate. */
  lr: number;
}

/** Lets the event loop run (signal handlers, timers) between two synchronous training steps. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * One pass over the training images in a seeded order, the learning rate set per step from the
 * schedule; returns the mean batch loss weighted by batch size. Yields to the event loop after
 * every batch: the steps are synchronous, and without it a Ctrl-C (whose handler aborts the signal)
 * would only be seen at the end of the epoch, minutes later.
 */
async function runEpoch(tf: Tf, trainer: Trainer, set: ImageSet, batchSize: number, plan: EpochPlan, opts: TrainOptions): Promise<number> {
  const { seed, epoch, epochs } = plan;
  const px = set.size * set.size;
  const order = seededPermutation(set.count, hashSeed(seed, EPOCH_STREAM, epoch));
  const batches = Math.ceil(set.count / batchSize);
  const buf = new Float32Array(batchSize * px);
  let sum = 0;
  let seen = 0;
  for (let b = 0; b < batches; b++) {
    await yieldToEventLoop();
    checkAborted(opts.signal);
    const lr = learningRateAt(plan.schedule, plan.lr, (epoch - 1) * batches + b, epochs * batches);
    for (const o of Object.values(trainer.optimizers)) setLearningRate(o, lr);
    const start = b * batchSize;
    const n = Math.min(batchSize, set.count - start);
    for (let i = 0; i < n; i++) {
      const src = order[start + i]!;
      buf.set(set.data.subarray(src * px, (src + 1) * px), i * px);
    }
    const x = tf.tensor4d(buf.subarray(0, n * px), [n, set.size, set.size, 1]);
    let batchLoss: number;
    try {
      batchLoss = trainer.step(x, { seed, epoch, batch: b });
    } finally {
      x.dispose();
    }
    if (!Number.isFinite(batchLoss)) {
      throw new DarklensError('diverged', `training diverged at epoch ${epoch}, batch ${b + 1}: loss ${batchLoss}; lower the learning rate (--lr)`);
    }
    sum += batchLoss * n;
    seen += n;
    if (b < batches - 1) opts.onProgress?.({ epoch, epochs, batch: b + 1, batches, images: seen, trainImages: set.count, loss: sum / seen });
  }
  return sum / seen;
}
