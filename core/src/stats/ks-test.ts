/**
 * The two-sample Kolmogorov-Smirnov test of a batch's scores against a model's calibration scores,
 * as scipy.stats.ks_2samp(sample, reference, method='asymp') computes it (cross-checked in
 * drift.test.ts): the statistic from the two empirical CDFs at every value of either sample, the
 * p-value from the Kolmogorov law at the effective size n m / (n + m), rounded.
 */
import { DarklensError } from '../errors.js';
import { checkFinite } from './finite.js';
import { kolmogorovSf } from './kolmogorov.js';

export interface KsResult {
  /** sup |F_sample - F_reference|, in [0, 1]. */
  statistic: number;
  /** Two-sided p-value: small when the sample was not drawn from the reference's law. */
  pValue: number;
  /** Sizes of the sample and the reference. */
  n: number;
  m: number;
}

/** Round half to even (numpy's np.round), so the effective size is scipy's. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * KS test of `sample` (any order) against `referenceSorted` (ascending, as ReferenceScores.sorted
 * keeps calibration scores). Both non-empty and finite.
 */
export function ksTwoSample(sample: ArrayLike<number>, referenceSorted: ArrayLike<number>): KsResult {
  checkFinite('ksTwoSample', sample, 'sample');
  checkFinite('ksTwoSample', referenceSorted, 'reference');
  const a = Float64Array.from(sample).sort();
  const b = referenceSorted;
  const n = a.length;
  const m = b.length;
  for (let j = 1; j < m; j++) {
    if (b[j]! < b[j - 1]!) throw new DarklensError('invalid_argument', `ksTwoSample: reference[${j}] < reference[${j - 1}]; the reference must be sorted ascending`);
  }
  // Walk both sorted lists; at each distinct value both CDFs count every copy of it (scipy's
  // searchsorted(side='right')), and i/n - j/m is the same float scipy forms.
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n || j < m) {
    const v = j >= m || (i < n && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n && a[i] === v) i++;
    while (j < m && b[j] === v) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  const big = Math.max(n, m);
  const small = Math.min(n, m);
  const en = Math.max(1, roundHalfEven((big * small) / (big + small)));
  return { statistic: d, pValue: kolmogorovSf(en, d), n, m };
}
