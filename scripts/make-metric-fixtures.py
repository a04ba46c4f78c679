#!/usr/bin/python3
"""Writes the cross-check fixtures for training/src/metrics/ under training/test-fixtures/metrics/,
so the metric tests compare darklens against sklearn, scipy and numpy rather than against numbers
typed by hand. The tests only read the JSON: they never need python.

Run from the repository root with Debian's python3 (apt-get install -y python3-sklearn python3-scipy):
    /usr/bin/python3 scripts/make-metric-fixtures.py

Files (every float is written with repr, so JSON.parse gives back the same float64):

binary.json: case -> {scores, labels, auc, ap, roc?, pr?, tprAtFpr}
  auc       sklearn.metrics.roc_auc_score(labels, scores)
  ap        sklearn.metrics.average_precision_score(labels, scores)
  roc       sklearn.metrics.roc_curve(labels, scores, drop_intermediate=False) as {fpr, tpr, thresholds};
            thresholds[0] is written as null: sklearn 1.2 puts max(score) + 1 there, darklens puts
            Infinity (flag nothing). Left out for the large case to keep the file small.
  pr        sklearn.metrics.precision_recall_curve(labels, scores) reversed into descending-threshold
            order, without sklearn's final (recall 0, precision 1) point: {precision, recall, thresholds}.
            sklearn stops at the first threshold reaching full recall; darklens goes on to the lowest
            score, so the tests compare the first len(thresholds) points.
  tprAtFpr  level -> {tpr, fpr, threshold}: on sklearn's drop_intermediate=False curve, the last point
            (lowest threshold) whose fpr <= level; threshold null means the artificial first point
            (nothing flagged).
  naiveAuc  for the tie cases, the AUC a sort-based count without tie correction would give
            (positives ranked by position after a stable sort by score), to show the case can tell
            the two apart.

classes.json: {scores, classes, expected}: three classes with unequal counts; expected holds sklearn's
  pooled (spherical + vortex vs no_sub) and per-class (class vs no_sub) AUC, the pooled AP and the
  TPR at FPR 1% and 5% read off the pooled curve as above.

w1.json: case -> {count, height, width, input, reconstruction, w1, w1Rows}
  input, reconstruction: [N, H, W] float64 arrays flattened in C order (row-major images).
  w1[i]     scipy.stats.wasserstein_distance(u, v) with u = input[i].sum(axis=0) and
            v = reconstruction[i].sum(axis=0): the axis summed is axis 0, the rows, so u and v hold
            one value per column (W values), the "column sums" of the reference.
  w1Rows[i] the same with .sum(axis=1) (one value per row, H values): the wrong axis. The script
            checks it differs from w1[i] (for every image, except in integer-ties: for at least one),
            so a test can tell the axes apart.

histogram.json: case -> {values, bins, range (null = numpy's default), counts, edges}
  numpy.histogram(values, bins=bins, range=range); counts, edges exactly as numpy gives them.
"""
import json
import os

import numpy as np
from scipy.stats import wasserstein_distance
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'training', 'test-fixtures', 'metrics')
os.makedirs(OUT, exist_ok=True)
for name in os.listdir(OUT):
    if name.endswith('.json'):
        os.remove(os.path.join(OUT, name))

rng = np.random.default_rng(2008_12731)
LEVELS = [0.0, 0.01, 0.05, 0.1, 0.5, 1.0]


def floats(a):
    return [float(x) for x in np.asarray(a, dtype=np.float64).ravel()]


def naive_auc(scores, labels):
    """Sort-based AUC that ignores ties: after a stable sort by score, each negative counts the
    positives placed after it, as if no two scores were equal."""
    order = np.argsort(scores, kind='stable')
    above = 0
    pairs = 0
    for i in order[::-1]:
        if labels[i] == 1:
            above += 1
        else:
            pairs += above
    return pairs / (labels.sum() * (len(labels) - labels.sum()))


