/**
 * The one scoring path from training to serving: prepared cutouts (prepare.ts) through a darklens
 * ONNX graph, in batches, to the graph's scores. The service, `darklens evaluate` and `darklens
 * calibrate` all score through here, so a calibration score and the service's score of the same image
 * are the same number.
 */
import { DarklensError } from '../errors.js';
import { MSE_SCORE, ONNX_INPUT, ONNX_NOISE, ONNX_RECONSTRUCTION, ONNX_VARIANCE, scoreOutputName, type GraphContract } from '../onnx/contract.js';
import { maskedMse } from '../preprocess/mask.js';
import type { ModelGrid, PreparedCutout } from '../preprocess/prepare.js';
import type { ModelSession, Tensor } from './engine.js';

/** Images per runtime call. */
export const RUN_BATCH = 32;

export interface RunScoresOptions {
  /** Scores to compute (each must be in the contract). */
  scores: readonly string[];
  /** Also return each item's reconstruction. */
  reconstructions?: boolean;
  /** Images per runtime call (default RUN_BATCH); does not change the scores. */
  batch?: number;
}

export interface GraphScores {
  /** Per score, one value per item, in item order. */
  scores: Map<string, Float64Array>;
  /** Per item, its reconstruction (height*width), when asked. */
  reconstructions?: Float32Array[];
}

/** The model's graph inputs for a batch of prepared cutouts (the noise inputs when the graph takes them). */
export function graphFeeds(contract: GraphContract, grid: Pick<ModelGrid, 'width' | 'height'>, chunk: readonly PreparedCutout[]): Record<string, Tensor> {
  const px = grid.width * grid.height;
  const dims = [chunk.length, 1, grid.height, grid.width];
  const input = new Float32Array(chunk.length * px);
  chunk.forEach((c, j) => input.set(c.pixels, j * px));
  const out: Record<string, Tensor> = { [ONNX_INPUT]: { dims, data: input } };
  if (contract.noiseAware) {
    const variance = new Float32Array(chunk.length * px);
    const noise = new Float32Array(chunk.length * 2);
    chunk.forEach((c, j) => {
      variance.set(c.noise.variance, j * px);
      noise[2 * j] = c.noise.background;
      noise[2 * j + 1] = c.noise.gain;
    });
    out[ONNX_VARIANCE] = { dims, data: variance };
    out[ONNX_NOISE] = { dims: [chunk.length, 2], data: noise };
  }
  return out;
}

/**
 * Runs `items` through `session` and returns the asked scores (and reconstructions). Graphs without
 * the noise-aware inputs (v1) offer only 'mse', over every pixel: for a cutout with masked pixels it
 * is recomputed here over the unmasked ones, as the newer graphs do themselves.
 */
export async function runScores(
  session: ModelSession,
  contract: GraphContract,
  grid: Pick<ModelGrid, 'width' | 'height'>,
  items: readonly PreparedCutout[],
  options: RunScoresOptions,
): Promise<GraphScores> {
  for (const s of options.scores) {
    if (!contract.scores.includes(s)) {
      throw new DarklensError('not_found', `score "${s}" is not computed by this model; it offers: ${contract.scores.join(', ')}`);
    }
  }
  const batch = options.batch ?? RUN_BATCH;
  const px = grid.width * grid.height;
  const legacyMasks = !contract.noiseAware && items.some((c) => c.mask !== undefined);
  const wantRecon = options.reconstructions === true || legacyMasks;
  const outputs = [...options.scores.map(scoreOutputName), ...(wantRecon ? [ONNX_RECONSTRUCTION] : [])];
  const scores = new Map(options.scores.map((s) => [s, new Float64Array(items.length)]));
  const reconstructions: Float32Array[] | undefined = options.reconstructions === true ? [] : undefined;

  for (let start = 0; start < items.length; start += batch) {
    const chunk = items.slice(start, start + batch);
    const out = await session.run(graphFeeds(contract, grid, chunk), outputs);
    const recon = wantRecon ? out[ONNX_RECONSTRUCTION]!.data : undefined;
    for (const name of options.scores) {
      const values = out[scoreOutputName(name)]!.data;
      const into = scores.get(name)!;
      chunk.forEach((c, j) => {
        let v = values[j]!;
        if (legacyMasks && name === MSE_SCORE && c.mask !== undefined) v = maskedMse(c.pixels, recon!.subarray(j * px, (j + 1) * px), c.mask);
        if (!Number.isFinite(v)) throw new DarklensError('internal', `the model gave a non-finite ${name} score`);
        into[start + j] = v;
      });
    }
    if (reconstructions !== undefined) chunk.forEach((_, j) => reconstructions.push(recon!.slice(j * px, (j + 1) * px)));
  }
  return reconstructions === undefined ? { scores } : { scores, reconstructions };
}
