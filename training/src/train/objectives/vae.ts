/**
 * The VAE's training objective: MSE of a reconstruction from a sampled z plus beta * KL (the
 * network and its encode/decode parts are in models/vae.ts).
 */
import type * as TfNamespace from '@tensorflow/tfjs';
import { vaeParts, type VaeParts } from '../../models/vae.js';
import { hashSeed } from '../../simulate/rng.js';
import { lossTrainer, type Trainer, type TrainerConfig, type TrainStep } from './trainer.js';

type Tf = typeof TfNamespace;

/** Stream id of the training noise eps, hashed with (seed, epoch, batch). */
export const VAE_NOISE_STREAM = 0x7ae5;

/** The seed of the training noise of one batch. */
export function vaeNoiseSeed(step: TrainStep): number {
  return hashSeed(step.seed, VAE_NOISE_STREAM, step.epoch, step.batch);
}

/**
 * The terms of the training loss of batch x (training mode, z sampled with the seeded noise of
 * `step`): mse = mean over pixels and images of (x - decode(z))^2; kl = mean over latent dims and
 * images of -0.5 (1 + logVar - mu^2 - exp(logVar)); loss = mse + beta * kl. Not tidied: call it in
 * a tidy or inside optimizer.minimize.
 */
export function vaeLossTerms(
  tf: Tf,
  parts: VaeParts,
  x: TfNamespace.Tensor4D,
  step: TrainStep,
): { mse: TfNamespace.Scalar; kl: TfNamespace.Scalar; loss: TfNamespace.Scalar } {
  const { mu, logVar } = parts.encode(x, true);
  const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', vaeNoiseSeed(step));
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps));
  const r = parts.decode(z, true);
  const mse = tf.mean<TfNamespace.Scalar>(tf.squaredDifference(x, r));
  const kl = tf.mul<TfNamespace.Scalar>(-0.5, tf.mean<TfNamespace.Scalar>(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar))));
  return { mse, kl, loss: tf.add(mse, tf.mul(parts.beta, kl)) };
}

/** The VAE's training loss: MSE + beta * KL (see vaeLossTerms). */
export function vaeTrainingLoss(tf: Tf, parts: VaeParts, x: TfNamespace.Tensor4D, step: TrainStep): TfNamespace.Scalar {
  return vaeLossTerms(tf, parts, x, step).loss;
}

export function vaeTrainer(tf: Tf, model: TfNamespace.LayersModel, cfg: TrainerConfig): Trainer {
  const parts = vaeParts(tf, model);
  return lossTrainer(tf, model, cfg, (x, s) => vaeTrainingLoss(tf, parts, x, s));
}
