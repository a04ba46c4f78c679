/** The DCAE's training objective: the reconstruction MSE itself (the anomaly score's definition). */
import type * as TfNamespace from '@tensorflow/tfjs';
import { lossTrainer, reconstructionLoss, type Trainer, type TrainerConfig } from './trainer.js';

type Tf = typeof TfNamespace;

export function dcaeTrainer(tf: Tf, model: TfNamespace.LayersModel, cfg: TrainerConfig): Trainer {
  return lossTrainer(tf, model, cfg, (x) => reconstructionLoss(tf, model, x));
}
