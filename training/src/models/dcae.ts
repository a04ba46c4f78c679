/**
 * The deep convolutional autoencoder (DCAE) of the reference work, scaled to the input size. Pure
 * network definition: no training code, no backend import (the caller passes the `tf` namespace it
 * got from selectBackend).
 *
 * Reference (150 x 150): Conv(1->16, k7, s3) ReLU, Conv(16->32, k7, s3) ReLU, Conv(32->64, k7) ->
 * Dense 5184->1000 -> BatchNorm -> Dense 1000->5184 -> mirrored transposed convs -> Tanh.
 *
 * Here, for a size x size input (64 by default), NHWC as tfjs wants:
 *
 *   input                 [64, 64, 1]
 *   conv1 k7 s3 'same'    [22, 22, 16]  ReLU      (TF 'same' pads 3 | 3 here: symmetric, exports cleanly)
 *   conv2 k7 s3 'same'    [ 8,  8, 32]  ReLU      (pads 3 | 3)
 *   conv3 k7 s1 'same'    [ 8,  8, 64]  linear    (as the reference: no activation before the dense part)
 *   flatten               [4096]
 *   dense                 [latent]      linear    latent = round(1000 * size^2 / 22500) = 182 at 64
 *   batch norm            [latent]
 *   dense                 [4096]        linear
 *   reshape               [ 8,  8, 64]
 *   deconv3 k7 s1 'same'  [ 8,  8, 32]  ReLU
 *   deconv2 k7 s3 'valid' [28, 28, 16]  ReLU, then crop 3 | 3 -> [22, 22, 16]
 *   deconv1 k7 s3 'valid' [70, 70, 1],  then crop 3 | 3 -> [64, 64, 1], sigmoid
 *
 * The decoder is the exact mirror (adjoint geometry) of the encoder: a 'valid' transposed conv
 * followed by cropping the encoder's 'same' padding is what ONNX ConvTranspose with explicit pads
 * computes, so the graph exports without asymmetric-padding tricks, and the output is exactly
 * size x size for every size.
 *
 * Latent size: the reference used 1000 units for 150 x 150 = 22500 pixels; keeping the same
 * compression ratio (units per pixel) gives 182 at 64 x 64 (at least 16).
 *
 * Output activation: sigmoid, not the reference's tanh. Inputs are min-max scaled to [0, 1]; tanh
 * ranges over (-1, 1), so half of its range is unreachable by any target and its zero point sits in
 * the middle of the sky background (0), which the network then has to learn to push against. A
 * sigmoid covers exactly (0, 1).
 *
 * BatchNormalization momentum 0.9 (PyTorch's default, 0.1 in its convention) rather than Keras's
 * 0.99, so the moving statistics used at inference follow the weights within tens of steps. At
 * inference (predict, or apply with training=false) tfjs uses the moving statistics, so a score
 * never depends on the other images of its batch (the reference's evaluation did).
 *
 * Every initializer is seeded from `seed` (a distinct derived seed per layer).
 */
import type * as TfNamespace from '@tensorflow/tfjs';
import { checkModelOptions, CONV_KERNEL, CONV_STRIDE, convDecoder, convEncoder, convShapes, defaultLatent, kernelFactory } from './conv.js';

type Tf = typeof TfNamespace;

export interface DcaeOptions {
  /** Side of the square input images in pixels (16..1024). */
  size: number;
  /** Units of the bottleneck; default round(1000 * size^2 / 22500), at least 16. */
  latent?: number;
  /** Seed of all weight initializers. */
  seed: number;
}

export const DCAE_KERNEL = CONV_KERNEL;
export const DCAE_STRIDE = CONV_STRIDE;

/** The reference's latent size scaled with the pixel count. */
export function defaultDcaeLatent(size: number): number {
  return defaultLatent(size);
}

/** Spatial sizes of the encoder: [input, after conv1, after conv2]. */
export function dcaeShapes(size: number): { s0: number; s1: number; s2: number } {
  return convShapes(size);
}

export function buildDcae(tf: Tf, opts: DcaeOptions): TfNamespace.LayersModel {
  const latent = checkModelOptions('DCAE', opts);
  const { size, seed } = opts;
  // Initializer seeds are drawn in layer order: conv1..3, enc_dense, dec_dense, deconv3..1.
  const kernel = kernelFactory(tf, seed);
  const input = tf.input({ shape: [size, size, 1], name: 'image' });
  let x = convEncoder(tf, input, kernel);
  x = tf.layers.dense({ name: 'enc_dense', units: latent, kernelInitializer: kernel() }).apply(x) as TfNamespace.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'latent_bn', momentum: 0.9, epsilon: 1e-5 }).apply(x) as TfNamespace.SymbolicTensor;
  const output = convDecoder(tf, x, size, kernel);
  return tf.model({ inputs: input, outputs: output, name: 'dcae' });
}
