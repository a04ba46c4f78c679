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
import type { FeedPlanes, ModelSession, Tensor } from './engine.js';

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

/**
 * The graph inputs of one batch of prepared cutouts, each plane built on first use and then shared by
 * every graph that takes it: the models of a set see the same cutouts on the same grid, so one input
 * (and one noise) plane serves them all instead of a copy per model. Planes come from the engine's
 * FeedPlanes when given (then `done()` hands them back once every run on them is answered).
 */
export class BatchFeeds {
  private input: Tensor | undefined;
  private noisePlanes: { variance: Tensor; noise: Tensor } | undefined;

  constructor(
    readonly grid: Pick<ModelGrid, 'width' | 'height'>,
    readonly chunk: readonly PreparedCutout[],
    private readonly planes?: FeedPlanes,
  ) {}

  private plane(length: number): Float32Array {
    return this.planes === undefined ? new Float32Array(length) : this.planes.take(length);
  }

  /** The feeds of a graph with this contract (the noise inputs when it takes them). */
  for(contract: GraphContract): Record<string, Tensor> {
    const px = this.grid.width * this.grid.height;
    const dims = [this.chunk.length, 1, this.grid.height, this.grid.width];
    if (this.input === undefined) {
      const input = this.plane(this.chunk.length * px);
      this.chunk.forEach((c, j) => input.set(c.pixels, j * px));
      this.input = { dims, data: input };
    }
    const out: Record<string, Tensor> = { [ONNX_INPUT]: this.input };
    if (contract.noiseAware) {
      if (this.noisePlanes === undefined) {
        const variance = this.plane(this.chunk.length * px);
        const noise = this.plane(this.chunk.length * 2);
        this.chunk.forEach((c, j) => {
          variance.set(c.noise.variance, j * px);
          noise[2 * j] = c.noise.background;
          noise[2 * j + 1] = c.noise.gain;
        });
        this.noisePlanes = { variance: { dims, data: variance }, noise: { dims: [this.chunk.length, 2], data: noise } };
      }
      out[ONNX_VARIANCE] = this.noisePlanes.variance;
      out[ONNX_NOISE] = this.noisePlanes.noise;
    }
    return out;
  }

  /** Every run given these feeds has been answered: the engine's planes go back to it. */
  done(): void {
    if (this.planes === undefined) return;
    for (const t of [this.input, this.noisePlanes?.variance, this.noisePlanes?.noise]) if (t !== undefined) this.planes.give(t.data);
    this.input = undefined;
    this.noisePlanes = undefined;
  }
}

/** The model's graph inputs for a batch of prepared cutouts (the noise inputs when the graph takes them). */
export function graphFeeds(contract: GraphContract, grid: Pick<ModelGrid, 'width' | 'height'>, chunk: readonly PreparedCutout[]): Record<string, Tensor> {
  return new BatchFeeds(grid, chunk).for(contract);
}

/** Refuses ('not_found') a score the graph does not compute. */
function checkScores(contract: GraphContract, scores: readonly string[]): void {
  for (const s of scores) {
    if (!contract.scores.includes(s)) {
      throw new DarklensError('not_found', `score "${s}" is not computed by this model; it offers: ${contract.scores.join(', ')}`);
    }
  }
}

/**
 * One runtime call: the batch of `feeds` (its cutouts, on its grid) through `session`, with the asked
 * scores (and reconstructions). What runScores does per batch; callers that run several models on the
 * same batch give them the same BatchFeeds.
 */
export async function runBatch(session: ModelSession, contract: GraphContract, feeds: BatchFeeds, options: Omit<RunScoresOptions, 'batch'>): Promise<GraphScores> {
  checkScores(contract, options.scores);
  const { chunk, grid } = feeds;
  const px = grid.width * grid.height;
  const legacyMasks = !contract.noiseAware && chunk.some((c) => c.mask !== undefined);
  const wantRecon = options.reconstructions === true || legacyMasks;
  const outputs = [...options.scores.map(scoreOutputName), ...(wantRecon ? [ONNX_RECONSTRUCTION] : [])];
  const out = await session.run(feeds.for(contract), outputs);
  const recon = wantRecon ? out[ONNX_RECONSTRUCTION]!.data : undefined;
  const scores = new Map<string, Float64Array>();
  for (const name of options.scores) {
    const values = out[scoreOutputName(name)]!.data;
    const into = new Float64Array(chunk.length);
    chunk.forEach((c, j) => {
      let v = values[j]!;
      if (legacyMasks && name === MSE_SCORE && c.mask !== undefined) v = maskedMse(c.pixels, recon!.subarray(j * px, (j + 1) * px), c.mask);
      if (!Number.isFinite(v)) throw new DarklensError('internal', `the model gave a non-finite ${name} score`);
      into[j] = v;
    });
    scores.set(name, into);
  }
  if (options.reconstructions !== true) return { scores };
  return { scores, reconstructions: chunk.map((_, j) => recon!.slice(j * px, (j + 1) * px)) };
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
  checkScores(contract, options.scores);
  const batch = options.batch ?? RUN_BATCH;
  const scores = new Map(options.scores.map((s) => [s, new Float64Array(items.length)]));
  const reconstructions: Float32Array[] | undefined = options.reconstructions === true ? [] : undefined;
  for (let start = 0; start < items.length; start += batch) {
    const got = await runBatch(session, contract, new BatchFeeds(grid, items.slice(start, start + batch)), options);
    for (const [name, values] of got.scores) scores.get(name)!.set(values, start);
    if (reconstructions !== undefined) reconstructions.push(...got.reconstructions!);
  }
  return reconstructions === undefined ? { scores } : { scores, reconstructions };
}
