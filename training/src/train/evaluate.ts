/**
 * Scoring data with a trained model. A checkpoint is scored through its exported ONNX file (exported
 * first when it has none or its weights are newer), with core's one scoring path on the Node server's
 * onnxruntime engine: the scores `evaluate` and `calibrate` report are the service's scores for the
 * same images. `reconstructionScores` is the tfjs path training validates with (the MSE, the training loss).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DarklensError, writeNpy, type ModelGrid } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import type { BackendName } from '../backend/select.js';
import { checkpointOnnx, exportCheckpoint } from '../export/export-checkpoint.js';
import { checkpointInput, gridOf } from '../scoring/model-input.js';
import { calibrationBeside, flagRates, type FlagRate } from '../scoring/flag-rates.js';
import { openOnnx } from '../scoring/onnx-file.js';
import { scoreData } from '../scoring/score-data.js';
import { MODEL_FILE, TRAINING_FILE, WEIGHTS_FILE } from './checkpoint.js';
import type { ImageSet } from './data.js';

type Tf = typeof TfNamespace;

/**
 * Per-image MSE of `model` on `set`, in batches of `batchSize`, inference mode (the validation loss
 * of training). With `recon`, the reconstructions are copied there (count * size * size values).
 */
export function reconstructionScores(tf: Tf, model: TfNamespace.LayersModel, set: ImageSet, batchSize: number, recon?: Float32Array): Float32Array {
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
  /** A .npy/FITS file or a folder of them. */
  dataPath: string;
  /** A checkpoint folder written by train (scored through its model.onnx), or an exported .onnx file. */
  checkpointDir: string;
  /** Write the reconstructions here as .npy [N, 1, H, W] float32. */
  outPath?: string;
  /** Images per runtime call (default 64); does not change the scores. */
  batchSize?: number;
  /** TensorFlow.js backend that loads a checkpoint to export it. */
  backend?: BackendName;
  maxImages?: number;
  /** Arcsec per pixel of the model's grid (default: the training data's, else the images' own). */
  pixelScale?: number;
  /** Scores to compute (default: every score of the model's graph). */
  scores?: string[];
  /** Where the export is reported (default: stderr). */
  log?: (msg: string) => void;
  onProgress?: (done: number, total: number) => void;
  /** A checkpoint is scored through its float16 export (model.fp16.onnx). */
  fp16?: boolean;
}

export interface EvaluateResult {
  /** Per score, per image in file order; `scoreNames` lists them ('mse' first). */
  scores: Record<string, Float32Array>;
  scoreNames: string[];
  count: number;
  /** Mean of each score. */
  means: Record<string, number>;
  /** The scoring engine, e.g. "onnxruntime-node 1.30.0 ...". */
  backend: string;
  /** The ONNX file scored and its sha256. */
  onnx: { path: string; sha256: string };
  grid: ModelGrid;
  /** The inputs as the model saw them and the reconstructions, when outPath was given. */
  inputs?: Float32Array;
  reconstructions?: Float32Array;
  /**
   * With a calibration.json beside the model computed with this ONNX file: per score, how many of the
   * images its FPR thresholds flag (on smooth lenses, the observed false-positive rate).
   */
  flagged?: Record<string, FlagRate[]>;
}

function mtime(path: string): number {
  return statSync(path).mtimeMs;
}

/**
 * The ONNX file of a checkpoint folder, exported (beside the weights) when missing or older than the
 * weights; an .onnx path is returned as is.
 */
export async function checkpointModel(path: string, o: { backend?: BackendName; log?: (msg: string) => void; fp16?: boolean } = {}): Promise<string> {
  if (path.toLowerCase().endsWith('.onnx')) {
    if (!existsSync(path)) throw new DarklensError('not_found', `${path} not found`);
    return path;
  }
  if (!existsSync(join(path, MODEL_FILE))) throw new DarklensError('not_found', `${path} is not a darklens checkpoint (no ${MODEL_FILE})`);
  const onnx = checkpointOnnx(path, o.fp16 === true);
  if (!existsSync(onnx) || mtime(onnx) < mtime(join(path, WEIGHTS_FILE))) {
    await exportCheckpoint({
      checkpointDir: path,
      outPath: onnx,
      ...(o.fp16 === true ? { fp16: true } : {}),
      ...(o.backend !== undefined ? { backend: o.backend } : {}),
      log: o.log ?? ((m) => process.stderr.write(`${m}\n`)),
    });
  }
  return onnx;
}

/**
 * The grid a model's inputs are prepared on: its checkpoint's (the folder, or the one holding the
 * .onnx), with `pixelScale` over it; undefined for a bare .onnx file (the images' own grid is used).
 */
function modelGrid(checkpointDir: string, onnxPath: string, pixelScale: number | undefined): Partial<ModelGrid> | undefined {
  const dir = checkpointDir.toLowerCase().endsWith('.onnx') ? dirname(onnxPath) : checkpointDir;
  if (!existsSync(join(dir, TRAINING_FILE))) return undefined;
  const input = { ...checkpointInput(dir), ...(pixelScale !== undefined ? { pixelScale } : {}) };
  return gridOf(input) ?? { width: input.width, height: input.height };
}

/** Scores of `dataPath` with a checkpoint folder (its exported model) or an exported `.onnx` file. */
export async function evaluate(opts: EvaluateOptions): Promise<EvaluateResult> {
  const batch = opts.batchSize ?? 64;
  if (!Number.isInteger(batch) || batch < 1 || batch > 65536) {
    throw new DarklensError('invalid_argument', `batch size must be an integer in [1, 65536], got ${String(opts.batchSize)}`);
  }
  const onnxPath = await checkpointModel(opts.checkpointDir, opts);
  const model = await openOnnx(onnxPath);
  try {
    const grid = modelGrid(opts.checkpointDir, onnxPath, opts.pixelScale);
    const r = await scoreData(model, {
      dataPath: opts.dataPath,
      batch,
      ...(grid !== undefined ? { grid } : {}),
      ...(opts.pixelScale !== undefined ? { pixelScale: opts.pixelScale } : {}),
      ...(opts.scores !== undefined ? { scores: opts.scores } : {}),
      ...(opts.outPath !== undefined ? { images: true } : {}),
      ...(opts.maxImages !== undefined ? { maxImages: opts.maxImages } : {}),
      ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
    });
    if (r.reconstructions !== undefined && opts.outPath !== undefined) {
      await mkdir(dirname(opts.outPath), { recursive: true });
      await writeFile(opts.outPath, writeNpy(r.reconstructions, [r.count, 1, r.grid.height, r.grid.width]));
    }
    const means: Record<string, number> = {};
    for (const [name, values] of Object.entries(r.scores)) {
      let sum = 0;
      for (const v of values) sum += v;
      means[name] = sum / r.count;
    }
    const cal = calibrationBeside(opts.checkpointDir.toLowerCase().endsWith('.onnx') ? onnxPath : opts.checkpointDir);
    const matching = cal !== undefined && (cal.model.onnxSha256 === undefined || cal.model.onnxSha256 === model.sha256);
    return {
      ...(matching ? { flagged: flagRates(cal, r.scores) } : {}),
      scores: r.scores,
      scoreNames: Object.keys(r.scores),
      count: r.count,
      means,
      backend: 'onnxruntime-node',
      onnx: { path: onnxPath, sha256: model.sha256 },
      grid: r.grid,
      ...(r.inputs !== undefined ? { inputs: r.inputs, reconstructions: r.reconstructions! } : {}),
    };
  } finally {
    await model.close();
  }
}
