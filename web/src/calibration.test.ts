import { describe, expect, it } from 'vitest';
import { ensembleFlagged, modelFlaggedIn, thresholdOf, verdictAt } from './calibration';

const judged = (pValue: number, outOfDomain: boolean) => ({
  ensemble: { method: 'cauchy' as const, name: null, members: [], pValue, alpha: 0.05, flagged: false, models: [] },
  domain: { outOfDomain, reasons: [], stats: { radius: 10, sharpness: null, noise: 0.01, relativeWidth: null } },
});

describe('verdicts at the page\'s FPR', () => {
  it('reads a role\'s threshold by its registered model', () => {
    const thresholds = new Map([['lsst-rbm', 2]]);
    expect(thresholdOf(thresholds, { model: 'lsst-rbm' })).toBe(2);
    expect(thresholdOf(thresholds, { model: 'rbm' })).toBeUndefined();
    expect(modelFlaggedIn(judged(0.5, false), { model: 'lsst-rbm', loss: 3 }, thresholds)).toBe(true);
    expect(modelFlaggedIn(judged(0.5, false), { model: 'lsst-rbm', loss: 1 }, thresholds)).toBe(false);
  });

  it('out of domain: neither the ensemble nor any model flags, whatever the p-value and FPR', () => {
    expect(verdictAt(judged(0.01, false), 0.05)).toBe('anomalous');
    expect(verdictAt(judged(0.01, false), 0.005)).toBe('smooth');
    expect(verdictAt(judged(1e-9, true), 0.5)).toBe('out of domain');
    expect(ensembleFlagged(judged(1e-9, true), 0.5)).toBe(false);
    expect(modelFlaggedIn(judged(1e-9, true), { model: 'rbm', loss: 100 }, new Map([['rbm', 1]]))).toBe(false);
  });
});
