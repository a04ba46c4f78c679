/**
 * Labelled, weighted image arrays for the supervised ceiling: the three classes stacked into one
 * set with a 0/1 label and a loss weight per image.
 *
 * Balance: the two substructure classes together weigh as much as no_sub, and each weighs as much
 * as the other (no_sub 1/2 of the total weight, spherical 1/4, vortex 1/4), however many images
 * each has. Simulated sets are usually far richer in no_sub (the unsupervised models train on it);
 * unweighted, the classifier would chase the majority and understate the ceiling. Weights are scaled
 * to a mean of 1, so the loss stays on the usual BCE scale.
 */
import { hashSeed } from '../simulate/rng.js';
import { splitImages, type ImageSet } from '../train/data.js';
import { CEILING_CLASSES, type CeilingClass, type PerClass } from './labelled-sets.js';

export interface WeightedImages extends ImageSet {
  /** 1 for spherical or vortex, 0 for no_sub, per image. */
  labels: Float32Array;
  /** Loss weight per image (mean 1). */
  weights: Float32Array;
  /** Images per class. */
  counts: PerClass<number>;
}

/** Share of the total loss weight per class. */
export const CLASS_WEIGHT_SHARE: Readonly<PerClass<number>> = { no_sub: 0.5, spherical: 0.25, vortex: 0.25 };

/** Stream id of the per-class train/validation split, so it never coincides with other seeded draws. */
const CLASS_SPLIT_STREAM = 0xce11;

/** Per-image weight of each class for these counts (mean 1 over all images). A class without images gets 0. */
export function classWeights(counts: PerClass<number>): PerClass<number> {
  const total = CEILING_CLASSES.reduce((s, c) => s + counts[c], 0);
  const present = CEILING_CLASSES.filter((c) => counts[c] > 0);
  const share = present.reduce((s, c) => s + CLASS_WEIGHT_SHARE[c], 0);
  const w = (c: CeilingClass): number => (counts[c] > 0 ? (total * CLASS_WEIGHT_SHARE[c]) / share / counts[c] : 0);
  return { no_sub: w('no_sub'), spherical: w('spherical'), vortex: w('vortex') };
}

/** Stacks the classes (in CEILING_CLASSES order) with labels and balanced weights. */
export function stackClasses(sets: PerClass<ImageSet>): WeightedImages {
  const size = sets.no_sub.size;
  const px = size * size;
  const counts: PerClass<number> = { no_sub: sets.no_sub.count, spherical: sets.spherical.count, vortex: sets.vortex.count };
  const count = counts.no_sub + counts.spherical + counts.vortex;
  const cw = classWeights(counts);
  const data = new Float32Array(count * px);
  const labels = new Float32Array(count);
  const weights = new Float32Array(count);
  let at = 0;
  for (const c of CEILING_CLASSES) {
    data.set(sets[c].data.subarray(0, counts[c] * px), at * px);
    labels.fill(c === 'no_sub' ? 0 : 1, at, at + counts[c]);
    weights.fill(cw[c], at, at + counts[c]);
    at += counts[c];
  }
  return { count, size, data, labels, weights, counts };
}

/**
 * Splits every class with its own seeded shuffle (so each class keeps the validation fraction)
 * and stacks the parts: the training and the validation set.
 */
export function splitLabelled(sets: PerClass<ImageSet>, validationFraction: number, seed: number): { train: WeightedImages; validation: WeightedImages } {
  const train: Partial<PerClass<ImageSet>> = {};
  const validation: Partial<PerClass<ImageSet>> = {};
  CEILING_CLASSES.forEach((c, k) => {
    const s = splitImages(sets[c], validationFraction, hashSeed(seed, CLASS_SPLIT_STREAM, k));
    train[c] = s.train;
    validation[c] = s.validation;
  });
  return { train: stackClasses(train as PerClass<ImageSet>), validation: stackClasses(validation as PerClass<ImageSet>) };
}
