/**
 * The supervised ceiling's classifier: a small CNN that says "substructure or not" from labelled
 * simulations. It exists only to put an upper reference in reports; it is never exported nor served.
 *
 *   input                  [size, size, 1]   (NHWC, as every darklens network)
 *   3 x (conv 3x3 'same' ReLU, max-pool 2)   16, 32, 64 filters -> [size/8, size/8, 64]
 *   global average pool    [64]
 *   dense                  [1]  'logit'
 *   sigmoid                [1]  'probability'
 *
 * Three 2x2 pools need a side divisible by 8; the global pool makes the rest size-independent.
 * Training and scoring use the logit (see logitModel): its BCE is numerically stable and, unlike a
 * float32 probability, it does not saturate into ties at 0 or 1, which would blur the ROC.
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { kernelFactory } from '../models/conv.js';

type Tf = typeof TfNamespace;

export const CEILING_FILTERS = [16, 32, 64] as const;
/** Product of the pool strides: the side must be a multiple of it. */
export const CEILING_SIDE_STEP = 2 ** CEILING_FILTERS.length;
export const CEILING_MAX_SIDE = 1024;
export const CEILING_MODEL_NAME = 'ceiling_cnn';
export const CEILING_LOGIT_LAYER = 'logit';

/** Checks that the CNN takes size x size images; `what` names the data in the message. */
export function checkCeilingSize(size: number, what = 'images'): number {
  if (!Number.isInteger(size) || size < CEILING_SIDE_STEP || size > CEILING_MAX_SIDE || size % CEILING_SIDE_STEP !== 0) {
    throw new DarklensError(
      'bad_shape',
      `${what} are ${String(size)}x${String(size)}; the supervised ceiling's CNN takes square images whose side is a multiple of ` +
        `${CEILING_SIDE_STEP} from ${CEILING_SIDE_STEP} to ${CEILING_MAX_SIDE} (three 2x2 max-pools)`,
    );
  }
  return size;
}

export interface CeilingCnnOptions {
  /** Side of the square input images (a multiple of 8). */
  size: number;
  /** Seed of every weight initializer. */
  seed: number;
}

/** The classifier, outputting P(substructure); its weights start from seeded initializers. */
export function buildCeilingCnn(tf: Tf, opts: CeilingCnnOptions): TfNamespace.LayersModel {
  const size = checkCeilingSize(opts.size);
  if (!Number.isInteger(opts.seed) || opts.seed < 0 || opts.seed > 0xffffffff) {
    throw new DarklensError('invalid_argument', `seed must be an integer in [0, 4294967295], got ${String(opts.seed)}`);
  }
  const kernel = kernelFactory(tf, opts.seed);
  const input = tf.input({ shape: [size, size, 1], name: 'image' });
  let x: TfNamespace.SymbolicTensor = input;
  CEILING_FILTERS.forEach((filters, i) => {
    x = tf.layers.conv2d({ name: `conv${i + 1}`, filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: kernel() }).apply(x) as TfNamespace.SymbolicTensor;
    x = tf.layers.maxPooling2d({ name: `pool${i + 1}`, poolSize: 2, strides: 2 }).apply(x) as TfNamespace.SymbolicTensor;
  });
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as TfNamespace.SymbolicTensor;
  const logit = tf.layers.dense({ name: CEILING_LOGIT_LAYER, units: 1, kernelInitializer: kernel() }).apply(x) as TfNamespace.SymbolicTensor;
  const probability = tf.layers.activation({ name: 'probability', activation: 'sigmoid' }).apply(logit) as TfNamespace.SymbolicTensor;
  return tf.model({ name: CEILING_MODEL_NAME, inputs: input, outputs: probability });
}

/** The same network up to its logit layer (shared weights: training one trains the other). */
export function logitModel(tf: Tf, model: TfNamespace.LayersModel): TfNamespace.LayersModel {
  return tf.model({ name: `${model.name}_logit`, inputs: model.inputs, outputs: model.getLayer(CEILING_LOGIT_LAYER).output });
}
