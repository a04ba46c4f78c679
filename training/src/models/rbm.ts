/**
 * The restricted Boltzmann machine (RBM) of the reference work: one layer of visible units (the
 * pixels) and one of binary hidden units, W [pixels, hidden], hidden bias c, visible bias b.
 * Pure network; contrastive-divergence training is in train/objectives/rbm.ts.
 *
 * Visible units are real-valued in [0, 1]: each pixel is the expected value of its unit, with mean
 * sigmoid(W h + b) given the hidden units (the usual treatment of grey-level data in an RBM with
 * logistic visible units). The score uses the deterministic mean-field reconstruction
 *
 *   recon(v) = sigmoid(W sigmoid(W^T v + c) + b)
 *
 * instead of the reference's reconstruction from a binary sample of h (a random score, which
 * gave chance-level AUC). As a tfjs network that is flatten -> dense(hidden, sigmoid) ->
 * dense(pixels, sigmoid) -> reshape, i.e. two ONNX Gemms: exportable and scored like the
 * autoencoders. The second dense layer's kernel is W^T, kept tied to the first by the trainer.
 *
 * Hidden units: the reference's 1000 for 150 x 150 pixels scaled with the pixel count, like the
 * autoencoders' latent (182 at 64 x 64, at least 16). Initial weights N(0, 0.01^2) (Hinton's
 * practical guide), biases 0.
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { checkModelOptions, type NetworkOptions } from './conv.js';
import { findLayer } from './layers.js';

type Tf = typeof TfNamespace;
type Sym = TfNamespace.SymbolicTensor;

export type RbmOptions = NetworkOptions;

export const RBM_INIT_STD = 0.01;

export function buildRbmModel(tf: Tf, opts: RbmOptions): TfNamespace.LayersModel {
  const hidden = checkModelOptions('RBM', opts);
  const { size, seed } = opts;
  const input = tf.input({ shape: [size, size, 1], name: 'image' });
  let x = tf.layers.flatten({ name: 'rbm_flatten' }).apply(input) as Sym;
  x = tf.layers
    .dense({ name: 'rbm_hidden', units: hidden, activation: 'sigmoid', kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: RBM_INIT_STD, seed }) })
    .apply(x) as Sym;
  x = tf.layers.dense({ name: 'rbm_visible', units: size * size, activation: 'sigmoid', kernelInitializer: 'zeros' }).apply(x) as Sym;
  const output = tf.layers.reshape({ name: 'recon', targetShape: [size, size, 1] }).apply(x) as Sym;
  const model = tf.model({ inputs: input, outputs: output, name: 'rbm' });
  tieRbmWeights(tf, rbmParts(model));
  return model;
}

/** The RBM's parameters as the variables of a model's layers (fresh or loaded). */
export interface RbmParts {
  model: TfNamespace.LayersModel;
  hidden: number;
  pixels: number;
  /** W [pixels, hidden]: the rbm_hidden kernel. */
  w: TfNamespace.Variable;
  /** Hidden bias c [hidden]. */
  c: TfNamespace.Variable;
  /** Visible bias b [pixels]. */
  b: TfNamespace.Variable;
  /** The rbm_visible kernel, W^T [hidden, pixels] (tied to W). */
  wT: TfNamespace.Variable;
}

export function rbmParts(model: TfNamespace.LayersModel): RbmParts {
  const hiddenLayer = findLayer(model, 'rbm_hidden', 'RBM');
  const visibleLayer = findLayer(model, 'rbm_visible', 'RBM');
  const [w, c] = hiddenLayer.weights.map((v) => v.read() as TfNamespace.Variable);
  const [wT, b] = visibleLayer.weights.map((v) => v.read() as TfNamespace.Variable);
  if (w === undefined || c === undefined || wT === undefined || b === undefined) {
    throw new DarklensError('invalid_argument', `model ${model.name} is not a darklens RBM (its layers lack kernels or biases)`);
  }
  const [pixels, hidden] = w.shape as [number, number];
  return { model, hidden, pixels, w, c, b, wT };
}

/** Sets the visible layer's kernel to W^T (after every update of W). */
export function tieRbmWeights(tf: Tf, p: RbmParts): void {
  tf.tidy(() => p.wT.assign(tf.transpose(p.w)));
}
