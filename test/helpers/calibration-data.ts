/**
 * Shared data helpers for the calibration tests (core/src/calibration/*.test.ts). Test-only: nothing
 * outside *.test.ts may import from this folder.
 */
import { CalibrationRng } from '../../core/src/calibration/thresholds.js';

/** [1, 2, ..., n]. */
export const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** A deterministic (seeded Fisher-Yates) shuffle, so tests never depend on input order. */
export function shuffled<T>(values: readonly T[], seed = 1): T[] {
  const out = values.slice();
  const rng = new CalibrationRng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
