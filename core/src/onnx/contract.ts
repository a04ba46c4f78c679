/**
 * The ONNX contract of every darklens model, declared once: the names training's export writes and
 * every scorer reads (the service's model store, scoring and Open Inference Protocol routes, training's
 * evaluation of exported files).
 *
 *   input           [N, 1, H, W] float32: cutouts on the model's grid, each min-max scaled to [0, 1]
 *   variance        [N, 1, H, W] float32, noise-aware graphs only: each pixel's base noise variance
 *                   in the scaled units of `input` (the cutout's variance plane, or the background
 *                   variance of the noise model estimated from the cutout); +Inf where masked
 *   noise           [N, 2] float32, noise-aware graphs only: background level b and Poisson gain k;
 *                   a pixel's variance is variance + k * max(reconstruction - b, 0) (k = 0 when the
 *                   variance plane already holds the source's own noise)
 *   reconstruction  [N, 1, H, W] float32
 *   score           [N] float32: per-image MSE over unmasked pixels, the training definition (every model)
 *   score_<name>    [N] float32: further anomaly scores computed in the graph (see SCORES)
 *   residual        [N, 1, H, W] float32: input - reconstruction (optional)
 *
 * Graphs exported before the noise-aware scores (v1 models) take `input` alone and output `score` over
 * every pixel; their scorers leave masked pixels out themselves.
 */
import { DarklensError } from '../errors.js';

export const ONNX_INPUT = 'input';
export const ONNX_VARIANCE = 'variance';
export const ONNX_NOISE = 'noise';
export const ONNX_RECONSTRUCTION = 'reconstruction';
export const ONNX_RESIDUAL = 'residual';
/** The output holding the MSE score. */
export const ONNX_SCORE = 'score';
/** The score every model has, under its API name. */
export const MSE_SCORE = 'mse';
/** Outputs every darklens model has. */
export const REQUIRED_OUTPUTS: readonly string[] = [ONNX_RECONSTRUCTION, ONNX_SCORE];

/** What each score of a darklens graph is; a score's calibration names its definition. */
export const SCORES = {
  mse: 'per-image mean squared error between the [0,1] min-max-scaled input and its reconstruction',
  chi2:
    'per-image mean over unmasked pixels of (input - reconstruction)^2 / variance: the residual weighted by the inverse ' +
    'noise variance (reduced chi-square)',
  psf: 'per-image mean over unmasked pixels of the squared residual filtered by a unit-norm Gaussian as wide as the PSF',
  mf:
    'matched filter: per-image mean over unmasked pixels of the squared noise-whitened residual ' +
    '(input - reconstruction) / sqrt(variance) filtered by a unit-norm Gaussian as wide as the PSF',
  mf2:
    'matched filter at twice the PSF width: as mf, with a unit-norm Gaussian of twice the PSF width',
  sharp:
    'arc sharpness: the residual (input - reconstruction), weighted by the inverse noise variance, projected onto the ' +
    'negative Laplacian of the reconstruction smoothed by a Gaussian of twice the PSF width, over the norm of that ' +
    'projection: larger when the light is more concentrated (thinner arcs, sharper features) than the smooth-lens ' +
    'reconstruction; where smooth lenses fall depends on the model, as its calibration records',
} as const;

export type ScoreName = keyof typeof SCORES;
export const SCORE_NAMES = Object.keys(SCORES) as ScoreName[];

const EXTRA_SCORE_PREFIX = `${ONNX_SCORE}_`;

/** The graph output holding score `name` ('mse' is `score`, others `score_<name>`). */
export function scoreOutputName(name: string): string {
  return name === MSE_SCORE ? ONNX_SCORE : `${EXTRA_SCORE_PREFIX}${name}`;
}

/** What a loaded graph offers, read from its input and output names. */
export interface GraphContract {
  /** Score names the graph outputs, 'mse' first. */
  scores: string[];
  /** Whether it takes `variance` and `noise` (and so leaves masked pixels out of every score itself). */
  noiseAware: boolean;
  /** Whether it outputs the residual map. */
  residual: boolean;
}

/**
 * Checks a graph's input and output names against the contract ('integrity_mismatch' naming what is
 * missing) and returns what it offers. `what` names the model in messages.
 */
export function readContract(what: string, inputNames: readonly string[], outputNames: readonly string[]): GraphContract {
  const missing = REQUIRED_OUTPUTS.filter((o) => !outputNames.includes(o));
  const hasVariance = inputNames.includes(ONNX_VARIANCE);
  const unknownInputs = inputNames.filter((i) => i !== ONNX_INPUT && i !== ONNX_VARIANCE && i !== ONNX_NOISE);
  if (missing.length > 0 || !inputNames.includes(ONNX_INPUT) || hasVariance !== inputNames.includes(ONNX_NOISE) || unknownInputs.length > 0) {
    throw new DarklensError(
      'integrity_mismatch',
      `${what}: the ONNX graph needs input "${ONNX_INPUT}" (and optionally both "${ONNX_VARIANCE}" and "${ONNX_NOISE}") and outputs ` +
        `${REQUIRED_OUTPUTS.join(', ')}; it has inputs ${inputNames.join(', ') || 'none'} and outputs ${outputNames.join(', ') || 'none'}`,
    );
  }
  const extra = outputNames.filter((o) => o.startsWith(EXTRA_SCORE_PREFIX)).map((o) => o.slice(EXTRA_SCORE_PREFIX.length));
  return { scores: [MSE_SCORE, ...extra], noiseAware: hasVariance, residual: outputNames.includes(ONNX_RESIDUAL) };
}
