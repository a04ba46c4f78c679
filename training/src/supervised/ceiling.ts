/**
 * The supervised ceiling: train the small CNN (cnn.ts) on LABELLED simulations, then measure it on
 * labelled test sets with the evaluation report's metrics. It answers "how well could any detector
 * separate these classes at this survey's resolution and noise?", an upper reference for the
 * unsupervised models' numbers, which never see a label. Reports only: nothing is saved, exported
 * to ONNX or served.
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '../backend/select.js';
import type { ImageSet } from '../train/data.js';
import { buildCeilingCnn, CEILING_FILTERS, CEILING_MODEL_NAME, logitModel } from './cnn.js';
import { fitCeilingCnn, type CeilingEpoch, type CeilingProgress } from './fit.js';
import { loadLabelledSets, type CeilingClass, type CeilingDataPaths, type PerClass } from './labelled-sets.js';
import { ceilingMetrics, type CeilingMetrics } from './metrics.js';
import { predictLogits } from './predict.js';
import { classWeights, splitLabelled } from './weighted-data.js';

export const CEILING_DEFAULTS = {
  epochs: 5,
  batchSize: 32,
  learningRate: 1e-3,
  seed: 0,
  validationFraction: 0.1,
};

/** What every ceiling report says about itself. */
export const CEILING_NOTE =
  'Supervised upper reference: a small CNN trained WITH the labels (no_sub against spherical + vortex) that the unsupervised models never see. ' +
  'It shows the best a detector could do on these simulations at this resolution and noise; it is not a darklens model and is never exported nor served.';

export interface CeilingOptions {
  data: CeilingDataPaths;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Share of each training class kept aside to pick the best epoch. */
  validationFraction?: number;
  backend?: BackendName;
  onProgress?: (e: CeilingProgress) => void;
  signal?: AbortSignal;
  /** Where the backend choice is reported (default: stderr). */
  log?: (msg: string) => void;
}

export interface CeilingReport {
  tool: 'darklens ceiling';
  format: 1;
  note: string;
  model: { name: string; filters: number[]; inputSize: number; parameters: number };
  /** What the metrics rank: the classifier's logit, log(p / (1 - p)) of P(substructure). */
  score: 'logit';
  metrics: CeilingMetrics;
  counts: { train: PerClass<number>; validation: PerClass<number>; test: PerClass<number> };
  /** Per-image loss weight of each class in the training set (balanced; mean 1). */
  classWeights: PerClass<number>;
  epochs: number;
  /** The epoch of the lowest validation loss, whose weights were measured. */
  bestEpoch: number;
  history: CeilingEpoch[];
  seed: number;
  backend: string;
  options: { batchSize: number; learningRate: number; validationFraction: number; optimizer: 'adam'; loss: 'class-weighted binary cross-entropy' };
  data: CeilingDataPaths;
  createdAt: string;
}

function intIn(name: string, v: number | undefined, lo: number, hi: number, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < lo || x > hi) throw new DarklensError('invalid_argument', `${name} must be an integer in [${lo}, ${hi}], got ${String(x)}`);
  return x;
}

/** Trains the ceiling CNN and measures it; throws DarklensError on bad options or data (see loadLabelledSets). */
export async function supervisedCeiling(opts: CeilingOptions): Promise<CeilingReport> {
  const epochs = intIn('epochs', opts.epochs, 1, 100_000, CEILING_DEFAULTS.epochs);
  const batchSize = intIn('batch size', opts.batchSize, 1, 65536, CEILING_DEFAULTS.batchSize);
  const seed = intIn('seed', opts.seed, 0, 0xffffffff, CEILING_DEFAULTS.seed);
  const learningRate = opts.learningRate ?? CEILING_DEFAULTS.learningRate;
  if (!(Number.isFinite(learningRate) && learningRate > 0 && learningRate <= 1)) {
    throw new DarklensError('invalid_argument', `learning rate must be in (0, 1], got ${String(learningRate)}`);
  }
  const validationFraction = opts.validationFraction ?? CEILING_DEFAULTS.validationFraction;
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new DarklensError('invalid_argument', `validation fraction must be in (0, 1), got ${String(validationFraction)}`);
  }
  const sets = await loadLabelledSets(opts.data);
  const { train, validation } = splitLabelled(sets.train, validationFraction, seed);
  const { name: backend, tf } = await selectBackend({ ...(opts.backend !== undefined ? { force: opts.backend } : {}), ...(opts.log ? { log: opts.log } : {}) });

  const model = buildCeilingCnn(tf, { size: sets.size, seed });
  try {
    const logits = logitModel(tf, model);
    const fit = await fitCeilingCnn(tf, logits, train, validation, {
      epochs,
      batchSize,
      learningRate,
      seed,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const scores = testScores(tf, logits, sets.test, Math.max(batchSize, 64));
    return {
      tool: 'darklens ceiling',
      format: 1,
      note: CEILING_NOTE,
      model: { name: CEILING_MODEL_NAME, filters: [...CEILING_FILTERS], inputSize: sets.size, parameters: model.countParams() },
      score: 'logit',
      metrics: ceilingMetrics(scores),
      counts: { train: train.counts, validation: validation.counts, test: perClass((c) => sets.test[c].count) },
      classWeights: classWeights(train.counts),
      epochs,
      bestEpoch: fit.bestEpoch,
      history: fit.history,
      seed,
      backend,
      options: { batchSize, learningRate, validationFraction, optimizer: 'adam', loss: 'class-weighted binary cross-entropy' },
      data: opts.data,
      createdAt: new Date().toISOString(),
    };
  } finally {
    // The logit model shares the layers: disposing the full model frees every weight.
    model.dispose();
  }
}

function perClass<T>(f: (c: CeilingClass) => T): PerClass<T> {
  return { no_sub: f('no_sub'), spherical: f('spherical'), vortex: f('vortex') };
}

function testScores(tf: typeof TfNamespace, logits: TfNamespace.LayersModel, test: PerClass<ImageSet>, batchSize: number): PerClass<Float64Array> {
  return perClass((c) => predictLogits(tf, logits, test[c], batchSize));
}
