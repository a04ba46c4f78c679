/**
 * The models darklens can train, by name: each builds its inference network (x -> reconstruction,
 * the network that is saved, scored and exported). Their training objectives are in
 * train/objectives/. Validation and evaluation always use the inference network's reconstruction
 * MSE (the anomaly score), whatever the model.
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { buildAaeModel } from './aae.js';
import type { NetworkOptions } from './conv.js';
import { buildDcae } from './dcae.js';
import { buildRbmModel } from './rbm.js';
import { buildVaeModel } from './vae.js';

type Tf = typeof TfNamespace;

export const MODEL_NAMES = ['dcae', 'vae', 'aae', 'rbm'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export type BuildModelOptions = NetworkOptions;

export function isModelName(v: unknown): v is ModelName {
  return typeof v === 'string' && (MODEL_NAMES as readonly string[]).includes(v);
}

/** `name` as a ModelName, or invalid_argument listing the models. */
export function checkModelName(name: string): ModelName {
  if (!isModelName(name)) {
    throw new DarklensError('invalid_argument', `unknown model ${JSON.stringify(name)}; available: ${MODEL_NAMES.join(', ')}`);
  }
  return name;
}

/** The inference network of model `name`; its tfjs model name is `name` too (checked on loading). */
export function buildModel(name: string, tf: Tf, opts: BuildModelOptions): TfNamespace.LayersModel {
  switch (checkModelName(name)) {
    case 'dcae':
      return buildDcae(tf, opts);
    case 'vae':
      return buildVaeModel(tf, opts);
    case 'aae':
      return buildAaeModel(tf, opts);
    case 'rbm':
      return buildRbmModel(tf, opts);
  }
}
