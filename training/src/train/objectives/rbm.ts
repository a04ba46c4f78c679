/**
 * RBM training by contrastive divergence (CD-k, k = 1 by default). For a batch v0 [n, pixels]:
 *
 *   h0 = sigmoid(v0 W + c)                         hidden probabilities (positive phase)
 *   h  ~ Bernoulli(h0)                             seeded from (seed, epoch, batch, step)
 *   repeat k times: vk = sigmoid(h W^T + b)        mean-field visible (real-valued units)
 *                   hk = sigmoid(vk W + c);  h ~ Bernoulli(hk) if another step follows
 *
 * and the log-likelihood gradient estimates dW = (v0^T h0 - vk^T hk) / n, dc = mean(h0 - hk),
 * db = mean(v0 - vk). The optimizer (Adam by default) minimizes, so it receives their negatives
 * (plus weight decay on W, c and b); then W^T is copied into the visible layer (rbm.ts ties them).
 * The reported loss is the CD reconstruction error mean((v0 - vk)^2), the usual monitor; the
 * validation loss is, as for every model, the score: the mean-field reconstruction's MSE.
 */
import type * as TfNamespace from '@tensorflow/tfjs';
import { rbmParts, tieRbmWeights } from '../../models/rbm.js';
import { hashSeed } from '../../simulate/rng.js';
import { applyWithDecay, makeOptimizer, type Trainer, type TrainerConfig, type TrainStep } from './trainer.js';

type Tf = typeof TfNamespace;

/** Default Gibbs steps of contrastive divergence. */
export const RBM_CD_STEPS = 1;
/** Stream id of the hidden-unit samples, hashed with (seed, epoch, batch, Gibbs step). */
export const RBM_SAMPLE_STREAM = 0x4b3d;

export function rbmSampleSeed(s: TrainStep, gibbs: number): number {
  return hashSeed(s.seed, RBM_SAMPLE_STREAM, s.epoch, s.batch * 64 + gibbs);
}

export function rbmTrainer(tf: Tf, model: TfNamespace.LayersModel, cfg: TrainerConfig, cdSteps = RBM_CD_STEPS): Trainer {
  if (!Number.isInteger(cdSteps) || cdSteps < 1 || cdSteps > 64) throw new RangeError(`CD steps must be an integer in [1, 64], got ${String(cdSteps)}`);
  const p = rbmParts(model);
  const main = makeOptimizer(tf, cfg.optimizer, cfg.learningRate);
  const vars = [p.w, p.c, p.b];
  type T = TfNamespace.Tensor;
  const sample = (prob: T, seed: number): T => tf.cast(tf.less(tf.randomUniform(prob.shape, 0, 1, 'float32', seed), prob), 'float32');
  return {
    step(x, s) {
      const loss = tf.tidy(() => {
        const n = x.shape[0];
        const v0: T = tf.reshape(x, [n, p.pixels]);
        const h0: T = tf.sigmoid(tf.add(tf.matMul(v0 as TfNamespace.Tensor2D, p.w), p.c));
        let h = sample(h0, rbmSampleSeed(s, 0));
        let vk: T = v0;
        let hk: T = h0;
        for (let g = 1; g <= cdSteps; g++) {
          vk = tf.sigmoid(tf.add(tf.matMul(h as TfNamespace.Tensor2D, p.wT), p.b));
          hk = tf.sigmoid(tf.add(tf.matMul(vk as TfNamespace.Tensor2D, p.w), p.c));
          if (g < cdSteps) h = sample(hk, rbmSampleSeed(s, g));
        }
        const inv = -1 / n;
        const gW = tf.mul(tf.sub(tf.matMul(v0 as TfNamespace.Tensor2D, h0 as TfNamespace.Tensor2D, true, false), tf.matMul(vk as TfNamespace.Tensor2D, hk as TfNamespace.Tensor2D, true, false)), inv);
        const gc = tf.mul(tf.sum(tf.sub(h0, hk), 0), inv);
        const gb = tf.mul(tf.sum(tf.sub(v0, vk), 0), inv);
        applyWithDecay(tf, main, vars, { [p.w.name]: gW, [p.c.name]: gc, [p.b.name]: gb }, cfg.weightDecay);
        return tf.mean(tf.squaredDifference(v0, vk)).dataSync()[0]!;
      });
      tieRbmWeights(tf, p);
      return loss;
    },
    optimizers: { main },
    extras: {},
    dispose: () => main.dispose(),
  };
}
