/** Batched inference of the ceiling CNN's logits, and the weighted BCE computed from them. */
import type * as TfNamespace from '@tensorflow/tfjs';
import type { ImageSet } from '../train/data.js';

type Tf = typeof TfNamespace;

/** One logit per image (inference mode), `batchSize` images per forward pass. */
export function predictLogits(tf: Tf, logits: TfNamespace.LayersModel, set: ImageSet, batchSize: number): Float64Array {
  const px = set.size * set.size;
  const out = new Float64Array(set.count);
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    const values = tf.tidy(() => {
      const x = tf.tensor4d(set.data.subarray(start * px, (start + n) * px), [n, set.size, set.size, 1]);
      return (logits.predict(x) as TfNamespace.Tensor).dataSync();
    });
    for (let i = 0; i < n; i++) out[start + i] = values[i]!;
  }
  return out;
}

/**
 * Mean over images of weight * BCE(label, sigmoid(logit)), in the stable form
 * max(z, 0) - z y + log(1 + exp(-|z|)): the quantity training minimizes (tf.losses.sigmoidCrossEntropy).
 */
export function weightedBce(logits: ArrayLike<number>, labels: ArrayLike<number>, weights: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i]!;
    sum += weights[i]! * (Math.max(z, 0) - z * labels[i]! + Math.log1p(Math.exp(-Math.abs(z))));
  }
  return sum / logits.length;
}
