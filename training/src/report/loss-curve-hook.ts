/** The checkpoint hook train() uses by default: the loss curves so far, saved as `loss.png` with every checkpoint. */
import type { CheckpointFiles, CheckpointInfo } from '../train/options.js';
import { lossCurvePlot } from './plots.js';

export const LOSS_PLOT_FILE = 'loss.png';

export function lossCurveHook(c: CheckpointInfo): CheckpointFiles {
  return { [LOSS_PLOT_FILE]: lossCurvePlot(c.history, `${c.model} loss`) };
}
