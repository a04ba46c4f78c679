/**
 * Training of the autoencoders: `train(opts)` = setup (setup.ts: check the options, load and split
 * the data, build or restore the network, its objective and optimizers) + the epoch loop (loop.ts:
 * seeded mini-batches, validation, best checkpoint, early stopping, progress) + a checkpoint hook,
 * by default the loss curves (`loss.png`, report/loss-curve-hook.ts). An orchestrator may call the
 * pieces itself: `setupTraining(opts)`, then `runTraining(session, hooks)`, then `session.dispose()`.
 *
 * Each model's step is its own objective (objectives/): the DCAE's is the reconstruction MSE, the
 * anomaly score's definition (mean over pixels of (x - recon)^2, averaged over the batch); the VAE's
 * adds beta * KL to the MSE of a sampled reconstruction; the AAE's an adversarial term; the RBM's is
 * contrastive divergence. Validation is always the inference network's reconstruction MSE.
 *
 * Reproducibility: the split, the batch order of every epoch (a generator seeded from (seed,
 * epoch)), the objectives' sampling noise (seeded from (seed, epoch, batch)) and the initial weights
 * all come from `seed`, so two runs with the same seed, data and backend give the same loss history
 * bit for bit. A resumed run restores the weights, BatchNorm statistics and optimizer state (Adam's
 * moments and step count) of the last finished epoch, so it continues exactly as if it had not
 * stopped.
 *
 * Optimization as the reference: Adam (learning rate 2e-3) with L2 weight decay 1e-5 and the
 * one-cycle learning-rate schedule over all the run's steps (schedule.ts).
 */
import { lossCurveHook } from '../report/loss-curve-hook.js';
import { runTraining } from './loop.js';
import type { TrainOptions, TrainResult } from './options.js';
import { setupTraining } from './setup.js';

export type { OptimizerName } from './objectives/index.js';
export * from './options.js';
export { runTraining } from './loop.js';
export { setupTraining, type TrainingSession } from './setup.js';
export type { RunState } from './resume.js';

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const session = await setupTraining(opts);
  try {
    return await runTraining(session, { ...opts, onCheckpoint: opts.onCheckpoint ?? lossCurveHook });
  } finally {
    session.dispose();
  }
}
