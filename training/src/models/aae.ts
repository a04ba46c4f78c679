/**
 * The adversarial autoencoder (AAE) of the reference work, scaled to the input size. Pure network
 * definitions (inference network and discriminator) and layer lookup; the adversarial training is
 * in train/objectives/aae.ts.
 *
 *   inference:      image [64, 64, 1] -> enc_conv1..3 -> enc_flatten [4096] -> aae_z [182] (linear)
 *                   -> aae_bn (BatchNorm) -> dec_dense [4096] -> ... -> recon [64, 64, 1]
 *                   (the DCAE's network, layer for layer; the code z is aae_bn's output)
 *   discriminator:  z [182] -> disc_dense1 256 LeakyReLU(0.2) -> disc_dense2 256 LeakyReLU(0.2)
 *                   -> disc_logit 1 (logit of "z was drawn from the prior N(0, I)")
 *
 * Only the inference network scores and is exported; the discriminator is a training-time network
 * saved beside it in checkpoints. The BatchNorm on the code keeps it on the prior's scale (zero
 * mean, unit variance per unit) from the first step; without it the unnormalized code drove the
 * decoder's ReLUs dead within an epoch and the network collapsed to the mean image (measured: the
 * same validation MSE, 0.0102, for adversarial weights 1e-3, 1e-5 and 0). At inference it uses its
 * moving statistics, so a score never depends on the rest of its batch.
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { checkModelOptions, type NetworkOptions, convDecoder, convEncoder, DECODER_LAYERS, kernelFactory } from './conv.js';
import { applyChain, findLayer } from './layers.js';

type Tf = typeof TfNamespace;
type Sym = TfNamespace.SymbolicTensor;

export type AaeOptions = NetworkOptions;

/** Hidden units of the discriminator's two layers (the reference's 256 -> 256 -> 1). */
export const AAE_DISCRIMINATOR_UNITS = 256;

/** The encoder's layer names, input to z (a plain chain). */
export const AAE_ENCODER_LAYERS = ['enc_conv1', 'enc_conv2', 'enc_conv3', 'enc_flatten', 'aae_z', 'aae_bn'] as const;

export function buildAaeModel(tf: Tf, opts: AaeOptions): TfNamespace.LayersModel {
  const latent = checkModelOptions('AAE', opts);
  const { size, seed } = opts;
  // Initializer seeds in layer order: conv1..3, aae_z, dec_dense, deconv3..1.
  const kernel = kernelFactory(tf, seed);
  const input = tf.input({ shape: [size, size, 1], name: 'image' });
  const flat = convEncoder(tf, input, kernel);
  let z = tf.layers.dense({ name: 'aae_z', units: latent, kernelInitializer: kernel() }).apply(flat) as Sym;
  z = tf.layers.batchNormalization({ name: 'aae_bn', momentum: 0.9, epsilon: 1e-5 }).apply(z) as Sym;
  const output = convDecoder(tf, z, size, kernel);
  return tf.model({ inputs: input, outputs: output, name: 'aae' });
}

/** The discriminator z [latent] -> logit, seeded. */
export function buildAaeDiscriminator(tf: Tf, latent: number, seed: number): TfNamespace.LayersModel {
  if (!Number.isInteger(latent) || latent < 1) throw new DarklensError('invalid_argument', `AAE latent size must be a positive integer, got ${String(latent)}`);
  // A seed stream distinct from the inference network's (same seed, different layers).
  const kernel = kernelFactory(tf, (seed ^ 0xd15c) >>> 0);
  const z = tf.input({ shape: [latent], name: 'z' });
  let h = tf.layers.dense({ name: 'disc_dense1', units: AAE_DISCRIMINATOR_UNITS, kernelInitializer: kernel() }).apply(z) as Sym;
  h = tf.layers.leakyReLU({ name: 'disc_act1', alpha: 0.2 }).apply(h) as Sym;
  h = tf.layers.dense({ name: 'disc_dense2', units: AAE_DISCRIMINATOR_UNITS, kernelInitializer: kernel() }).apply(h) as Sym;
  h = tf.layers.leakyReLU({ name: 'disc_act2', alpha: 0.2 }).apply(h) as Sym;
  const logit = tf.layers.dense({ name: 'disc_logit', units: 1, kernelInitializer: kernel() }).apply(h) as Sym;
  return tf.model({ inputs: z, outputs: logit, name: 'aae_discriminator' });
}

/** Encoder and decoder of an AAE inference model (fresh or loaded), by layer name. */
export interface AaeParts {
  model: TfNamespace.LayersModel;
  latent: number;
  encode(x: TfNamespace.Tensor, training: boolean): TfNamespace.Tensor2D;
  decode(z: TfNamespace.Tensor, training: boolean): TfNamespace.Tensor4D;
}

export function aaeParts(model: TfNamespace.LayersModel): AaeParts {
  const encoder = AAE_ENCODER_LAYERS.map((n) => findLayer(model, n, 'AAE'));
  const decoder = DECODER_LAYERS.map((n) => findLayer(model, n, 'AAE'));
  const latent = encoder[encoder.length - 1]!.outputShape[1];
  if (typeof latent !== 'number') throw new DarklensError('invalid_argument', `model ${model.name}: aae_z has no fixed size`);
  return {
    model,
    latent,
    encode: (x, training) => applyChain(encoder, x, training) as TfNamespace.Tensor2D,
    decode: (z, training) => applyChain(decoder, z, training) as TfNamespace.Tensor4D,
  };
}
