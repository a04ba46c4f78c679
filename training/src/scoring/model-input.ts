/**
 * What a checkpoint's network takes: its input size (training.json) and the pixel scale and PSF of
 * the data it was trained on (darklens simulate's manifest beside that data), when known. Export
 * sizes the filtered scores from the PSF; evaluate and calibrate prepare cutouts onto this grid.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DarklensError, type ModelGrid } from '@darklens/core';
import { readSimulationManifest } from '../simulate/output.js';
import { TRAINING_FILE } from '../train/checkpoint.js';

/** FWHM of a Gaussian in units of its sigma. */
export const SIGMA_TO_FWHM = 2 * Math.sqrt(2 * Math.LN2);

export interface ModelInput {
  width: number;
  height: number;
  /** Arcsec per pixel of the training data, when known. */
  pixelScale?: number;
  /** PSF FWHM in arcsec of the training data, when known. */
  psfFwhm?: number;
}

/** The pixel scale and PSF FWHM of simulated data, from its manifest (empty when it has none). */
export function simulationInput(dataPath: string): { pixelScale?: number; psfFwhm?: number } {
  const spec = readSimulationManifest(dataPath)?.spec;
  const out: { pixelScale?: number; psfFwhm?: number } = {};
  if (spec === undefined) return out;
  if (Number.isFinite(spec.pixelScale) && spec.pixelScale > 0) out.pixelScale = spec.pixelScale;
  if (Number.isFinite(spec.psfSigma) && spec.psfSigma > 0) out.psfFwhm = spec.psfSigma * SIGMA_TO_FWHM;
  return out;
}

/** The input of the checkpoint in `dir` (not_found when it has no training.json). */
export function checkpointInput(dir: string): ModelInput {
  const path = join(dir, TRAINING_FILE);
  if (!existsSync(path)) throw new DarklensError('not_found', `${dir} is not a darklens checkpoint (no ${TRAINING_FILE})`);
  let t: { inputSize?: unknown; data?: { path?: unknown; input?: { pixelScale?: unknown; psfFwhm?: unknown } } };
  try {
    t = JSON.parse(readFileSync(path, 'utf8')) as typeof t;
  } catch (e) {
    throw new DarklensError('bad_header', `${path} is not valid JSON`, { cause: e });
  }
  const size = t.inputSize;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) throw new DarklensError('bad_header', `${path} has no valid inputSize`);
  // What training recorded of its data, else the data's manifest (checkpoints of older versions).
  const recorded = t.data?.input;
  const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const data = recorded !== undefined && positive(recorded.pixelScale) ? recorded : typeof t.data?.path === 'string' ? simulationInput(t.data.path) : {};
  return {
    width: size,
    height: size,
    ...(positive(data.pixelScale) ? { pixelScale: data.pixelScale } : {}),
    ...(positive(data.psfFwhm) ? { psfFwhm: data.psfFwhm } : {}),
  };
}

/** The model's grid for preprocessing, when its pixel scale is known (images without one are assumed on it). */
export function gridOf(input: ModelInput): ModelGrid | undefined {
  return input.pixelScale === undefined ? undefined : { width: input.width, height: input.height, pixelScale: input.pixelScale };
}

/** PSF sigma in pixels of the model's grid; `fallback` (pixels) when the PSF or pixel scale is unknown. */
export function psfSigmaPx(input: Pick<ModelInput, 'pixelScale' | 'psfFwhm'>, fallback = 1): number {
  return input.psfFwhm !== undefined && input.pixelScale !== undefined ? input.psfFwhm / SIGMA_TO_FWHM / input.pixelScale : fallback;
}
