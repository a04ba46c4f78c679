/**
 * Scoring a data set with an exported model through core's one path: readCutouts, prepareCutout onto
 * the model's grid (the service's preprocessing: resampling, masks, min-max scaling, noise model),
 * runScores. What `darklens evaluate`, `calibrate` and `sensitivity` report is what the service
 * answers for the same images.
 */
import { DarklensError, prepareCutout, runScores, type ModelGrid, type PreparedCutout } from '@darklens/core';
import { readCutouts } from './cutouts.js';
import type { OnnxFile } from './onnx-file.js';

/** Images prepared and scored at a time (bounds memory on large sets). */
const CHUNK = 256;

export interface ScoreDataOptions {
  dataPath: string;
  /** The model's input grid; a missing size is the images', a missing pixel scale `pixelScale`'s. */
  grid?: Partial<ModelGrid>;
  /** Without a grid: the pixel scale of the images' grid (default: theirs, else 1). */
  pixelScale?: number;
  /** Scores to compute (default: every score of the graph). */
  scores?: readonly string[];
  /** Also return the reconstructions and the prepared inputs. */
  images?: boolean;
  maxImages?: number;
  /** Images per runtime call (does not change the scores). */
  batch?: number;
  /** Called after each chunk with the images done so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface ScoredData {
  count: number;
  grid: ModelGrid;
  /** Per score, one value per image in file order. */
  scores: Record<string, Float32Array>;
  /** count * height * width: the inputs as the model saw them and its reconstructions (with `images`). */
  inputs?: Float32Array;
  reconstructions?: Float32Array;
}

export async function scoreData(model: OnnxFile, o: ScoreDataOptions): Promise<ScoredData> {
  const cutouts = await readCutouts(o.dataPath, o.maxImages !== undefined ? { maxImages: o.maxImages } : {});
  const first = cutouts[0]!;
  const grid: ModelGrid = {
    width: o.grid?.width ?? first.width,
    height: o.grid?.height ?? first.height,
    pixelScale: o.grid?.pixelScale ?? o.pixelScale ?? first.pixelScale ?? 1,
  };
  const names = o.scores ?? model.contract.scores;
  const n = cutouts.length;
  const px = grid.width * grid.height;
  const scores = Object.fromEntries(names.map((s) => [s, new Float32Array(n)]));
  const inputs = o.images === true ? new Float32Array(n * px) : undefined;
  const reconstructions = o.images === true ? new Float32Array(n * px) : undefined;
  for (let start = 0; start < n; start += CHUNK) {
    const chunk = cutouts.slice(start, start + CHUNK);
    const prepared: PreparedCutout[] = chunk.map((c, j) => {
      try {
        return prepareCutout(c, grid);
      } catch (e) {
        if (e instanceof DarklensError) throw new DarklensError(e.code, `${o.dataPath}, image ${start + j}: ${e.message}`, { cause: e });
        throw e;
      }
    });
    const got = await runScores(model.session, model.contract, grid, prepared, {
      scores: names,
      ...(o.images === true ? { reconstructions: true } : {}),
      ...(o.batch !== undefined ? { batch: o.batch } : {}),
    });
    for (const s of names) scores[s]!.set(got.scores.get(s)!, start);
    prepared.forEach((p, j) => {
      inputs?.set(p.pixels, (start + j) * px);
      reconstructions?.set(got.reconstructions![j]!, (start + j) * px);
    });
    o.onProgress?.(Math.min(n, start + CHUNK), n);
  }
  return { count: n, grid, scores, ...(inputs !== undefined ? { inputs, reconstructions: reconstructions! } : {}) };
}
