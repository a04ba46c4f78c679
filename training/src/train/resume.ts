/**
 * Restoring a run from its checkpoint: the history, the best epoch and its weights, and the state of
 * every optimizer (Adam's moments and step count), so a resumed run continues exactly as if it had
 * not stopped.
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { restoreOptimizer, type ModelBlob, type SavedState } from './checkpoint.js';
import type { OptimizerName, Trainer } from './objectives/index.js';
import type { EpochRecord } from './options.js';

type Tf = typeof TfNamespace;

/** The run so far: empty when fresh, the checkpoint's when resumed; the epoch loop extends it. */
export interface RunState {
  history: EpochRecord[];
  bestEpoch: number;
  bestValLoss: number;
  /** The best epoch's weights (undefined until an epoch has finished). */
  bestBlob: ModelBlob | undefined;
}

export function freshRunState(): RunState {
  return { history: [], bestEpoch: 0, bestValLoss: Infinity, bestBlob: undefined };
}

/** The run state saved in checkpoint `dir`, which must hold model `model`. */
export function savedRunState(saved: SavedState, model: string, dir: string): RunState {
  const t = saved.training as { model?: string; bestEpoch?: number; bestValLoss?: number; history?: EpochRecord[] };
  if (t.model !== model) throw new DarklensError('invalid_argument', `checkpoint ${dir} holds model ${String(t.model)}, not ${model}`);
  return { history: t.history ?? [], bestEpoch: t.bestEpoch ?? 0, bestValLoss: t.bestValLoss ?? Infinity, bestBlob: saved.best };
}

/** The first epoch still to train after `history`. */
export function nextEpoch(history: readonly EpochRecord[]): number {
  return history.length > 0 ? history[history.length - 1]!.epoch + 1 : 1;
}

/**
 * Restores each of the trainer's optimizers saved with the same kind; returns the note training.json
 * keeps on the optimizer state (which ones started fresh, and why).
 */
export async function restoreOptimizers(tf: Tf, trainer: Trainer, saved: SavedState, kind: OptimizerName): Promise<string> {
  const notes: string[] = [];
  for (const [name, opt] of Object.entries(trainer.optimizers)) {
    const s = saved.optimizers[name];
    if (s !== undefined && s.type === kind) {
      // Adam's moments are created lazily on the first step; setWeights installs them in variable order.
      await restoreOptimizer(tf, opt, s.blob);
    } else {
      notes.push(s === undefined ? `${name}: not in the checkpoint, fresh` : `${name}: checkpoint used ${s.type}, fresh ${kind}`);
    }
  }
  return notes.length === 0 ? 'restored from the checkpoint' : `resumed with fresh optimizer state (${notes.join('; ')})`;
}
