/**
 * The drift watch of a batch, job or run: result lines in as they are produced (only the numbers the
 * summary needs are kept), drift summaries out, against the calibrations and domains of the model
 * sets of the ModelSet that scored them.
 */
import { DriftAccumulator, type DriftCalibrations, type DriftLine, type DriftSummary } from '@darklens/core';
import type { ModelSet } from './model-store.js';

export { DriftLineSchema, DriftModelSchema, DriftSummarySchema, type DriftLineBody } from './drift-schema.js';

/** The calibrations and domains of a served registry snapshot. */
export function setCalibrations(set: ModelSet): DriftCalibrations {
  return {
    reference(model, score) {
      const m = set.models.get(model);
      if (m === undefined || !m.scores.includes(score)) return undefined;
      return m.calibrator(score).reference.sorted;
    },
    domain: (name) => (Object.hasOwn(set.sets, name) ? set.sets[name]!.domain : undefined),
  };
}

export class DriftWatch {
  private readonly acc = new DriftAccumulator();
  private readonly calibrations: DriftCalibrations;

  constructor(set: ModelSet) {
    this.calibrations = setCalibrations(set);
  }

  /** A batch line: a scored one, or one with an error (counted as failed). */
  add(line: DriftLine): void {
    this.acc.add(line);
  }

  /** Lines added so far. */
  get count(): number {
    return this.acc.count;
  }

  /** One summary per model set seen, in order of first appearance. */
  summary(): DriftSummary[] {
    return this.acc.summarize(this.calibrations);
  }
}
