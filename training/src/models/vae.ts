/**
 * The convolutional variational autoencoder (VAE) of the reference work, scaled to the input size.
 * Pure network definition plus the pieces the training loop needs; no backend import, no loss
 * weights (the KL weight beta is the objective's: train/objectives/vae.ts).
 *
 * Same convolutional encoder and mirrored decoder as the DCAE (conv.ts); between them, instead of
 * the DCAE's dense + BatchNorm bottleneck, one dense layer `vae_heads` of 2 * latent units holding
 * [mu | logVar] (log-variance of the approximate posterior q(z|x) = N(mu, exp(logVar))):
 *
 *   image [64, 64, 1] -> enc_conv1..3 -> enc_flatten [4096] -> vae_heads [2 * 182] = [mu | logVar]
 *   inference:  vae_heads_2d [2, 182, 1] -> vae_mu_crop [1, 182, 1] -> vae_mu [182]
 *               -> dec_dense [4096] -> ... -> recon [64, 64, 1]          (2,493,485 parameters at 64)
 *   training:   z = mu + exp(logVar / 2) * eps, eps ~ N(0, 1) seeded, -> the same decoder layers
 *
 * The saved model (`buildVae(...).model`) is a plain tf.LayersModel x -> reconstruction from the
 * MEAN of q(z|x): no sampling, so scores are deterministic (the reference sampled at evaluation)
 * and evaluate, reports and export treat it exactly like the DCAE. mu is taken out of the heads
 * with standard layers (reshape + cropping2D + reshape, i.e. ONNX Reshape/Slice), so the logVar
 * weights are part of the inference graph and saving `model` saves everything training needs: the
 * training parts are found again by layer name in a model loaded from a checkpoint (`vaeParts`).
 * No BatchNorm: the score of an image never depends on the rest of its batch, in any mode.
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { checkModelOptions, type NetworkOptions, convDecoder, convEncoder, DECODER_LAYERS, kernelFactory } from './conv.js';
import { applyChain, findLayer } from './layers.js';

type Tf = typeof TfNamespace;
type Sym = TfNamespace.SymbolicTensor;

export type VaeOptions = NetworkOptions;

/** The encoder's layer names, input to heads (a plain chain). */
export const VAE_ENCODER_LAYERS = ['enc_conv1', 'enc_conv2', 'enc_conv3', 'enc_flatten', 'vae_heads'] as const;

/** A VAE for training: the inference model and functions over its shared layers. */
export interface VaeParts {
  /** x -> reconstruction from mu: the network that is saved, evaluated and exported. */
  model: TfNamespace.LayersModel;
  latent: number;
  /** x [n, size, size, 1] -> mu, logVar [n, latent] (the model's own layers). */
  encode(x: TfNamespace.Tensor, training: boolean): { mu: TfNamespace.Tensor2D; logVar: TfNamespace.Tensor2D };
  /** z [n, latent] -> reconstruction [n, size, size, 1] (the model's own layers). */
  decode(z: TfNamespace.Tensor, training: boolean): TfNamespace.Tensor4D;
}

export function buildVaeModel(tf: Tf, opts: VaeOptions): TfNamespace.LayersModel {
  const latent = checkModelOptions('VAE', opts);
  const { size, seed } = opts;
  // Initializer seeds in layer order: conv1..3, vae_heads, dec_dense, deconv3..1.
  const kernel = kernelFactory(tf, seed);
  const input = tf.input({ shape: [size, size, 1], name: 'image' });
  const flat = convEncoder(tf, input, kernel);
  const heads = tf.layers.dense({ name: 'vae_heads', units: 2 * latent, kernelInitializer: kernel() }).apply(flat) as Sym;
  let mu = tf.layers.reshape({ name: 'vae_heads_2d', targetShape: [2, latent, 1] }).apply(heads) as Sym;
  mu = tf.layers.cropping2D({ name: 'vae_mu_crop', cropping: [[0, 1], [0, 0]] }).apply(mu) as Sym;
  mu = tf.layers.reshape({ name: 'vae_mu', targetShape: [latent] }).apply(mu) as Sym;
  const output = convDecoder(tf, mu, size, kernel);
  return tf.model({ inputs: input, outputs: output, name: 'vae' });
}

/** Training parts over the layers of a VAE inference model (fresh, or loaded from a checkpoint). */
export function vaeParts(tf: Tf, model: TfNamespace.LayersModel): VaeParts {
  const encoder = VAE_ENCODER_LAYERS.map((n) => findLayer(model, n, 'VAE'));
  const decoder = DECODER_LAYERS.map((n) => findLayer(model, n, 'VAE'));
  const headsUnits = encoder[encoder.length - 1]!.outputShape[1];
  if (typeof headsUnits !== 'number' || headsUnits % 2 !== 0) throw new DarklensError('invalid_argument', `model ${model.name}: vae_heads must have an even number of units`);
  const latent = headsUnits / 2;
  return {
    model,
    latent,
    encode(x, training) {
      const h = applyChain(encoder, x, training) as TfNamespace.Tensor2D;
      const n = h.shape[0];
      return { mu: tf.slice(h, [0, 0], [n, latent]), logVar: tf.slice(h, [0, latent], [n, latent]) };
    },
    decode(z, training) {
      return applyChain(decoder, z, training) as TfNamespace.Tensor4D;
    },
  };
}

/** A fresh VAE: the inference model and its training parts. */
export function buildVae(tf: Tf, opts: VaeOptions): VaeParts {
  return vaeParts(tf, buildVaeModel(tf, opts));
}
