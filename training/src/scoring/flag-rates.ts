/**
 * How often a calibration's FPR thresholds flag a set of images: on fresh smooth lenses this is the
 * observed false-positive rate, to hold against the nominal one (a check that the calibration holds
 * on data it was not made from).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseModelCalibration, scoreFile, type ModelCalibrationFile } from '@darklens/core';

export interface FlagRate {
  /** The threshold's name and nominal false-positive rate. */
  name: string;
  nominal: number;
  /** Fraction of the images above it. */
  observed: number;
}

/** The calibration.json beside an ONNX file or in a checkpoint folder, when there is a valid one. */
export function calibrationBeside(modelPath: string): ModelCalibrationFile | undefined {
  const dir = modelPath.toLowerCase().endsWith('.onnx') ? dirname(modelPath) : modelPath;
  const path = join(dir, 'calibration.json');
  if (!existsSync(path)) return undefined;
  try {
    return parseModelCalibration(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return undefined;
  }
}

/** Per calibrated score present in `scores`, the fraction of images above each FPR threshold. */
export function flagRates(cal: ModelCalibrationFile, scores: Record<string, ArrayLike<number>>): Record<string, FlagRate[]> {
  const out: Record<string, FlagRate[]> = {};
  for (const name of Object.keys(cal.scores)) {
    const values = scores[name];
    if (values === undefined || values.length === 0) continue;
    out[name] = scoreFile(cal, name)
      .thresholds.items.filter((t) => t.method === 'quantile' && t.fpr !== undefined)
      .map((t) => {
        let above = 0;
        for (let i = 0; i < values.length; i++) if (values[i]! > t.value) above++;
        return { name: t.name, nominal: t.fpr!, observed: above / values.length };
      });
  }
  return out;
}
