/** The models darklens can train, by name. */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { buildDcae } from './dcae.js';

type Tf = typeof TfNamespace;

export const MODEL_NAMES = ['dcae'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface BuildModelOptions {
  /** Side of the square input images in pixels. */
  size: number;
  /** Bottleneck size (model default when absent). */
  latent?: number;
  /** Seed of the weight initializers. */
  seed: number;
}

export function isModelName(v: unknown): v is ModelName {
  return typeof v === 'string' && (MODEL_NAMES as readonly string[]).includes(v);
}

export function buildModel(name: string, tf: Tf, opts: BuildModelOptions): TfNamespace.LayersModel {
  if (!isModelName(name)) {
    throw new DarklensError('invalid_argument', `unknown model ${JSON.stringify(name)}; available: ${MODEL_NAMES.join(', ')}`);
  }
  switch (name) {
    case 'dcae':
      return buildDcae(tf, opts);
  }
}
