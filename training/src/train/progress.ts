/**
 * Progress events with the run's fraction done and an ETA. The pace is this call's (time spent /
 * images trained since it started, validation and checkpoints included from the second epoch on),
 * so a resumed run estimates from its own steps, not from the interrupted ones.
 */
import type { TrainProgress } from './options.js';

export interface ProgressRun {
  /** First epoch this call trains (1 when fresh). */
  startEpoch: number;
  epochs: number;
  trainImages: number;
  batches: number;
}

export type ProgressPoint = Pick<TrainProgress, 'epoch' | 'batch' | 'images' | 'loss'> & { valLoss?: number };

/** A maker of progress events for `run`, timed by `now` (ms) from this call on. */
export function progressEvents(run: ProgressRun, now: () => number): (p: ProgressPoint) => TrainProgress {
  const started = now();
  const { epochs, trainImages, batches } = run;
  return (p) => {
    const elapsedMs = Math.max(0, now() - started);
    const trained = (p.epoch - run.startEpoch) * trainImages + p.images;
    const remaining = (epochs - p.epoch) * trainImages + (trainImages - p.images);
    const etaMs = trained > 0 ? (elapsedMs * remaining) / trained : 0;
    const fraction = ((p.epoch - 1) * trainImages + p.images) / (epochs * trainImages);
    return { ...p, epochs, batches, trainImages, fraction, elapsedMs, etaMs };
  };
}
