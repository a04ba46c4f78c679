/**
 * Training data: a .npy file (or a folder of .npy / FITS files) decoded with decodeStack, re-scaled
 * per image with minMaxScale (the simulator's normalization; a no-op on simulated data), laid out
 * NHWC [N, H, W, 1] for tfjs, then shuffled with a seeded generator and split into training and
 * validation images.
 */
import { createHash } from 'node:crypto';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DarklensError, decodeStack, minMaxScale } from '@darklens/core';
import { hashSeed, Rng } from '../simulate/rng.js';

export interface ImageSet {
  /** Number of images. */
  count: number;
  /** Side of the square images in pixels. */
  size: number;
  /** count * size * size values in [0, 1], image after image ([N, H, W, 1] NHWC = [N, 1, H, W]). */
  data: Float32Array;
}

export interface LoadImagesOptions {
  /** Keep only the first N images (in file order). */
  maxImages?: number;
}

/** Extensions read from a folder; other files are ignored. */
const DATA_FILE = /\.(npy|fits|fit|fts)(\.gz)?$/i;

/** The data files of `path`: itself, or the .npy / FITS files of a folder in name order. */
export async function dataFiles(path: string): Promise<string[]> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new DarklensError('not_found', `training data ${path} does not exist`);
  }
  if (!st.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => DATA_FILE.test(n)).sort();
  if (names.length === 0) throw new DarklensError('not_found', `folder ${path} holds no .npy or FITS files`);
  return names.map((n) => join(path, n));
}

/**
 * Decodes every image of `path` (a file, or a folder of .npy/FITS files, in name order), checks
 * they are square and share one size, and min-max scales each to [0, 1]. Masked (NaN) pixels
 * become 0, the background level after scaling.
 */
export async function loadImages(path: string, opts: LoadImagesOptions = {}): Promise<ImageSet> {
  const max = opts.maxImages ?? Infinity;
  if (!(max >= 1) || (max !== Infinity && !Number.isInteger(max))) {
    throw new DarklensError('invalid_argument', `maxImages must be an integer >= 1, got ${String(opts.maxImages)}`);
  }
  const parts: Float32Array[] = [];
  let size = -1;
  let count = 0;
  for (const file of await dataFiles(path)) {
    if (count >= max) break;
    const stack = decodeStack(new Uint8Array(await readFile(file)));
    if (stack.height !== stack.width) {
      throw new DarklensError('bad_shape', `${file}: images are ${stack.height}x${stack.width}; training needs square images`);
    }
    if (size === -1) size = stack.width;
    else if (stack.width !== size) {
      throw new DarklensError('bad_shape', `${file}: images are ${stack.width}x${stack.width}, but earlier files are ${size}x${size}; all must share one size`);
    }
    const take = Math.min(stack.count, max - count);
    const px = size * size;
    parts.push(stack.data.subarray(0, take * px));
    count += take;
  }
  if (count === 0) throw new DarklensError('bad_shape', `${path} holds no images`);
  const px = size * size;
  const data = new Float32Array(count * px);
  let at = 0;
  for (const part of parts) {
    for (let off = 0; off < part.length; off += px, at += px) {
      const img = data.subarray(at, at + px);
      minMaxScale(part.subarray(off, off + px), img);
      for (let k = 0; k < px; k++) if (Number.isNaN(img[k]!)) img[k] = 0;
    }
  }
  return { count, size, data };
}

export interface Split {
  train: ImageSet;
  validation: ImageSet;
  /** Original indices of the training and validation images. */
  trainIndex: Int32Array;
  validationIndex: Int32Array;
}

/** Fisher-Yates shuffle of 0..n-1 with a seeded xoshiro128** stream. */
export function seededPermutation(n: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextU32() % (i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

function gather(set: ImageSet, index: Int32Array): ImageSet {
  const px = set.size * set.size;
  const data = new Float32Array(index.length * px);
  index.forEach((src, i) => data.set(set.data.subarray(src * px, (src + 1) * px), i * px));
  return { count: index.length, size: set.size, data };
}

/** Stream id of the split shuffle, so it never coincides with the per-epoch batch order. */
const SPLIT_STREAM = 0x5b117;

/**
 * Shuffles the images with `seed` and puts round(count * validationFraction) of them (at least 1)
 * aside for validation. Needs at least 2 images.
 */
export function splitImages(set: ImageSet, validationFraction: number, seed: number): Split {
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new DarklensError('invalid_argument', `validation fraction must be in (0, 1), got ${String(validationFraction)}`);
  }
  if (set.count < 2) throw new DarklensError('bad_shape', `training needs at least 2 images (1 for validation), got ${set.count}`);
  const nVal = Math.min(set.count - 1, Math.max(1, Math.round(set.count * validationFraction)));
  const perm = seededPermutation(set.count, hashSeed(seed, SPLIT_STREAM));
  const validationIndex = perm.slice(0, nVal);
  const trainIndex = perm.slice(nVal);
  return { train: gather(set, trainIndex), validation: gather(set, validationIndex), trainIndex, validationIndex };
}

/** Fingerprint of a data path: sha256 of its first MiB (a file) or of its listing with sizes and mtimes (a folder). */
export async function dataFingerprint(path: string): Promise<{ kind: 'sha256-first-1MiB' | 'listing'; value: string; bytes: number }> {
  const st = await stat(path);
  const h = createHash('sha256');
  if (st.isDirectory()) {
    let bytes = 0;
    for (const f of await dataFiles(path)) {
      const s = await stat(f);
      bytes += s.size;
      h.update(`${f}\t${s.size}\t${s.mtimeMs}\n`);
    }
    return { kind: 'listing', value: h.digest('hex'), bytes };
  }
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(st.size, 1 << 20));
    await fh.read(buf, 0, buf.length, 0);
    h.update(buf);
  } finally {
    await fh.close();
  }
  return { kind: 'sha256-first-1MiB', value: h.digest('hex'), bytes: st.size };
}
