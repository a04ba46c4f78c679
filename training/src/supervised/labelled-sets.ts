/**
 * The six labelled image sets of the supervised ceiling (training and test, per class), read with
 * the training loader (loadImages: .npy [N,1,H,W] or a folder of .npy/FITS, each image min-max
 * scaled to [0, 1]) and checked together: one image size for all, one the CNN takes, and enough
 * images in every class.
 */
import { DarklensError, isDarklensError } from '@darklens/core';
import { loadImages, type ImageSet } from '../train/data.js';
import { checkCeilingSize } from './cnn.js';

/** no_sub is the negative class (label 0); both substructure classes are positives (label 1). */
export const CEILING_CLASSES = ['no_sub', 'spherical', 'vortex'] as const;
export type CeilingClass = (typeof CEILING_CLASSES)[number];

export type PerClass<T> = Record<CeilingClass, T>;

export interface CeilingDataPaths {
  train: PerClass<string>;
  test: PerClass<string>;
}

export interface LabelledSets {
  train: PerClass<ImageSet>;
  test: PerClass<ImageSet>;
  /** Side of every image. */
  size: number;
}

/** A training class needs one image to learn from and one to validate on. */
export const MIN_TRAIN_PER_CLASS = 2;

/** How each set is named in messages (the CLI's option names, which users recognise). */
export function setLabel(part: 'train' | 'test', cls: CeilingClass): string {
  const flag = cls === 'no_sub' ? 'no-sub' : cls;
  return part === 'train' ? `--${flag}` : `--test-${flag}`;
}

/** Loads one set; a loader error keeps its code but says which set and file it is about. */
async function loadSet(path: string, label: string): Promise<ImageSet> {
  try {
    return await loadImages(path);
  } catch (e) {
    if (isDarklensError(e)) throw new DarklensError(e.code, `${label} ${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * Loads and checks the six sets. Throws DarklensError: not_found for a missing path, bad_shape for
 * an empty or unreadable set, a size that differs between sets, a size the CNN refuses, or a
 * training class with fewer than MIN_TRAIN_PER_CLASS images.
 */
export async function loadLabelledSets(paths: CeilingDataPaths): Promise<LabelledSets> {
  const out: { train: Partial<PerClass<ImageSet>>; test: Partial<PerClass<ImageSet>> } = { train: {}, test: {} };
  let first: { label: string; size: number } | undefined;
  for (const part of ['train', 'test'] as const) {
    for (const cls of CEILING_CLASSES) {
      const label = setLabel(part, cls);
      const set = await loadSet(paths[part][cls], label);
      if (first === undefined) {
        checkCeilingSize(set.size, `${label} ${paths[part][cls]}: images`);
        first = { label, size: set.size };
      } else if (set.size !== first.size) {
        throw new DarklensError(
          'bad_shape',
          `${label} ${paths[part][cls]}: images are ${set.size}x${set.size}, but ${first.label} images are ${first.size}x${first.size}; all six sets must share one size`,
        );
      }
      if (part === 'train' && set.count < MIN_TRAIN_PER_CLASS) {
        throw new DarklensError('bad_shape', `${label} ${paths[part][cls]}: ${set.count} image; each training class needs at least ${MIN_TRAIN_PER_CLASS} (one for validation)`);
      }
      out[part][cls] = set;
    }
  }
  return { train: out.train as PerClass<ImageSet>, test: out.test as PerClass<ImageSet>, size: first!.size };
}
