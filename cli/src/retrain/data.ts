/**
 * The data of a retrain: simulated lenses of a preset, or the user's own smooth cutouts cut into
 * training, calibration and held-out parts by a seeded shuffle (the held-out part checks the
 * calibrated false-positive rate, since a user's smooth cutouts come without labelled anomalies).
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DarklensError, writeNpy } from '@darklens/core';
import { loadImages, readSimulationManifest, resolveSpec, seededPermutation, simulateToFiles, type ImageSet } from '@darklens/training';

export interface RetrainData {
  /** Smooth lenses to train on, to calibrate on, and (own data) held out from both. */
  train: string;
  calib: string;
  heldOut?: string;
  /** Arcsec per pixel of the images (own data: as the user states it or the model's). */
  pixelScale: number;
}

/** build-models' offset of the calibration seed, so a retrain of a preset reproduces its sets. */
const CALIB_SEED_OFFSET = 1_000_003;

export async function presetData(o: { preset: string; seed: number; trainImages: number; calibImages: number; dir: string; signal?: AbortSignal; onProgress?: (done: number, total: number) => void }): Promise<RetrainData> {
  const spec = resolveSpec(o.preset);
  const parts = [
    { name: 'train', count: o.trainImages, seed: o.seed },
    { name: 'calib', count: o.calibImages, seed: o.seed + CALIB_SEED_OFFSET },
  ];
  const total = o.trainImages + o.calibImages;
  let before = 0;
  for (const p of parts) {
    const m = readSimulationManifest(join(o.dir, `${p.name}.npy`));
    if (m === null || m.count !== p.count || m.seed !== p.seed || m.preset !== o.preset) {
      const offset = before;
      await simulateToFiles({ spec, klass: 'no_sub', count: p.count, seed: p.seed, outDir: o.dir, name: p.name, onProgress: (d) => o.onProgress?.(offset + d, total), ...(o.signal !== undefined ? { signal: o.signal } : {}) });
    }
    before += p.count;
    o.onProgress?.(before, total);
  }
  return { train: join(o.dir, 'train.npy'), calib: join(o.dir, 'calib.npy'), pixelScale: spec.pixelScale };
}

/** Fractions of the user's cutouts for calibration and held out; the rest trains. */
export const OWN_SPLIT = { calib: 0.1, heldOut: 0.1 } as const;
/** Fewest cutouts accepted: the held-out part must show a 1% false-positive rate (about 10 flagged). */
export const MIN_OWN_IMAGES = 1000;

async function writeSubset(set: ImageSet, index: Int32Array, from: number, to: number, path: string): Promise<void> {
  const px = set.size * set.size;
  const out = new Float32Array((to - from) * px);
  for (let i = from; i < to; i++) out.set(set.data.subarray(index[i]! * px, (index[i]! + 1) * px), (i - from) * px);
  await writeFile(`${path}.tmp`, writeNpy(out, [to - from, 1, set.size, set.size]));
  await rename(`${path}.tmp`, path);
}

export async function ownData(o: { path: string; seed: number; size?: number; pixelScale: number; dir: string }): Promise<RetrainData> {
  const paths = { train: join(o.dir, 'train.npy'), calib: join(o.dir, 'calib.npy'), heldOut: join(o.dir, 'held-out.npy') };
  const done: RetrainData = { ...paths, pixelScale: o.pixelScale };
  if (existsSync(paths.train) && existsSync(paths.calib) && existsSync(paths.heldOut)) return done;
  const set = await loadImages(o.path);
  if (o.size !== undefined && set.size !== o.size) {
    throw new DarklensError('bad_shape', `${o.path}: the cutouts are ${set.size}x${set.size} pixels, but the model takes ${o.size}x${o.size}; resample them to its grid, or retrain under a new --name`);
  }
  if (set.count < MIN_OWN_IMAGES) {
    throw new DarklensError('invalid_argument', `${o.path} holds ${set.count} cutouts; retraining on your own data needs at least ${MIN_OWN_IMAGES} (10% are held out to check the 1% false-positive rate, 10% calibrate)`);
  }
  const order = seededPermutation(set.count, o.seed);
  const nCalib = Math.round(set.count * OWN_SPLIT.calib);
  const nHeld = Math.round(set.count * OWN_SPLIT.heldOut);
  await mkdir(o.dir, { recursive: true });
  await writeSubset(set, order, 0, nHeld, paths.heldOut);
  await writeSubset(set, order, nHeld, nHeld + nCalib, paths.calib);
  // The training part last: its presence marks the split finished.
  await writeSubset(set, order, nHeld + nCalib, set.count, paths.train);
  return done;
}