def tpr_at(labels, scores):
    fpr, tpr, thr = roc_curve(labels, scores, drop_intermediate=False)
    out = {}
    for level in LEVELS:
        idx = int(np.nonzero(fpr <= level)[0][-1])
        out[repr(level)] = {
            'tpr': float(tpr[idx]),
            'fpr': float(fpr[idx]),
            'threshold': None if idx == 0 else float(thr[idx]),
        }
    return out


def binary_case(scores, labels, curves=True, ties=False):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    case = {
        'scores': floats(scores),
        'labels': [int(x) for x in labels],
        'auc': float(roc_auc_score(labels, scores)),
        'ap': float(average_precision_score(labels, scores)),
        'tprAtFpr': tpr_at(labels, scores),
    }
    if curves:
        fpr, tpr, thr = roc_curve(labels, scores, drop_intermediate=False)
        thresholds = [None] + floats(thr[1:])
        case['roc'] = {'fpr': floats(fpr), 'tpr': floats(tpr), 'thresholds': thresholds}
        precision, recall, pthr = precision_recall_curve(labels, scores)
        case['pr'] = {
            'precision': floats(precision[:-1][::-1]),
            'recall': floats(recall[:-1][::-1]),
            'thresholds': floats(pthr[::-1]),
        }
    if ties:
        case['naiveAuc'] = float(naive_auc(scores, labels))
        assert abs(case['naiveAuc'] - case['auc']) > 1e-3, 'tie case does not separate naive and tie-aware AUC'
    return case


binary = {}

# Continuous scores, no ties.
n = 200
labels = rng.integers(0, 2, size=n)
binary['random'] = binary_case(rng.normal(size=n) + 0.8 * labels, labels)

# Heavy ties: scores on a 0.1 grid, many positives and negatives share a score.
n = 300
labels = rng.integers(0, 2, size=n)
binary['heavy-ties'] = binary_case(np.round(rng.normal(size=n) * 0.6 + 0.5 * labels, 1), labels, ties=True)

# Only three distinct values, classes interleaved in the input order.
labels = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0])
binary['three-levels'] = binary_case(np.array([2, 1, 3, 2, 2, 1, 3, 3, 1, 2, 2, 1], dtype=float), labels, ties=True)

# All scores equal: one ROC step from (0, 0) to (1, 1); AUC 1/2, AP = positive fraction.
labels = np.array([0, 1, 0, 0, 1, 1, 0, 1, 0, 0])
binary['all-equal'] = binary_case(np.full(10, 0.25), labels, ties=True)

# Perfect separation and its inverse.
labels = np.array([0, 0, 0, 1, 1, 0, 1, 0])
perfect = np.array([0.1, 0.2, 0.15, 0.9, 0.8, 0.3, 0.7, 0.05])
binary['perfect'] = binary_case(perfect, labels)
binary['inverted'] = binary_case(-perfect, labels)

# Tiny n = 2.
binary['tiny'] = binary_case([0.3, 0.7], [0, 1])
binary['tiny-inverted'] = binary_case([0.3, 0.7], [1, 0])
binary['tiny-tie'] = binary_case([0.5, 0.5], [1, 0], ties=True)

# Large n = 5000, imbalanced, scores on a 0.001 grid (so ties happen); scalar metrics only.
n = 5000
labels = (rng.random(size=n) < 0.3).astype(np.int64)
binary['large'] = binary_case(np.round(rng.gamma(2.0, 1.0, size=n) + 0.5 * labels, 3), labels, curves=False)

# Three classes, unequal counts, some ties.
counts = {'no_sub': 240, 'spherical': 150, 'vortex': 90}
shift = {'no_sub': 0.0, 'spherical': 0.7, 'vortex': 1.2}
classes = [c for c, k in counts.items() for _ in range(k)]
rng.shuffle(classes)
scores = np.round(np.array([rng.normal() + shift[c] for c in classes]), 2)
cls = np.array(classes)
pooled_labels = (cls != 'no_sub').astype(np.int64)
expected = {
    'counts': counts,
    'aucPooled': float(roc_auc_score(pooled_labels, scores)),
    'aupr': float(average_precision_score(pooled_labels, scores)),
    'tprAt1': tpr_at(pooled_labels, scores)['0.01'],
    'tprAt5': tpr_at(pooled_labels, scores)['0.05'],
}
for c, key in (('spherical', 'aucSpherical'), ('vortex', 'aucVortex')):
    keep = (cls == 'no_sub') | (cls == c)
    expected[key] = float(roc_auc_score((cls[keep] == c).astype(np.int64), scores[keep]))
