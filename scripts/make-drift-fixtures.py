#!/usr/bin/python3
"""Writes core/test-fixtures/drift/ks.json, the scipy cross-check of core/src/stats/drift.ts's
two-sample Kolmogorov-Smirnov test, so its tests compare against scipy rather than numbers typed by
hand. The tests only read the JSON: they never need python.

Run from the repository root with Debian's python3 (apt-get install -y python3-scipy):
    /usr/bin/python3 scripts/make-drift-fixtures.py

ks.json (every float written with repr, so JSON.parse gives back the same float64):
  scipy       the scipy version that wrote it
  references  name -> sorted float list: the calibration-like reference samples
  twoSample   list of {name, reference, sample, statistic, pValue}:
              scipy.stats.ks_2samp(sample, reference, method='asymp') (two-sided). Samples drawn from
              the reference's own law, shifted, wider, with ties, small (n < 20) and larger than the
              reference, so every region of the p-value's algorithm is reached.
  kstwo       list of {n, d, sf}: scipy.stats.kstwo.sf(d, n), the one-sample law the asymp p-value
              reads at n = round(n1 n2 / (n1 + n2)); a grid over n and d that crosses every method
              boundary (n 140/141, n d^2 at 0.75, 2.2, 4, 18, 370, n > 100000).
"""
import json
import os

import numpy as np
import scipy
from scipy.stats import kstwo, ks_2samp

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'core', 'test-fixtures', 'drift')
os.makedirs(OUT, exist_ok=True)

rng = np.random.default_rng(20260714)


def floats(a):
    return [float(x) for x in np.asarray(a, dtype=np.float64).ravel()]


def short(a):
    """Values rounded to 6 significant digits (a smaller file; scipy sees the rounded values too)."""
    return np.array([float(f'{x:.6g}') for x in np.asarray(a, dtype=np.float64).ravel()])


# Calibration-like scores: positive, skewed (log-normal), as anomaly scores are.
references = {
    'lognormal-1000': np.sort(short(rng.lognormal(mean=-6.0, sigma=0.35, size=1000))),
    'normal-300': np.sort(short(rng.normal(size=300))),
    'integers-500': np.sort(rng.integers(0, 20, size=500).astype(np.float64)),
}

ref = references['lognormal-1000']
cases = []


def case(name, reference, sample):
    sample = short(sample)
    r = ks_2samp(sample, references[reference], method='asymp')
    cases.append({'name': name, 'reference': reference, 'sample': floats(sample), 'statistic': float(r.statistic), 'pValue': float(r.pvalue)})


def draw(n):
    return rng.choice(ref, size=n, replace=True) * np.exp(rng.normal(scale=1e-6, size=n))


for n in (3, 7, 12, 19, 20, 50, 200, 600):
    case(f'same law n={n}', 'lognormal-1000', rng.lognormal(-6.0, 0.35, size=n))
case('resampled from the reference n=400', 'lognormal-1000', draw(400))
for n, shift in ((10, 0.3), (30, 0.2), (100, 0.1), (300, 0.05), (600, 0.15), (1500, 0.04)):
    case(f'shifted {shift} n={n}', 'lognormal-1000', rng.lognormal(-6.0 + shift, 0.35, size=n))
case('wider, same median n=500', 'lognormal-1000', rng.lognormal(-6.0, 0.6, size=500))
case('far away n=25', 'lognormal-1000', rng.lognormal(-4.0, 0.35, size=25))
case('larger than the reference n=2500', 'lognormal-1000', rng.lognormal(-5.97, 0.35, size=2500))
case('the reference itself', 'lognormal-1000', ref)
case('normal vs normal n=150', 'normal-300', rng.normal(size=150))
case('normal shifted n=40', 'normal-300', rng.normal(loc=0.6, size=40))
case('ties n=60', 'integers-500', rng.integers(0, 20, size=60).astype(np.float64))
case('ties shifted n=300', 'integers-500', rng.integers(2, 22, size=300).astype(np.float64))
case('one value', 'normal-300', [0.1])

grid = []
for n in (1, 2, 3, 5, 10, 20, 64, 140, 141, 500, 2000, 20000, 150000):
    for z in (0.3, 0.6, 0.8, 0.87, 1.0, 1.2, 1.48, 1.6, 2.0, 2.5, 3.0, 4.5, 6.0):
        d = z / np.sqrt(n)
        if 0 < d < 1:
            grid.append({'n': n, 'd': float(d), 'sf': float(kstwo.sf(d, n))})
    for d in (0.6 / n, 0.9 / n, 0.55, 0.8, 1 - 1.5 / n):
        if 0 < d < 1:
            grid.append({'n': n, 'd': float(d), 'sf': float(kstwo.sf(d, n))})

with open(os.path.join(OUT, 'ks.json'), 'w') as f:
    json.dump({'scipy': scipy.__version__, 'references': {k: floats(v) for k, v in references.items()}, 'twoSample': cases, 'kstwo': grid}, f)
    f.write('\n')
print(f'wrote {len(cases)} two-sample cases and {len(grid)} kstwo points to {OUT}/ks.json')
