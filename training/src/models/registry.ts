/**
 * The models darklens can train, by name. Each model provides its inference network (x ->
 * reconstruction, the network that is saved, scored and exported) and its training loss: the DCAE
 * minimizes the reconstruction MSE itself, the VAE the MSE of a sampled reconstruction plus
 * beta * KL. Validation and evaluation always use the inference network's reconstruction MSE (the
 * anomaly score), whatever the model.
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { buildDcae } from './dcae.js';
import { buildVaeModel, vaeParts, vaeTrainingLoss, type TrainStep } from './vae.js';

export type { TrainStep } from './vae.js';

type Tf = typeof TfNamespace;

export const MODEL_NAMES = ['dcae', 'vae'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface BuildModelOptions {
  /** Side of the square input images in pixels. */
  size: number;
  /** Bottleneck size (model default when absent). */
  latent?: number;
  /** Seed of the weight initializers. */
  seed: number;
}

/** How one model is built and trained. P: what its loss needs besides the inference model. */
export interface ModelDefinition<P extends { model: TfNamespace.LayersModel }> {
  build(tf: Tf, opts: BuildModelOptions): TfNamespace.LayersModel;
  /** The training parts over an inference model's layers (fresh or loaded from a checkpoint). */
  parts(tf: Tf, model: TfNamespace.LayersModel): P;
  /** Scalar loss of batch x [n, size, size, 1], training mode; runs inside optimizer.minimize. */
  trainingLoss(tf: Tf, parts: P, x: TfNamespace.Tensor4D, step: TrainStep): TfNamespace.Scalar;
}

/** The reconstruction MSE of the inference network in training mode (BatchNorm on batch statistics). */
export function reconstructionLoss(tf: Tf, model: TfNamespace.LayersModel, x: TfNamespace.Tensor4D): TfNamespace.Scalar {
  const r = model.apply(x, { training: true }) as TfNamespace.Tensor;
  return tf.mean<TfNamespace.Scalar>(tf.squaredDifference(x, r));
}

const dcae: ModelDefinition<{ model: TfNamespace.LayersModel }> = {
  build: (tf, opts) => buildDcae(tf, opts),
  parts: (_tf, model) => ({ model }),
  trainingLoss: (tf, parts, x) => reconstructionLoss(tf, parts.model, x),
};

const vae: ModelDefinition<ReturnType<typeof vaeParts>> = {
  build: (tf, opts) => buildVaeModel(tf, opts),
  parts: (tf, model) => vaeParts(tf, model),
  trainingLoss: vaeTrainingLoss,
};

export function isModelName(v: unknown): v is ModelName {
  return typeof v === 'string' && (MODEL_NAMES as readonly string[]).includes(v);
}

function checkName(name: string): ModelName {
  if (!isModelName(name)) {
    throw new DarklensError('invalid_argument', `unknown model ${JSON.stringify(name)}; available: ${MODEL_NAMES.join(', ')}`);
  }
  return name;
}

/** The inference network of model `name`. */
export function buildModel(name: string, tf: Tf, opts: BuildModelOptions): TfNamespace.LayersModel {
  const n = checkName(name);
  switch (n) {
    case 'dcae':
      return dcae.build(tf, opts);
    case 'vae':
      return vae.build(tf, opts);
  }
}

/** A batch loss function. */
export type TrainingLossFn = (x: TfNamespace.Tensor4D, step: TrainStep) => TfNamespace.Scalar;

function bind<P extends { model: TfNamespace.LayersModel }>(def: ModelDefinition<P>, tf: Tf, model: TfNamespace.LayersModel): TrainingLossFn {
  const parts = def.parts(tf, model);
  return (x, step) => def.trainingLoss(tf, parts, x, step);
}

/**
 * The training loss of model `name` bound to `model` (its inference network, fresh or loaded):
 * throws invalid_argument when `model` lacks the layers that model's training needs.
 */
export function trainingLossFor(name: string, tf: Tf, model: TfNamespace.LayersModel): TrainingLossFn {
  const n = checkName(name);
  switch (n) {
    case 'dcae':
      return bind(dcae, tf, model);
    case 'vae':
      return bind(vae, tf, model);
  }
}
