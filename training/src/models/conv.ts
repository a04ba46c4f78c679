/**
 * The convolutional encoder and decoder shared by the DCAE and the VAE (see dcae.ts for the
 * geometry): three 7x7 convolutions (strides 3, 3, 1, TF 'same') down to [s2, s2, 64] and flatten,
 * and the mirror: dense to s2 * s2 * 64, reshape, three transposed convolutions with the encoder's
 * 'same' padding cropped back, sigmoid. Layer names are fixed (enc_conv1..3, enc_flatten, dec_dense,
 * dec_reshape, dec_deconv3, dec_deconv2, dec_crop2, dec_deconv1, dec_crop1, recon): checkpoints and
 * the VAE's training parts find the layers by these names.
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';

type Tf = typeof TfNamespace;
type Sym = TfNamespace.SymbolicTensor;
/** A kernel initializer factory: each call returns the next layer's seeded initializer. */
export type KernelFactory = () => ReturnType<Tf['initializers']['glorotUniform']>;

export const CONV_KERNEL = 7;
export const CONV_STRIDE = 3;

/** Pixel side after a TF 'same' convolution with stride s. */
const sameOut = (n: number, stride: number): number => Math.ceil(n / stride);

/** Total padding TF 'same' adds for kernel k, stride s, input n (split floor | ceil, before | after). */
function samePad(n: number, k: number, s: number): [number, number] {
  const out = sameOut(n, s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Spatial sizes of the encoder: [input, after conv1, after conv2]. */
export function convShapes(size: number): { s0: number; s1: number; s2: number } {
  const s1 = sameOut(size, CONV_STRIDE);
  return { s0: size, s1, s2: sameOut(s1, CONV_STRIDE) };
}

/** The reference's latent size (1000 units at 150 x 150) scaled with the pixel count, at least 16. */
export function defaultLatent(size: number): number {
  return Math.max(16, Math.round((1000 * size * size) / 22500));
}

/** Derives a per-layer seed (initializers accept any number; keep it a 32-bit integer). */
function layerSeed(seed: number, i: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(i + 1, 0x85ebca6b)) | 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/** Seeded glorot-uniform initializers, one distinct derived seed per call, in call order. */
export function kernelFactory(tf: Tf, seed: number): KernelFactory {
  let li = 0;
  return () => tf.initializers.glorotUniform({ seed: layerSeed(seed, li++) });
}

/** What every network is built from. */
export interface NetworkOptions {
  /** Side of the square input images in pixels (16..1024). */
  size: number;
  /** Latent units (RBM: hidden units); default round(1000 * size^2 / 22500), at least 16. */
  latent?: number;
  /** Seed of all weight initializers. */
  seed: number;
}

/** Validates size, seed and latent; returns the latent size (default when absent). */
export function checkModelOptions(label: string, opts: { size: number; seed: number; latent?: number | undefined }): number {
  const { size, seed } = opts;
  if (!Number.isInteger(size) || size < 16 || size > 1024) {
    throw new DarklensError('invalid_argument', `${label} image size must be an integer in [16, 1024], got ${String(size)}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new DarklensError('invalid_argument', `seed must be an integer in [0, 4294967295], got ${String(seed)}`);
  }
  const latent = opts.latent ?? defaultLatent(size);
  if (!Number.isInteger(latent) || latent < 1 || latent > 100_000) {
    throw new DarklensError('invalid_argument', `latent size must be an integer in [1, 100000], got ${String(latent)}`);
  }
  return latent;
}

/** image [size, size, 1] -> enc_conv1..3 -> enc_flatten [s2 * s2 * 64]. Uses 3 kernels. */
export function convEncoder(tf: Tf, input: Sym, kernel: KernelFactory): Sym {
  const k = CONV_KERNEL;
  const s = CONV_STRIDE;
  let x = tf.layers
    .conv2d({ name: 'enc_conv1', filters: 16, kernelSize: k, strides: s, padding: 'same', activation: 'relu', kernelInitializer: kernel() })
    .apply(input) as Sym;
  x = tf.layers
    .conv2d({ name: 'enc_conv2', filters: 32, kernelSize: k, strides: s, padding: 'same', activation: 'relu', kernelInitializer: kernel() })
    .apply(x) as Sym;
  x = tf.layers.conv2d({ name: 'enc_conv3', filters: 64, kernelSize: k, strides: 1, padding: 'same', kernelInitializer: kernel() }).apply(x) as Sym;
  return tf.layers.flatten({ name: 'enc_flatten' }).apply(x) as Sym;
}

/** The decoder's layer names, input to output (the decoder is a plain chain). */
export const DECODER_LAYERS = ['dec_dense', 'dec_reshape', 'dec_deconv3', 'dec_deconv2', 'dec_crop2', 'dec_deconv1', 'dec_crop1', 'recon'] as const;

/** latent vector -> dec_dense -> ... -> recon [size, size, 1] (sigmoid). Uses 4 kernels. */
export function convDecoder(tf: Tf, z: Sym, size: number, kernel: KernelFactory): Sym {
  const k = CONV_KERNEL;
  const s = CONV_STRIDE;
  const { s0, s1, s2 } = convShapes(size);
  let x = tf.layers.dense({ name: 'dec_dense', units: s2 * s2 * 64, kernelInitializer: kernel() }).apply(z) as Sym;
  x = tf.layers.reshape({ name: 'dec_reshape', targetShape: [s2, s2, 64] }).apply(x) as Sym;
  x = tf.layers
    .conv2dTranspose({ name: 'dec_deconv3', filters: 32, kernelSize: k, strides: 1, padding: 'same', activation: 'relu', kernelInitializer: kernel() })
    .apply(x) as Sym;
  x = tf.layers
    .conv2dTranspose({ name: 'dec_deconv2', filters: 16, kernelSize: k, strides: s, padding: 'valid', activation: 'relu', kernelInitializer: kernel() })
    .apply(x) as Sym;
  const p1 = samePad(s1, k, s);
  x = tf.layers.cropping2D({ name: 'dec_crop2', cropping: [p1, p1] }).apply(x) as Sym;
  x = tf.layers.conv2dTranspose({ name: 'dec_deconv1', filters: 1, kernelSize: k, strides: s, padding: 'valid', kernelInitializer: kernel() }).apply(x) as Sym;
  const p0 = samePad(s0, k, s);
  x = tf.layers.cropping2D({ name: 'dec_crop1', cropping: [p0, p0] }).apply(x) as Sym;
  return tf.layers.activation({ name: 'recon', activation: 'sigmoid' }).apply(x) as Sym;
}