classes_fixture = {'scores': floats(scores), 'classes': classes, 'expected': expected}

# W1 of column sums.
w1 = {}


def w1_case(name, inp, rec, every_image_differs=True):
    n_img, h, w = inp.shape
    per = []
    rows = []
    for i in range(n_img):
        u = inp[i].sum(axis=0)  # sum over the rows: one value per column
        v = rec[i].sum(axis=0)
        assert u.shape == (w,)
        per.append(float(wasserstein_distance(u, v)))
        rows.append(float(wasserstein_distance(inp[i].sum(axis=1), rec[i].sum(axis=1))))
    differs = [abs(a - b) > 1e-6 * max(1.0, abs(a)) for a, b in zip(per, rows)]
    assert all(differs) if every_image_differs else any(differs), 'axes not told apart in %s' % name
    w1[name] = {
        'count': n_img, 'height': h, 'width': w,
        'input': floats(inp), 'reconstruction': floats(rec),
        'w1': per, 'w1Rows': rows,
    }


inp = rng.random(size=(3, 4, 6))
w1_case('non-square', inp, inp + rng.normal(scale=0.2, size=inp.shape))
inp = rng.random(size=(2, 7, 3))
w1_case('tall', inp, rng.random(size=inp.shape))
inp = rng.random(size=(4, 8, 8))
w1_case('square', inp, inp + rng.normal(scale=0.3, size=inp.shape))
# Small integers: tied column sums inside each image.
inp = rng.integers(0, 3, size=(3, 5, 5)).astype(np.float64)
w1_case('integer-ties', inp, rng.integers(0, 3, size=inp.shape).astype(np.float64), every_image_differs=False)

# numpy.histogram.
hist = {}


def hist_case(name, values, bins, rng_=None):
    values = np.asarray(values, dtype=np.float64)
    counts, edges = np.histogram(values, bins=bins, range=rng_)
    hist[name] = {
        'values': floats(values), 'bins': bins, 'range': None if rng_ is None else [float(rng_[0]), float(rng_[1])],
        'counts': [int(c) for c in counts], 'edges': floats(edges),
    }


hist_case('auto-range', rng.normal(size=500), 12)
hist_case('explicit-range-with-outliers', rng.normal(size=300) * 2, 8, (-1.5, 2.5))
# Values on the nominal edges k/10: float edges (3 * 0.1 = 0.30000000000000004) decide the bin.
hist_case('on-edges', np.arange(11) / 10, 10, (0.0, 1.0))
hist_case('on-edges-7', np.arange(22) / 7 - 1, 7, (-1.0, 2.0))
hist_case('all-equal', np.full(9, 3.0), 4)
hist_case('one-bin', rng.random(size=20), 1)

with open(os.path.join(OUT, 'binary.json'), 'w') as f:
    json.dump(binary, f, allow_nan=False, separators=(',', ':'))
with open(os.path.join(OUT, 'classes.json'), 'w') as f:
    json.dump(classes_fixture, f, allow_nan=False, separators=(',', ':'))
with open(os.path.join(OUT, 'w1.json'), 'w') as f:
    json.dump(w1, f, allow_nan=False, separators=(',', ':'))
with open(os.path.join(OUT, 'histogram.json'), 'w') as f:
    json.dump(hist, f, allow_nan=False, separators=(',', ':'))
total = sum(os.path.getsize(os.path.join(OUT, p)) for p in os.listdir(OUT))
print('wrote %d binary, 1 class, %d W1 and %d histogram cases to %s (%d bytes)'
      % (len(binary), len(w1), len(hist), os.path.normpath(OUT), total))
