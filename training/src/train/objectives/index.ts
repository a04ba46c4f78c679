/** The training objective of each model, by name (the networks are in models/registry.ts). */
import type * as TfNamespace from '@tensorflow/tfjs';
import type { ModelName } from '../../models/registry.js';
import { AAE_DISCRIMINATOR, aaeTrainer } from './aae.js';
import { dcaeTrainer } from './dcae.js';
import { rbmTrainer } from './rbm.js';
import type { Trainer, TrainerConfig } from './trainer.js';
import { vaeTrainer } from './vae.js';

export * from './trainer.js';
export { AAE_DISCRIMINATOR, AAE_LAMBDA, aaePriorSeed, aaeTrainer } from './aae.js';
export { RBM_CD_STEPS, rbmSampleSeed, rbmTrainer } from './rbm.js';
export { VAE_BETA, VAE_NOISE_STREAM, vaeLossTerms, vaeNoiseSeed, vaeTrainer, vaeTrainingLoss } from './vae.js';
export { dcaeTrainer } from './dcae.js';

/**
 * The trainer of model `name` over its inference network `model` (fresh or loaded). `extras`:
 * the training-only networks saved with a checkpoint (the AAE's discriminator), when resuming or
 * fine-tuning. Throws invalid_argument when `model` lacks the layers that model's training needs.
 */
export function createTrainer(
  name: ModelName,
  tf: typeof TfNamespace,
  model: TfNamespace.LayersModel,
  cfg: TrainerConfig,
  extras: Record<string, TfNamespace.LayersModel> = {},
): Trainer {
  switch (name) {
    case 'dcae':
      return dcaeTrainer(tf, model, cfg);
    case 'vae':
      return vaeTrainer(tf, model, cfg);
    case 'aae':
      return aaeTrainer(tf, model, cfg, extras[AAE_DISCRIMINATOR], cfg.adversarialWeight);
    case 'rbm':
      return rbmTrainer(tf, model, cfg);
  }
}
