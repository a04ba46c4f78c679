/**
 * Scoring with an exported ONNX model in Node (onnxruntime-node): the same per-image scores and
 * reconstructions as `evaluate` on the checkpoint, from the file that serving uses. Lets `darklens
 * evaluate` report on .onnx files (float16 variants, registry versions) directly.
 */
import { readFile } from 'node:fs/promises';
import { DarklensError, ONNX_INPUT, ONNX_RECONSTRUCTION, ONNX_SCORE } from '@darklens/core';
import type { ImageSet } from '../train/data.js';

/** Per-image scores (and reconstructions into `recon`) of `set`, in batches, with the ONNX model in `path`. */
export async function onnxScores(path: string, set: ImageSet, batchSize: number, recon?: Float32Array): Promise<Float32Array> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(new Uint8Array(await readFile(path)), { intraOpNumThreads: 1 });
  try {
    if (!session.inputNames.includes(ONNX_INPUT)) throw new DarklensError('invalid_argument', `${path}: not a darklens ONNX model (inputs ${session.inputNames.join(', ')}; expected ${ONNX_INPUT})`);
    const px = set.size * set.size;
    const scores = new Float32Array(set.count);
    for (let start = 0; start < set.count; start += batchSize) {
      const n = Math.min(batchSize, set.count - start);
      const x = new ort.Tensor('float32', set.data.slice(start * px, (start + n) * px), [n, 1, set.size, set.size]);
      let out: Record<string, { data: unknown; dims: readonly number[] }>;
      try {
        out = await session.run({ [ONNX_INPUT]: x });
      } catch (e) {
        throw new DarklensError('bad_shape', `${path}: the model refused ${set.size}x${set.size} images (${(e as Error).message.split('\n')[0]})`);
      }
      scores.set(out[ONNX_SCORE]!.data as Float32Array, start);
      if (recon !== undefined) recon.set(out[ONNX_RECONSTRUCTION]!.data as Float32Array, start * px);
    }
    return scores;
  } finally {
    await session.release();
  }
}
