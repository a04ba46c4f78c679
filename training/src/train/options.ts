/**
 * What `train()` takes and gives back, the default budgets, and the validation of the options into
 * a TrainPlan (every number checked and defaulted) before anything is read or built.
 */
import { DarklensError } from '@darklens/core';
import type { BackendName } from '../backend/select.js';
import { checkModelName, type ModelName } from '../models/registry.js';
import type { OptimizerName } from './objectives/index.js';
import { isScheduleName, SCHEDULES, type ScheduleName } from './schedule.js';

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
  /** Present once per epoch, after the last batch, once the epoch's checkpoint is on disk: the validation loss. */
  valLoss?: number;
  /** Fraction of the whole run's training images done (a resumed run starts where it stopped). */
  fraction: number;
  /** Time spent by this call so far (ms), and the estimated time to the last epoch at this call's pace (ms); early stopping may end sooner. */
  elapsedMs: number;
  etaMs: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  valLoss: number;
}

/** The state a checkpoint is written in (training.json `state`). */
export type CheckpointState = 'running' | 'completed' | 'early-stopping';

/** What a checkpoint hook is told, once per epoch. */
export interface CheckpointInfo {
  model: ModelName;
  checkpointDir: string;
  epoch: number;
  epochs: number;
  /** Every finished epoch so far, this one included. */
  history: readonly EpochRecord[];
  bestEpoch: number;
  bestValLoss: number;
  state: CheckpointState;
}

/** Extra files for the checkpoint folder, by name (e.g. `loss.png`). */
export type CheckpointFiles = Record<string, Uint8Array>;

/**
 * Called once per epoch while its checkpoint is written: the files it returns are saved with the
 * checkpoint in the same atomic swap (so a checkpoint and its pictures never disagree). The
 * epoch's last progress event (with valLoss) follows once the checkpoint is on disk.
 */
export type CheckpointHook = (c: CheckpointInfo) => CheckpointFiles | undefined | Promise<CheckpointFiles | undefined>;

/** What an orchestrator hears from the training loop, and how it stops it. */
export interface TrainHooks {
  onProgress?: (e: TrainProgress) => void;
  /** train() defaults it to drawing the loss curves (lossCurveHook, `loss.png`). */
  onCheckpoint?: CheckpointHook;
  signal?: AbortSignal;
  /** Clock of the progress times in ms (default Date.now); for tests. */
  now?: () => number;
}

export interface TrainOptions extends TrainHooks {
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
  /**
   * true: continue the run saved in checkpointDir at its next epoch. 'auto': do that when
   * checkpointDir holds a run, else start one (from `pretrain` if given): what an orchestrator
   * that may have been interrupted wants. A finished run resumed returns its result unchanged.
   */
  resume?: boolean | 'auto';
  /** A checkpoint folder whose best weights to start from (fresh optimizer). */
  pretrain?: string;
  /**
   * The data's pixel scale (arcsec) and PSF FWHM when it has no simulation manifest beside it (a user's
   * own cutouts): recorded in training.json, where export sizes the filtered scores by them.
   */
  dataInput?: { pixelScale?: number; psfFwhm?: number };
  /** Stop after this many epochs without a better validation loss. */
  patience?: number;
  validationFraction?: number;
  backend?: BackendName;
  maxImages?: number;
  /** Where the backend choice is reported (default: stderr). */
  log?: (msg: string) => void;
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

/** The options of one run, checked and with every default filled in. */
export interface TrainPlan {
  model: ModelName;
  epochs: number;
  batchSize: number;
  seed: number;
  patience: number | undefined;
  learningRate: number;
  optimizer: OptimizerName;
  schedule: ScheduleName;
  weightDecay: number;
  validationFraction: number;
  /** As given (the objective has the default). */
  adversarialWeight: number | undefined;
  maxImages: number | undefined;
}

function intIn(name: string, v: number | undefined, lo: number, hi: number, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < lo || x > hi) throw new DarklensError('invalid_argument', `${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  return x;
}

/** Checks the options and fills in the defaults; invalid_argument names the first bad one. */
export function planTraining(opts: TrainOptions): TrainPlan {
  const model = checkModelName(opts.model ?? TRAIN_DEFAULTS.model);
  const epochs = intIn('epochs', opts.epochs, 1, 1_000_000, MODEL_DEFAULTS[model].epochs);
  const batchSize = intIn('batch size', opts.batchSize, 1, 65536, TRAIN_DEFAULTS.batchSize);
  const seed = intIn('seed', opts.seed, 0, 0xffffffff, TRAIN_DEFAULTS.seed);
  const patience = opts.patience === undefined ? undefined : intIn('patience', opts.patience, 1, 1_000_000, 1);
  const learningRate = opts.learningRate ?? MODEL_DEFAULTS[model].learningRate;
  if (!(Number.isFinite(learningRate) && learningRate > 0 && learningRate <= 10)) {
    throw new DarklensError('invalid_argument', `learning rate must be in (0, 10], got ${String(opts.learningRate)}`);
  }
  const optimizer = opts.optimizer ?? TRAIN_DEFAULTS.optimizer;
  if (optimizer !== 'adam' && optimizer !== 'sgd') throw new DarklensError('invalid_argument', `optimizer must be adam or sgd, got ${JSON.stringify(optimizer)}`);
  const schedule = opts.schedule ?? TRAIN_DEFAULTS.schedule;
  if (!isScheduleName(schedule)) throw new DarklensError('invalid_argument', `schedule must be one of ${SCHEDULES.join(', ')}, got ${JSON.stringify(schedule)}`);
  const weightDecay = opts.weightDecay ?? TRAIN_DEFAULTS.weightDecay;
  if (!(Number.isFinite(weightDecay) && weightDecay >= 0 && weightDecay < 1)) {
    throw new DarklensError('invalid_argument', `weight decay must be in [0, 1), got ${String(opts.weightDecay)}`);
  }
  const validationFraction = opts.validationFraction ?? TRAIN_DEFAULTS.validationFraction;
  if (opts.resume === true && opts.pretrain !== undefined) throw new DarklensError('invalid_argument', 'resume and pretrain exclude each other');
  return { model, epochs, batchSize, seed, patience, learningRate, optimizer, schedule, weightDecay, validationFraction, adversarialWeight: opts.adversarialWeight, maxImages: opts.maxImages };
}
