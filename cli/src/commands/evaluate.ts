import { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DarklensError } from '@darklens/core';
import { BACKEND_ORDER, evaluate, type BackendName } from '@darklens/training';
import { int } from '../options.js';

interface EvaluateCommandOptions {
  data: string;
  checkpoint: string;
  out?: string;
  scores?: string;
  batchSize: number;
  backend?: string;
  maxImages?: number;
}

export function evaluateCommand(): Command {
  const cmd = new Command('evaluate')
    .description('score images with a trained checkpoint: per-image reconstruction MSE (the anomaly score)')
    .requiredOption('-d, --data <path>', '.npy file or folder of .npy/FITS files')
    .requiredOption('-c, --checkpoint <dir>', 'checkpoint folder written by `darklens train`')
    .option('-o, --out <file>', 'write the reconstructions as .npy [N,1,H,W] float32 (and scores.json beside it)')
    .option('--scores <file>', 'write the scores as JSON here')
    .option('-b, --batch-size <n>', 'images per forward pass (does not change the scores)', int('batch size', 1, 65536), 64)
    .option('--backend <name>', `TensorFlow.js backend: ${BACKEND_ORDER.join(', ')} (default: the first that works)`)
    .option('--max-images <n>', 'score only the first N images', int('max images', 1, 100_000_000));
  cmd.addHelpText('after', '\nExample:\n  darklens evaluate --data data/test/spherical.npy --checkpoint checkpoints/dcae --out out/spherical_recon.npy\n');
  return cmd.action(async (o: EvaluateCommandOptions) => {
    if (o.backend !== undefined && !(BACKEND_ORDER as readonly string[]).includes(o.backend)) {
      throw new DarklensError('invalid_argument', `unknown backend '${o.backend}'; accepted: ${BACKEND_ORDER.join(', ')}`);
    }
    const r = await evaluate({
      dataPath: o.data,
      checkpointDir: o.checkpoint,
      batchSize: o.batchSize,
      ...(o.out !== undefined ? { outPath: o.out } : {}),
      ...(o.backend !== undefined ? { backend: o.backend as BackendName } : {}),
      ...(o.maxImages !== undefined ? { maxImages: o.maxImages } : {}),
    });
    const scoresPath = o.scores ?? (o.out !== undefined ? join(dirname(o.out), 'scores.json') : undefined);
    if (scoresPath !== undefined) {
      const json = { data: o.data, checkpoint: o.checkpoint, score: 'per-image mean squared reconstruction error', count: r.count, mean: r.mean, scores: Array.from(r.scores) };
      await writeFile(scoresPath, JSON.stringify(json) + '\n');
    }
    process.stdout.write(`${r.count} images, mean score ${r.mean.toPrecision(6)} (backend ${r.backend})` +
      (o.out !== undefined ? `; reconstructions ${o.out}` : '') + (scoresPath !== undefined ? `; scores ${scoresPath}` : '') + '\n');
  });
}
