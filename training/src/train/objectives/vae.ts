/**
 * The VAE's training objective: MSE of a reconstruction from a sampled z plus beta * KL. The
 * weight beta is the objective's; the network and its encode/decode parts are in models/vae.ts.
 */
import type * as TfNamespace from '@tensorflow/tfjs';
import { vaeParts, type VaeParts } from '../../models/vae.js';
import { hashSeed } from '../../simulate/rng.js';
import { checkLossWeight, lossTrainer, type Trainer, type TrainerConfig, type TrainStep } from './trainer.js';

type Tf = typeof TfNamespace;

/**
 * Default weight of the KL term: loss = MSE + beta * KL, where MSE is the mean over pixels (the
 * anomaly score) and KL is the mean over latent dimensions of KL(q(z|x) || N(0, 1)), both averaged
 * over the batch. Both terms are per-unit means, so beta does not change with the image or latent
 * size. Scale: for [0, 1] images a trained autoencoder's per-pixel MSE is ~1e-3 (sky ~0, arcs ~1),
 * while an informative latent dimension costs ~1-3 nats of KL; beta = 1e-3 makes the two terms the
 * same order at convergence. A much larger beta (the unscaled beta = 1 of a textbook ELBO with a
 * per-pixel MSE) collapses the posterior onto the prior and the reconstructions to a blurred mean
 * lens, which removes exactly the detail the anomaly score needs. (For reference, the ELBO of a
 * Gaussian decoder with variance sigma^2 corresponds to beta = 2 sigma^2 * latent / pixels: with
 * sigma ~ 0.03 and 182 / 4096, about 1e-4, so 1e-3 is a mildly regularized VAE.)
 */
export const VAE_BETA = 1e-3;

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
 * a tidy or inside optimizer.minimize. `beta` is taken as given (vaeTrainer checks it).
 */
export function vaeLossTerms(
  tf: Tf,
  parts: VaeParts,
  x: TfNamespace.Tensor4D,
  step: TrainStep,
  beta = VAE_BETA,
): { mse: TfNamespace.Scalar; kl: TfNamespace.Scalar; loss: TfNamespace.Scalar } {
  const { mu, logVar } = parts.encode(x, true);
  const eps = tf.randomNormal(mu.shape, 0, 1, 'float32', vaeNoiseSeed(step));
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps));
  const r = parts.decode(z, true);
  const mse = tf.mean<TfNamespace.Scalar>(tf.squaredDifference(x, r));
  const kl = tf.mul<TfNamespace.Scalar>(-0.5, tf.mean<TfNamespace.Scalar>(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar))));
  return { mse, kl, loss: tf.add(mse, tf.mul(beta, kl)) };
}

/** The VAE's training loss: MSE + beta * KL (see vaeLossTerms). */
export function vaeTrainingLoss(tf: Tf, parts: VaeParts, x: TfNamespace.Tensor4D, step: TrainStep, beta = VAE_BETA): TfNamespace.Scalar {
  return vaeLossTerms(tf, parts, x, step, beta).loss;
}

export function vaeTrainer(tf: Tf, model: TfNamespace.LayersModel, cfg: TrainerConfig, beta = VAE_BETA): Trainer {
  checkLossWeight('VAE beta', beta);
  const parts = vaeParts(tf, model);
  return lossTrainer(tf, model, cfg, (x, s) => vaeTrainingLoss(tf, parts, x, s, beta));
}
