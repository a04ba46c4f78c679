/**
 * The AAE's training objective. Each batch takes two steps, each with its own optimizer (tfjs
 * Adam keys its moments by variable position, so one optimizer per variable set):
 *
 * 1. discriminator (optimizer 'discriminator', discriminator weights only): binary cross-entropy
 *    of D(z_prior) against 1 and of D(encode(x)) against 0, z_prior ~ N(0, I) seeded from
 *    (seed, epoch, batch);
 * 2. autoencoder (optimizer 'main', encoder + decoder): MSE(x, decode(encode(x))) plus
 *    lambda * BCE(D(encode(x)), 1), i.e. the encoder learns to make its codes look like prior draws.
 *
 * lambda (AAE_LAMBDA = 1e-3) weighs a cross-entropy of order 0.7 against a per-pixel MSE of order
 * 1e-3, the same balance as the VAE's beta: enough to shape the latent distribution, not enough to
 * trade away reconstruction detail, which is what the anomaly score reads. The reported training
 * loss is step 2's objective.
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { aaeParts, buildAaeDiscriminator } from '../../models/aae.js';
import { hashSeed } from '../../simulate/rng.js';
import { checkLossWeight, descend, makeOptimizer, trainableVariables, type Trainer, type TrainerConfig, type TrainStep } from './trainer.js';

type Tf = typeof TfNamespace;

export const AAE_LAMBDA = 1e-3;
/** Stream id of the prior samples, hashed with (seed, epoch, batch). */
export const AAE_PRIOR_STREAM = 0xaae0;
/** Name of the discriminator in a trainer's extras and in checkpoints. */
export const AAE_DISCRIMINATOR = 'discriminator';

export function aaePriorSeed(step: TrainStep): number {
  return hashSeed(step.seed, AAE_PRIOR_STREAM, step.epoch, step.batch);
}

/** Mean sigmoid cross-entropy of logits against a constant label. */
function bce(tf: Tf, logits: TfNamespace.Tensor, label: 0 | 1): TfNamespace.Scalar {
  const labels = label === 1 ? tf.onesLike(logits) : tf.zerosLike(logits);
  return tf.losses.sigmoidCrossEntropy<TfNamespace.Tensor, TfNamespace.Scalar>(labels, logits);
}

/**
 * @param discriminator the checkpoint's discriminator when resuming or fine-tuning; a fresh one
 *   seeded from cfg.seed otherwise.
 */
export function aaeTrainer(tf: Tf, model: TfNamespace.LayersModel, cfg: TrainerConfig, discriminator?: TfNamespace.LayersModel, lambda = AAE_LAMBDA): Trainer {
  checkLossWeight('adversarial weight', lambda);
  const parts = aaeParts(model);
  const disc = discriminator ?? buildAaeDiscriminator(tf, parts.latent, cfg.seed);
  const discIn = disc.inputs[0]?.shape[1];
  if (discIn !== parts.latent) {
    if (discriminator === undefined) disc.dispose(); // a given one stays the caller's
    throw new DarklensError('invalid_argument', `AAE discriminator takes ${String(discIn)} latent units, the model has ${parts.latent}`);
  }
  const main = makeOptimizer(tf, cfg.optimizer, cfg.learningRate);
  const discOpt = makeOptimizer(tf, cfg.optimizer, cfg.learningRate);
  const aeVars = trainableVariables(model);
  const discVars = trainableVariables(disc);
  return {
    step(x, s) {
      const n = x.shape[0];
      descend(tf, discOpt, discVars, cfg.weightDecay, () => {
        const prior = tf.randomNormal([n, parts.latent], 0, 1, 'float32', aaePriorSeed(s));
        const fake = parts.encode(x, false);
        return tf.add(bce(tf, disc.apply(prior, { training: true }) as TfNamespace.Tensor, 1), bce(tf, disc.apply(fake, { training: true }) as TfNamespace.Tensor, 0));
      });
      return descend(tf, main, aeVars, cfg.weightDecay, () => {
        const z = parts.encode(x, true);
        const mse = tf.mean<TfNamespace.Scalar>(tf.squaredDifference(x, parts.decode(z, true)));
        return tf.add(mse, tf.mul(lambda, bce(tf, disc.apply(z, { training: false }) as TfNamespace.Tensor, 1)));
      });
    },
    optimizers: { main, [AAE_DISCRIMINATOR]: discOpt },
    extras: { [AAE_DISCRIMINATOR]: disc },
    dispose() {
      main.dispose();
      discOpt.dispose();
      disc.dispose();
    },
  };
}
