/**
 * Scoring with a trained checkpoint: the anomaly score of an image is the mean over its pixels of
 * (x - reconstruction)^2, the same definition as the training loss (whose batch value is the mean
 * of these scores). The model runs in inference mode, so BatchNorm uses its moving statistics and a
 * score never depends on the other images of its batch.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DarklensError, writeNpy } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '../backend/select.js';
import { loadModelFrom } from './checkpoint.js';
import { loadImages, type ImageSet } from './data.js';
import { onnxScores } from '../export/onnx-scores.js';
import { existsSync } from 'node:fs';

type Tf = typeof TfNamespace;

/**
 * Per-image MSE of `model` on `set`, in batches of `batchSize`, inference mode. With `recon`, the
 * reconstructions are copied there (count * size * size values).
 */
export function reconstructionScores(
  tf: Tf,
  model: TfNamespace.LayersModel,
  set: ImageSet,
  batchSize: number,
  recon?: Float32Array,
): Float32Array {
  const px = set.size * set.size;
  const scores = new Float32Array(set.count);
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    tf.tidy(() => {
      const x = tf.tensor4d(set.data.subarray(start * px, (start + n) * px), [n, set.size, set.size, 1]);
      const r = model.apply(x, { training: false }) as TfNamespace.Tensor;
      scores.set(tf.mean(tf.squaredDifference(x, r), [1, 2, 3]).dataSync(), start);
      if (recon !== undefined) recon.set(r.dataSync(), start * px);
    });
  }
  return scores;
}

export interface EvaluateOptions {
  /** A .npy/FITS file or a folder of them (scaled per image to [0, 1] like the training data). */
  dataPath: string;
  /** A checkpoint folder written by train (its best model is used), or an exported .onnx file. */
  checkpointDir: string;
  /** Write the reconstructions here as .npy [N, 1, H, W] float32. */
  outPath?: string;
  /** Images per forward pass (default 64); does not change the scores. */
  batchSize?: number;
  backend?: BackendName;
  maxImages?: number;
  /** Where the backend choice is reported (default: stderr). */
  log?: (msg: string) => void;
}

export interface EvaluateResult {
  /** Per-image MSE, in file order. */
  scores: Float32Array;
  count: number;
  /** Mean of the scores. */
  mean: number;
  backend: string;
}

/** Writes the reconstructions (when asked) and sums up the scores. */
async function finish(opts: EvaluateOptions, set: ImageSet, scores: Float32Array, recon: Float32Array | undefined, backend: string): Promise<EvaluateResult> {
  if (recon !== undefined && opts.outPath !== undefined) {
    await mkdir(dirname(opts.outPath), { recursive: true });
    await writeFile(opts.outPath, writeNpy(recon, [set.count, 1, set.size, set.size]));
  }
  let sum = 0;
  for (const s of scores) sum += s;
  return { scores, count: set.count, mean: sum / set.count, backend };
}

/** evaluate() on an exported .onnx file, with onnxruntime-node. */
async function evaluateOnnx(opts: EvaluateOptions, batchSize: number): Promise<EvaluateResult> {
  if (!existsSync(opts.checkpointDir)) throw new DarklensError('not_found', `${opts.checkpointDir} not found`);
  const set = await loadImages(opts.dataPath, opts.maxImages !== undefined ? { maxImages: opts.maxImages } : {});
  const recon = opts.outPath !== undefined ? new Float32Array(set.data.length) : undefined;
  const scores = await onnxScores(opts.checkpointDir, set, batchSize, recon);
  return finish(opts, set, scores, recon, 'onnxruntime-node');
}

/**
 * Per-image scores of `dataPath` with a checkpoint folder (its best tfjs model) or an exported
 * `.onnx` file (onnxruntime-node).
 */
export async function evaluate(opts: EvaluateOptions): Promise<EvaluateResult> {
  const batchSize = opts.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 65536) {
    throw new DarklensError('invalid_argument', `batch size must be an integer in [1, 65536], got ${String(opts.batchSize)}`);
  }
  if (opts.checkpointDir.toLowerCase().endsWith('.onnx')) return evaluateOnnx(opts, batchSize);
  const { name, tf } = await selectBackend({ ...(opts.backend !== undefined ? { force: opts.backend } : {}), ...(opts.log ? { log: opts.log } : {}) });
  const model = await loadModelFrom(tf, opts.checkpointDir);
  try {
    const size = model.inputs[0]?.shape[1];
    const set = await loadImages(opts.dataPath, opts.maxImages !== undefined ? { maxImages: opts.maxImages } : {});
    if (set.size !== size) {
      throw new DarklensError('bad_shape', `${opts.dataPath}: images are ${set.size}x${set.size}, the model takes ${String(size)}x${String(size)}`);
    }
    const recon = opts.outPath !== undefined ? new Float32Array(set.data.length) : undefined;
    const scores = reconstructionScores(tf, model, set, batchSize, recon);
    return await finish(opts, set, scores, recon, name);
  } finally {
    model.dispose();
  }
}
