/**
 * Learning-rate schedules. 'one-cycle' is the reference's (PyTorch OneCycleLR with its defaults:
 * cosine warm-up over the first 30% of the steps from max/25 to max, then cosine annealing to
 * max/25/1e4); 'constant' keeps max throughout. Momentum is not cycled (Adam's beta1 stays 0.9).
 * The rate depends only on (step, total), so a resumed run follows the same schedule.
 */
import { DarklensError } from '@darklens/core';

export const SCHEDULES = ['one-cycle', 'constant'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

export const ONE_CYCLE = { pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 } as const;

/** Cosine interpolation from a (t = 0) to b (t = 1). */
function cosine(a: number, b: number, t: number): number {
  return b + ((a - b) / 2) * (1 + Math.cos(Math.PI * t));
}

/** The learning rate of 0-based step `step` of `total`. */
export function learningRateAt(schedule: ScheduleName, maxLr: number, step: number, total: number): number {
  if (schedule === 'constant') return maxLr;
  if (!(Number.isInteger(step) && Number.isInteger(total) && total >= 1 && step >= 0)) {
    throw new DarklensError('invalid_argument', `learningRateAt: step ${step} of ${total} steps`);
  }
  const initial = maxLr / ONE_CYCLE.divFactor;
  const final = initial / ONE_CYCLE.finalDivFactor;
  const peak = Math.max(0, ONE_CYCLE.pctStart * total - 1);
  const s = Math.min(step, total - 1);
  if (s <= peak) return peak <= 0 ? maxLr : cosine(initial, maxLr, s / peak);
  const rest = total - 1 - peak;
  return rest <= 0 ? final : cosine(maxLr, final, (s - peak) / rest);
}

export function isScheduleName(v: unknown): v is ScheduleName {
  return typeof v === 'string' && (SCHEDULES as readonly string[]).includes(v);
}
