import { describe, expect, it } from 'vitest';
import { isDarklensError } from '@darklens/core';
import { rocAuc } from '../metrics/roc.js';
import { ceilingMetrics } from './metrics.js';
import { classWeights, stackClasses } from './weighted-data.js';

const range = (lo: number, n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => lo + i);

describe('ceilingMetrics', () => {
  it('pools spherical and vortex against no_sub and keeps the per-class AUCs apart', () => {
    // no_sub 0..99; spherical all above; vortex interleaved with no_sub.
    const noSub = range(0, 100);
    const spherical = range(200, 50);
    const vortex = range(0.5, 50);
    const m = ceilingMetrics({ no_sub: noSub, spherical, vortex });
    expect(m.aucSpherical).toBe(1);
    expect(m.aucVortex).toBeCloseTo(rocAuc([...noSub, ...vortex], [...noSub].map(() => 0).concat([...vortex].map(() => 1))), 12);
    expect(m.aucVortex).toBeLessThan(0.8);
    expect(m.aucPooled).toBeCloseTo((m.aucSpherical + m.aucVortex) / 2, 12); // equal class sizes
  });

  it('takes the FPR thresholds from the no_sub test scores', () => {
    const noSub = range(0, 100);
    const m = ceilingMetrics({ no_sub: noSub, spherical: range(94.5, 10), vortex: range(1000, 10) });
    // The lowest threshold keeping at most 1 (5) of the 100 no_sub scores at or above it: 98.5 (94.5).
    expect(m.tprAt1).toEqual({ maxFpr: 0.01, tpr: 16 / 20, fpr: 0.01, threshold: 98.5 });
    expect(m.tprAt5).toEqual({ maxFpr: 0.05, tpr: 20 / 20, fpr: 0.05, threshold: 94.5 });
  });

  it('reports no threshold when even the top score breaks the level, and refuses an empty class', () => {
    const m = ceilingMetrics({ no_sub: [5, 1], spherical: [0], vortex: [0] });
    expect(m.tprAt1).toEqual({ maxFpr: 0.01, tpr: 0, fpr: 0, threshold: null });
    expect(m.aucPooled).toBe(0);
    const err: unknown = (() => {
      try {
        return ceilingMetrics({ no_sub: [1], spherical: [], vortex: [] });
      } catch (e) {
        return e;
      }
    })();
    expect(isDarklensError(err) && err.code).toBe('invalid_argument');
  });
});

describe('class weights', () => {
  it('gives no_sub half the total weight and each substructure class a quarter, mean 1', () => {
    const counts = { no_sub: 90, spherical: 10, vortex: 20 };
    const w = classWeights(counts);
    const total = counts.no_sub + counts.spherical + counts.vortex;
    expect(w.no_sub * counts.no_sub).toBeCloseTo(total / 2, 9);
    expect(w.spherical * counts.spherical).toBeCloseTo(total / 4, 9);
    expect(w.vortex * counts.vortex).toBeCloseTo(total / 4, 9);
  });

  it('stacks classes with labels 0 / 1 / 1 and those weights', () => {
    const set = (count: number, v: number) => ({ count, size: 8, data: new Float32Array(count * 64).fill(v) });
    const s = stackClasses({ no_sub: set(3, 0.1), spherical: set(1, 0.2), vortex: set(2, 0.3) });
    expect(s.count).toBe(6);
    expect(Array.from(s.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(s.data[3 * 64]).toBeCloseTo(0.2, 6);
    expect(s.data[5 * 64 + 63]).toBeCloseTo(0.3, 6);
    const sum = s.weights.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(6, 5);
    expect(s.weights[0]! * 3).toBeCloseTo(s.weights[3]! * 1 + s.weights[4]! * 2, 5);
  });
});
