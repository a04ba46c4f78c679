/**
 * One epoch of training: the training images in a seeded order (a generator seeded from (seed,
 * epoch)), in mini-batches, the learning rate set per step from the schedule, one trainer step per
 * batch.
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { hashSeed } from '../simulate/rng.js';
import { seededPermutation, type ImageSet } from './data.js';
import { setLearningRate, type Trainer } from './objectives/index.js';
import { learningRateAt, type ScheduleName } from './schedule.js';

type Tf = typeof TfNamespace;

const EPOCH_STREAM = 0xe90c;

export interface EpochPlan {
  seed: number;
  /** 1-based epoch of `epochs`. */
  epoch: number;
  epochs: number;
  batchSize: number;
  schedule: ScheduleName;
  /** Peak (one-cycle) or constant learning rate. */
  lr: number;
}

export interface EpochHooks {
  signal?: AbortSignal | undefined;
  /** After every batch but the last: batches and images done, the epoch's mean loss so far. */
  onBatch?: (batch: number, images: number, loss: number) => void;
}

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('training aborted');
}

/** Lets the event loop run (signal handlers, timers) between two synchronous training steps. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * One pass over `set`; returns the mean batch loss weighted by batch size. Yields to the event loop
 * before every batch: the steps are synchronous, and without it a Ctrl-C (whose handler aborts the
 * signal) would only be seen at the end of the epoch, minutes later.
 */
export async function runEpoch(tf: Tf, trainer: Trainer, set: ImageSet, plan: EpochPlan, hooks: EpochHooks = {}): Promise<number> {
  const { seed, epoch, epochs, batchSize } = plan;
  const px = set.size * set.size;
  const order = seededPermutation(set.count, hashSeed(seed, EPOCH_STREAM, epoch));
  const batches = Math.ceil(set.count / batchSize);
  const buf = new Float32Array(batchSize * px);
  let sum = 0;
  let seen = 0;
  for (let b = 0; b < batches; b++) {
    await yieldToEventLoop();
    checkAborted(hooks.signal);
    const lr = learningRateAt(plan.schedule, plan.lr, (epoch - 1) * batches + b, epochs * batches);
    for (const o of Object.values(trainer.optimizers)) setLearningRate(o, lr);
    const start = b * batchSize;
    const n = Math.min(batchSize, set.count - start);
    for (let i = 0; i < n; i++) {
      const src = order[start + i]!;
      buf.set(set.data.subarray(src * px, (src + 1) * px), i * px);
    }
    const x = tf.tensor4d(buf.subarray(0, n * px), [n, set.size, set.size, 1]);
    let batchLoss: number;
    try {
      batchLoss = trainer.step(x, { seed, epoch, batch: b });
    } finally {
      x.dispose();
    }
    if (!Number.isFinite(batchLoss)) {
      throw new DarklensError('diverged', `training diverged at epoch ${epoch}, batch ${b + 1}: loss ${batchLoss}; lower the learning rate (--lr)`);
    }
    sum += batchLoss * n;
    seen += n;
    if (b < batches - 1) hooks.onBatch?.(b + 1, seen, sum / seen);
  }
  return sum / seen;
}
