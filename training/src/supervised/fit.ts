/**
 * The ceiling CNN's training loop: Adam on the class-weighted binary cross-entropy of the logit,
 * mini-batches in a seeded order per epoch, the weighted validation loss and AUC after every epoch,
 * and the weights of the best validation loss restored at the end (the ceiling should not depend on
 * the epoch the run happened to stop at). Same seed, data and backend: same history.
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { rocAuc } from '../metrics/roc.js';
import { hashSeed } from '../simulate/rng.js';
import { seededPermutation } from '../train/data.js';
import { descend, makeOptimizer, trainableVariables } from '../train/objectives/trainer.js';
import { predictLogits, weightedBce } from './predict.js';
import type { WeightedImages } from './weighted-data.js';

type Tf = typeof TfNamespace;

export interface CeilingProgress {
  /** 1-based epoch of `epochs`. */
  epoch: number;
  epochs: number;
  /** Training images done in this epoch, of trainImages. */
  images: number;
  trainImages: number;
  /** Mean weighted training loss of the epoch so far. */
  loss: number;
  /** Present once per epoch, after its last batch. */
  valLoss?: number;
  valAuc?: number;
}

export interface CeilingEpoch {
  epoch: number;
  loss: number;
  valLoss: number;
  /** Pooled ROC AUC on the validation images. */
  valAuc: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  onProgress?: (e: CeilingProgress) => void;
  signal?: AbortSignal;
}

export interface FitResult {
  history: CeilingEpoch[];
  /** The epoch whose weights the model holds on return. */
  bestEpoch: number;
}

/** Stream id of the per-epoch batch order. */
const BATCH_ORDER_STREAM = 0xba7c;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('training aborted');
}

/** Trains `logits` (the CNN up to its logit) in place; returns the history and the restored epoch. */
export async function fitCeilingCnn(tf: Tf, logits: TfNamespace.LayersModel, train: WeightedImages, validation: WeightedImages, opts: FitOptions): Promise<FitResult> {
  const { epochs, batchSize } = opts;
  const optimizer = makeOptimizer(tf, 'adam', opts.learningRate);
  const vars = trainableVariables(logits);
  const px = train.size * train.size;
  const history: CeilingEpoch[] = [];
  let best: { epoch: number; valLoss: number; weights: TfNamespace.Tensor[] } | undefined;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const order = seededPermutation(train.count, hashSeed(opts.seed, BATCH_ORDER_STREAM, epoch));
      const x = new Float32Array(batchSize * px);
      const y = new Float32Array(batchSize);
      const w = new Float32Array(batchSize);
      let sum = 0;
      let seen = 0;
      for (let start = 0; start < train.count; start += batchSize) {
        // Steps are synchronous: yield so a Ctrl-C is seen within a batch, not at the end of the run.
        await yieldToEventLoop();
        checkAborted(opts.signal);
        const n = Math.min(batchSize, train.count - start);
        for (let i = 0; i < n; i++) {
          const src = order[start + i]!;
          x.set(train.data.subarray(src * px, (src + 1) * px), i * px);
          y[i] = train.labels[src]!;
          w[i] = train.weights[src]!;
        }
        const loss = descend(tf, optimizer, vars, 0, () => {
          const xb = tf.tensor4d(x.subarray(0, n * px), [n, train.size, train.size, 1]);
          const z = logits.apply(xb, { training: true }) as TfNamespace.Tensor;
          return tf.losses.sigmoidCrossEntropy(tf.tensor2d(y.subarray(0, n), [n, 1]), z, tf.tensor2d(w.subarray(0, n), [n, 1]));
        });
        if (!Number.isFinite(loss)) {
          throw new DarklensError('diverged', `supervised ceiling training diverged at epoch ${epoch}: loss ${loss}; lower the learning rate`);
        }
        sum += loss * n;
        seen += n;
        if (seen < train.count) opts.onProgress?.({ epoch, epochs, images: seen, trainImages: train.count, loss: sum / seen });
      }
      const z = predictLogits(tf, logits, validation, Math.max(batchSize, 64));
      const record: CeilingEpoch = { epoch, loss: sum / seen, valLoss: weightedBce(z, validation.labels, validation.weights), valAuc: rocAuc(z, validation.labels) };
      history.push(record);
      if (best === undefined || record.valLoss < best.valLoss) {
        for (const t of best?.weights ?? []) t.dispose();
        best = { epoch, valLoss: record.valLoss, weights: logits.getWeights().map((t) => t.clone()) };
      }
      opts.onProgress?.({ epoch, epochs, images: seen, trainImages: train.count, loss: record.loss, valLoss: record.valLoss, valAuc: record.valAuc });
    }
    logits.setWeights(best!.weights);
    return { history, bestEpoch: best!.epoch };
  } finally {
    for (const t of best?.weights ?? []) t.dispose();
    optimizer.dispose();
  }
}
