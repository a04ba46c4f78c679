/**
 * The checkpoint of one finished epoch: best and last weights, every optimizer's state, the
 * training-only networks, training.json (what was trained on what, and how) and the files of the
 * caller's checkpoint hook, written as one atomic swap (checkpoint.ts).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { serializeModel, serializeOptimizer, writeCheckpoint, type ModelBlob, type SavedOptimizer } from './checkpoint.js';
import { AAE_LAMBDA } from './objectives/index.js';
import type { CheckpointHook, CheckpointState } from './options.js';
import type { TrainingSession } from './setup.js';

function darklensVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** training.json of session `s` after `epoch`. */
function trainingRecord(s: TrainingSession, epoch: number, state: CheckpointState): object {
  const { plan, state: run } = s;
  return {
    tool: 'darklens train',
    format: 1,
    model: plan.model,
    inputSize: s.images.size,
    epoch,
    epochs: plan.epochs,
    bestEpoch: run.bestEpoch,
    bestValLoss: run.bestValLoss,
    history: run.history,
    seed: plan.seed,
    backend: s.backend,
    state,
    optimizerState: s.optimizerNote,
    options: {
      batchSize: plan.batchSize,
      learningRate: plan.learningRate,
      optimizer: plan.optimizer,
      schedule: plan.schedule,
      weightDecay: plan.weightDecay,
      ...(plan.model === 'aae' ? { adversarialWeight: plan.adversarialWeight ?? AAE_LAMBDA } : {}),
      patience: plan.patience ?? null,
      validationFraction: plan.validationFraction,
      maxImages: plan.maxImages ?? null,
    },
    pretrain: s.pretrain ?? null,
    darklensVersion: darklensVersion(),
    // The data's pixel scale and PSF travel with the checkpoint: export sizes the filtered scores by them.
    data: {
      path: resolve(s.dataPath),
      count: s.images.count,
      train: s.split.train.count,
      validation: s.split.validation.count,
      fingerprint: s.fingerprint,
      input: s.dataInput,
    },
    savedAt: new Date().toISOString(),
  };
}

/**
 * Writes the checkpoint of `epoch` (the session's run state already includes it; `last` is the
 * network's weights now), with the files `hook` returns.
 */
export async function saveEpoch(s: TrainingSession, epoch: number, state: CheckpointState, last: ModelBlob, hook: CheckpointHook | undefined): Promise<void> {
  const { tf, trainer, state: run } = s;
  if (run.bestBlob === undefined) throw new Error('saveEpoch before any best epoch');
  const optimizers: Record<string, SavedOptimizer> = {};
  for (const [name, opt] of Object.entries(trainer.optimizers)) optimizers[name] = { type: s.plan.optimizer, blob: await serializeOptimizer(tf, opt) };
  const extras: Record<string, ModelBlob> = {};
  for (const [name, m] of Object.entries(trainer.extras)) extras[name] = await serializeModel(tf, m);
  const files = await hook?.({
    model: s.plan.model,
    checkpointDir: s.checkpointDir,
    epoch,
    epochs: s.plan.epochs,
    history: run.history.slice(),
    bestEpoch: run.bestEpoch,
    bestValLoss: run.bestValLoss,
    state,
  });
  await writeCheckpoint(s.checkpointDir, { best: run.bestBlob, last, optimizers, extras, training: trainingRecord(s, epoch, state), ...(files !== undefined ? { files } : {}) });
}
