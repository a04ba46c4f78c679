/**
 * The ONNX contract of every darklens model, declared once: the names training's export writes and
 * every scorer reads (the service's model store, scoring and Open Inference Protocol routes, training's
 * evaluation of exported files).
 *
 *   input           [N, 1, H, W] float32: cutouts on the model's grid, each min-max scaled to [0, 1]
 *   reconstruction  [N, 1, H, W] float32
 *   score           [N] float32: per-image MSE, the training definition (every model has it)
 *   score_<name>    [N] float32: further anomaly scores computed in the graph (optional)
 *   residual        [N, 1, H, W] float32: input - reconstruction (optional)
 */
import { DarklensError } from '../errors.js';

export const ONNX_INPUT = 'input';
export const ONNX_RECONSTRUCTION = 'reconstruction';
export const ONNX_RESIDUAL = 'residual';
/** The output holding the MSE score. */
export const ONNX_SCORE = 'score';
/** The score every model has, under its API name. */
export const MSE_SCORE = 'mse';
/** Outputs every darklens model has. */
export const REQUIRED_OUTPUTS: readonly string[] = [ONNX_RECONSTRUCTION, ONNX_SCORE];

const EXTRA_SCORE_PREFIX = `${ONNX_SCORE}_`;

/** The graph output holding score `name` ('mse' is `score`, others `score_<name>`). */
export function scoreOutputName(name: string): string {
  return name === MSE_SCORE ? ONNX_SCORE : `${EXTRA_SCORE_PREFIX}${name}`;
}

/** What a loaded graph offers, read from its input and output names. */
export interface GraphContract {
  /** Score names the graph outputs, 'mse' first. */
  scores: string[];
  /** Whether it outputs the residual map. */
  residual: boolean;
}

/**
 * Checks a graph's input and output names against the contract ('integrity_mismatch' naming what is
 * missing) and returns what it offers. `what` names the model in messages.
 */
export function readContract(what: string, inputNames: readonly string[], outputNames: readonly string[]): GraphContract {
  const missing = REQUIRED_OUTPUTS.filter((o) => !outputNames.includes(o));
  if (missing.length > 0 || !inputNames.includes(ONNX_INPUT)) {
    throw new DarklensError(
      'integrity_mismatch',
      `${what}: the ONNX graph needs input "${ONNX_INPUT}" and outputs ${REQUIRED_OUTPUTS.join(', ')}; it has inputs ` +
        `${inputNames.join(', ') || 'none'} and outputs ${outputNames.join(', ') || 'none'}`,
    );
  }
  const extra = outputNames.filter((o) => o.startsWith(EXTRA_SCORE_PREFIX)).map((o) => o.slice(EXTRA_SCORE_PREFIX.length));
  return { scores: [MSE_SCORE, ...extra], residual: outputNames.includes(ONNX_RESIDUAL) };
}
