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
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';

type Tf = typeof TfNamespace;

export interface DcaeOptions {
  /** Side of the square input images in pixels (16..1024). */
  size: number;
  /** Units of the bottleneck; default round(1000 * size^2 / 22500), at least 16. */
  latent?: number;
  /** Seed of all weight initializers. */
  seed: number;
}

/** Pixel side after a TF 'same' convolution with stride 3. */
const sameOut = (n: number, stride: number): number => Math.ceil(n / stride);

/** Total padding TF 'same' adds for kernel k, stride s, input n (split floor | ceil, before | after). */
function samePad(n: number, k: number, s: number): [number, number] {
  const out = sameOut(n, s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

export const DCAE_KERNEL = 7;
export const DCAE_STRIDE = 3;

/** The reference's latent size scaled with the pixel count. */
export function defaultDcaeLatent(size: number): number {
  return Math.max(16, Math.round((1000 * size * size) / 22500));
}

/** Spatial sizes of the encoder: [input, after conv1, after conv2]. */
export function dcaeShapes(size: number): { s0: number; s1: number; s2: number } {
  const s1 = sameOut(size, DCAE_STRIDE);
  return { s0: size, s1, s2: sameOut(s1, DCAE_STRIDE) };
}

/** Derives a per-layer seed (initializers accept any number; keep it a 32-bit integer). */
function layerSeed(seed: number, i: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(i + 1, 0x85ebca6b)) | 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

export function buildDcae(tf: Tf, opts: DcaeOptions): TfNamespace.LayersModel {
  const { size, seed } = opts;
  if (!Number.isInteger(size) || size < 16 || size > 1024) {
    throw new DarklensError('invalid_argument', `DCAE image size must be an integer in [16, 1024], got ${String(size)}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new DarklensError('invalid_argument', `seed must be an integer in [0, 4294967295], got ${String(seed)}`);
  }
  const latent = opts.latent ?? defaultDcaeLatent(size);
  if (!Number.isInteger(latent) || latent < 1 || latent > 100_000) {
    throw new DarklensError('invalid_argument', `latent size must be an integer in [1, 100000], got ${String(latent)}`);
  }
  const k = DCAE_KERNEL;
  const s = DCAE_STRIDE;
  const { s0, s1, s2 } = dcaeShapes(size);
  let li = 0;
  const kernel = (): ReturnType<Tf['initializers']['glorotUniform']> => tf.initializers.glorotUniform({ seed: layerSeed(seed, li++) });

  const input = tf.input({ shape: [s0, s0, 1], name: 'image' });
  let x = tf.layers
    .conv2d({ name: 'enc_conv1', filters: 16, kernelSize: k, strides: s, padding: 'same', activation: 'relu', kernelInitializer: kernel() })
    .apply(input) as TfNamespace.SymbolicTensor;
  x = tf.layers
    .conv2d({ name: 'enc_conv2', filters: 32, kernelSize: k, strides: s, padding: 'same', activation: 'relu', kernelInitializer: kernel() })
    .apply(x) as TfNamespace.SymbolicTensor;
  x = tf.layers
    .conv2d({ name: 'enc_conv3', filters: 64, kernelSize: k, strides: 1, padding: 'same', kernelInitializer: kernel() })
    .apply(x) as TfNamespace.SymbolicTensor;
  x = tf.layers.flatten({ name: 'enc_flatten' }).apply(x) as TfNamespace.SymbolicTensor;
  x = tf.layers.dense({ name: 'enc_dense', units: latent, kernelInitializer: kernel() }).apply(x) as TfNamespace.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'latent_bn', momentum: 0.9, epsilon: 1e-5 }).apply(x) as TfNamespace.SymbolicTensor;
  x = tf.layers.dense({ name: 'dec_dense', units: s2 * s2 * 64, kernelInitializer: kernel() }).apply(x) as TfNamespace.SymbolicTensor;
  x = tf.layers.reshape({ name: 'dec_reshape', targetShape: [s2, s2, 64] }).apply(x) as TfNamespace.SymbolicTensor;
  x = tf.layers
    .conv2dTranspose({ name: 'dec_deconv3', filters: 32, kernelSize: k, strides: 1, padding: 'same', activation: 'relu', kernelInitializer: kernel() })
    .apply(x) as TfNamespace.SymbolicTensor;
  x = tf.layers
    .conv2dTranspose({ name: 'dec_deconv2', filters: 16, kernelSize: k, strides: s, padding: 'valid', activation: 'relu', kernelInitializer: kernel() })
    .apply(x) as TfNamespace.SymbolicTensor;
  const p1 = samePad(s1, k, s);
  x = tf.layers.cropping2D({ name: 'dec_crop2', cropping: [p1, p1] }).apply(x) as TfNamespace.SymbolicTensor;
  x = tf.layers
    .conv2dTranspose({ name: 'dec_deconv1', filters: 1, kernelSize: k, strides: s, padding: 'valid', kernelInitializer: kernel() })
    .apply(x) as TfNamespace.SymbolicTensor;
  const p0 = samePad(s0, k, s);
  x = tf.layers.cropping2D({ name: 'dec_crop1', cropping: [p0, p0] }).apply(x) as TfNamespace.SymbolicTensor;
  const output = tf.layers.activation({ name: 'recon', activation: 'sigmoid' }).apply(x) as TfNamespace.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'dcae' });
}
