/**
 * What the training loop needs from a model: one optimization step per batch. Each model's
 * objective (reconstruction MSE, MSE + beta KL, adversarial, contrastive divergence) lives in a
 * sibling file; the networks themselves stay in models/ (pure, exportable).
 *
 * Weight decay follows the reference (PyTorch Adam's `weight_decay`): `decay * w` is added to each
 * gradient before the optimizer sees it (L2 coupled to Adam, not AdamW's decoupled form).
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';

type Tf = typeof TfNamespace;

export type OptimizerName = 'adam' | 'sgd';

/** Where the random numbers of one batch come from (all seeded: runs are reproducible). */
export interface TrainStep {
  seed: number;
  /** 1-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
}

export interface TrainerConfig {
  optimizer: OptimizerName;
  /** Learning rate at the first step (the loop changes it per step through setLearningRate). */
  learningRate: number;
  /** L2 weight decay added to the gradients (0 disables). */
  weightDecay: number;
  /** Seed of any network the objective adds (the AAE's discriminator). */
  seed: number;
  /** AAE only: weight of the adversarial term against the reconstruction MSE (default AAE_LAMBDA). */
  adversarialWeight?: number;
}

export interface Trainer {
  /** One optimization step on batch x [n, size, size, 1]; returns the batch's training objective. */
  step(x: TfNamespace.Tensor4D, s: TrainStep): number;
  /** Every optimizer, by name; 'main' updates the inference network. Saved with checkpoints. */
  optimizers: Record<string, TfNamespace.Optimizer>;
  /** Networks that training needs besides the inference model (saved with checkpoints). */
  extras: Record<string, TfNamespace.LayersModel>;
  /** Frees the optimizers and extras (not the inference model, which the caller owns). */
  dispose(): void;
}

/** Loss weights (the VAE's beta, the AAE's lambda) are finite and >= 0; invalid_argument otherwise. */
export function checkLossWeight(what: string, w: number): void {
  if (!(Number.isFinite(w) && w >= 0)) throw new DarklensError('invalid_argument', `${what} must be a finite number >= 0, got ${String(w)}`);
}

export function makeOptimizer(tf: Tf, name: OptimizerName, lr: number): TfNamespace.Optimizer {
  return name === 'adam' ? tf.train.adam(lr) : tf.train.sgd(lr);
}

/**
 * Sets the learning rate the next applyGradients uses. Adam reads its `learningRate` field at every
 * step; SGD caches it as a scalar, renewed by its setLearningRate. (No instanceof: tfjs optimizers
 * answer instanceof by duck typing, so every optimizer "is" an SGDOptimizer.)
 */
export function setLearningRate(optimizer: TfNamespace.Optimizer, lr: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** The variables behind a model's trainable weights, in a fixed order. */
export function trainableVariables(model: TfNamespace.LayersModel): TfNamespace.Variable[] {
  return model.trainableWeights.map((w) => w.read() as TfNamespace.Variable);
}

/**
 * Applies `grads` (by variable name, in `vars` order: tfjs Adam keys its moments by position) plus
 * weightDecay * w. Missing gradients are skipped. Not tidied: call inside a tidy.
 */
export function applyWithDecay(
  tf: Tf,
  optimizer: TfNamespace.Optimizer,
  vars: TfNamespace.Variable[],
  grads: Record<string, TfNamespace.Tensor | null | undefined>,
  weightDecay: number,
): void {
  const out: Record<string, TfNamespace.Tensor> = {};
  for (const v of vars) {
    const g = grads[v.name];
    if (g === null || g === undefined) continue;
    out[v.name] = weightDecay > 0 ? tf.add(g, tf.mul(v, weightDecay)) : g;
  }
  optimizer.applyGradients(out);
}

/** One gradient step on `loss` over `vars`; returns the loss value. */
export function descend(tf: Tf, optimizer: TfNamespace.Optimizer, vars: TfNamespace.Variable[], weightDecay: number, loss: () => TfNamespace.Scalar): number {
  return tf.tidy(() => {
    const { value, grads } = optimizer.computeGradients(loss, vars);
    applyWithDecay(tf, optimizer, vars, grads, weightDecay);
    return value.dataSync()[0]!;
  });
}

/** A trainer for a model trained by one loss over all its trainable weights (DCAE, VAE). */
export function lossTrainer(tf: Tf, model: TfNamespace.LayersModel, cfg: TrainerConfig, loss: (x: TfNamespace.Tensor4D, s: TrainStep) => TfNamespace.Scalar): Trainer {
  const main = makeOptimizer(tf, cfg.optimizer, cfg.learningRate);
  const vars = trainableVariables(model);
  return {
    step: (x, s) => descend(tf, main, vars, cfg.weightDecay, () => loss(x, s)),
    optimizers: { main },
    extras: {},
    dispose: () => main.dispose(),
  };
}

/** The reconstruction MSE of the inference network in training mode (BatchNorm on batch statistics). */
export function reconstructionLoss(tf: Tf, model: TfNamespace.LayersModel, x: TfNamespace.Tensor4D): TfNamespace.Scalar {
  const r = model.apply(x, { training: true }) as TfNamespace.Tensor;
  return tf.mean<TfNamespace.Scalar>(tf.squaredDifference(x, r));
}
