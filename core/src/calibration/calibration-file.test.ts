import { describe, expect, it } from 'vitest';
import { oneTo, shuffled } from '../../../test/helpers/calibration-data.js';
import { expectInvalid } from '../../../test/helpers/cutout-errors.js';
import { buildCalibration, parseCalibration, SCORE_DEFINITION, scoreHistogram, type CalibrationFile } from './calibration-file.js';
import { labelledThreshold } from './thresholds.js';

const base = {
  model: { name: 'cae', version: '0.1.0' },
  input: { width: 64, height: 64, pixelScale: 0.101, psfFwhm: 0.6 },
  set: 'no_sub/calibration',
  seed: 7,
  createdAt: '2025-03-01T12:00:00.000Z',
};

describe('buildCalibration', () => {
  const file = buildCalibration({ ...base, scores: shuffled(oneTo(100)) });

  it('scores 1..100: stores sorted scores, thresholds, CIs, histogram', () => {
    expect(file.version).toBe(1);
    expect(file.model).toEqual({ name: 'cae', version: '0.1.0' });
    expect(file.score.definition).toBe(SCORE_DEFINITION);
    expect(file.input).toEqual({ width: 64, height: 64, pixelScale: 0.101, psfFwhm: 0.6, normalization: 'minmax' });
    expect(file.calibration).toEqual({ set: 'no_sub/calibration', count: 100, seed: 7, scores: oneTo(100) });
    expect(file.thresholds.default).toBe('fpr-0.05');
    expect(file.thresholds.bootstrap).toEqual({ resamples: 1000, level: 0.95 });
    const [q01, q05, ks] = file.thresholds.items;
    expect(q01).toMatchObject({ name: 'fpr-0.01', value: 99, method: 'quantile', fpr: 0.01 });
    expect(q05).toMatchObject({ name: 'fpr-0.05', value: 95, method: 'quantile', fpr: 0.05 });
    expect(q05!.rule).toBeUndefined();
    for (const q of [q01!, q05!]) {
      expect(q.ci![0]).toBeLessThanOrEqual(q.value);
      expect(q.ci![1]).toBeGreaterThanOrEqual(q.value);
    }
    expect(ks).toEqual({ name: 'mean+3sigma', value: 50.5 + 3 * Math.sqrt((100 * 101) / 12), method: 'mean+ksigma', k: 3 });
    expect(file.thresholds.items).toHaveLength(3);
    expect(file.histogram.edges).toHaveLength(51);
    expect(file.histogram.edges[0]).toBe(1);
    expect(file.histogram.edges[50]).toBe(100);
    expect(file.histogram.counts.reduce((a, b) => a + b, 0)).toBe(100);
    expect(file.createdAt).toBe('2025-03-01T12:00:00.000Z');
  });

  it('is deterministic for a seed and independent of score order', () => {
    expect(buildCalibration({ ...base, scores: shuffled(oneTo(100), 5) })).toEqual(file);
    const other = buildCalibration({ ...base, seed: 8, scores: oneTo(100) });
    expect(other.thresholds.items[1]!.value).toBe(95);
    expect(other.calibration.seed).toBe(8);
  });

  it('round-trips through JSON', () => {
    const text = JSON.stringify(file);
    expect(parseCalibration(JSON.parse(text))).toEqual(file);
    expect(JSON.stringify(parseCalibration(JSON.parse(text)))).toBe(text);
  });

  it('conformal rule, manual, labelled thresholds, custom default, no bootstrap', () => {
    const labelled = { scores: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], labels: [0, 0, 1, 0, 1, 1] };
    const f = buildCalibration({
      ...base,
      scores: oneTo(100),
      fprs: [0.1, 0.05],
      quantileRule: 'conformal',
      bootstrap: false,
      kSigmas: [],
      manual: [{ name: 'hand', value: 42 }],
      labelled,
      defaultThreshold: 'hand',
      createdAt: new Date(Date.UTC(2025, 0, 2)),
      histogramBins: 3,
    });
    expect(f.thresholds.items).toEqual([
      { name: 'fpr-0.1', value: 91, method: 'quantile', fpr: 0.1, rule: 'conformal' },
      { name: 'fpr-0.05', value: 96, method: 'quantile', fpr: 0.05, rule: 'conformal' },
      { name: 'hand', value: 42, method: 'manual' },
      { name: 'f1', value: 0.2, method: 'f1', metricValue: 6 / 7 },
      { name: 'youden', value: labelledThreshold(labelled.scores, labelled.labels, 'youden').threshold, method: 'youden', metricValue: 2 / 3 },
    ]);
    expect(f.thresholds.default).toBe('hand');
    expect(f.thresholds.bootstrap).toBeUndefined();
    expect(f.createdAt).toBe('2025-01-02T00:00:00.000Z');
    expect(f.histogram).toEqual({ edges: [1, 34, 67, 100], counts: [33, 33, 34] });
  });

  it('defaults to the first fpr when 0.05 is not among them', () => {
    expect(buildCalibration({ ...base, scores: oneTo(100), fprs: [0.2, 0.1], bootstrap: false }).thresholds.default).toBe('fpr-0.2');
  });

  it('refuses what cannot make a valid file', () => {
    expectInvalid(() => buildCalibration({ ...base, scores: [] }), /calibration scores is empty/);
    expectInvalid(() => buildCalibration({ ...base, scores: [1, NaN] }), /calibration scores\[1\] is NaN/);
    expectInvalid(() => buildCalibration({ ...base, scores: oneTo(10), seed: -1 }), /seed is -1/);
    expectInvalid(() => buildCalibration({ ...base, scores: oneTo(10), fprs: [1.5] }), /fprs entry is 1.5/);
    expectInvalid(() => buildCalibration({ ...base, scores: oneTo(100), fprs: [0.05, 0.05] }), /"fpr-0.05" is used twice/);
    expectInvalid(() => buildCalibration({ ...base, scores: oneTo(100), defaultThreshold: 'fpr-0.5' }), /thresholds.default is "fpr-0.5"/);
    expectInvalid(() => buildCalibration({ ...base, scores: oneTo(100), fprs: [], kSigmas: [] }), /no threshold to store/);
    expectInvalid(
      () => buildCalibration({ ...base, scores: oneTo(100), labelled: { scores: [1, 2], labels: [0, 0] } }),
      /need labelled anomalies and normals; got 0 anomalies/,
    );
    expectInvalid(() => buildCalibration({ ...base, scores: oneTo(100), manual: [{ name: 'm', value: NaN }] }), /manual threshold is NaN/);
    expectInvalid(() => buildCalibration({ ...base, scores: oneTo(100), histogramBins: 0 }), /histogram bins is 0/);
    expectInvalid(() => buildCalibration({ ...base, scores: oneTo(100), input: { ...base.input, width: 0 } }), /input.width is 0/);
  });
});

describe('scoreHistogram', () => {
  it('equal-width bins, last bin closed', () => {
    expect(scoreHistogram([1, 2, 3, 4], 3)).toEqual({ edges: [1, 2, 3, 4], counts: [1, 1, 2] });
    expect(scoreHistogram([0, 0.5, 1], 2)).toEqual({ edges: [0, 0.5, 1], counts: [1, 2] });
  });

  it('constant scores get one bin around them', () => {
    const h = scoreHistogram([5, 5], 10);
    expect(h.counts).toEqual([2]);
    expect(h.edges[0]).toBeLessThan(5);
    expect(h.edges[1]).toBeGreaterThan(5);
  });
});

describe('parseCalibration rejects each malformed field', () => {
  const valid = buildCalibration({
    ...base,
    scores: oneTo(50),
    bootstrap: { resamples: 50 },
    manual: [{ name: 'hand', value: 10 }],
    labelled: { scores: [1, 2, 3, 4], labels: [0, 1, 0, 1] },
  });
  const json = (): unknown => JSON.parse(JSON.stringify(valid));

  /** A mutation of a fresh copy: sets the value at a dotted path ("thresholds.items.0.fpr"); undefined deletes it. */
  const set =
    (path: string, value: unknown) =>
    (f: unknown): unknown => {
      const keys = path.split('.');
      let node = f as Record<string, unknown>;
      for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
      const last = keys[keys.length - 1]!;
      if (value === undefined) delete node[last];
      else node[last] = value;
      return f;
    };

  it('accepts the valid file and returns a fresh copy', () => {
    const input = json() as CalibrationFile;
    const parsed = parseCalibration(input);
    expect(parsed).toEqual(valid);
    expect(parsed.calibration.scores).not.toBe(input.calibration.scores);
    expect(valid.thresholds.items.map((i) => i.method)).toEqual(['quantile', 'quantile', 'mean+ksigma', 'manual', 'f1', 'youden']);
  });

  // Each case edits a fresh copy of the valid file; the error must name the field.
  const cases: [string, (f: unknown) => unknown, RegExp][] = [
    ['root null', () => null, /calibration \(root\) is null; an object/],
    ['root array', () => [], /calibration \(root\) is an array/],
    ['root string', () => 'calibration', /calibration \(root\) is "calibration"/],
    ['unknown root field', set('extra', 1), /\(root\) has unknown field "extra"/],
    ['version 2', set('version', 2), /calibration version is 2; this darklens reads calibration version 1/],
    ['version missing', set('version', undefined), /calibration \(root\)\.version is missing/],
    ['model missing', set('model', undefined), /\.model is missing/],
    ['model.name empty', set('model.name', ''), /calibration model\.name is ""; a non-empty string/],
    ['model.version number', set('model.version', 3), /calibration model\.version is 3/],
    ['model unknown field', set('model.arch', 'x'), /calibration model has unknown field "arch"/],
    ['score.definition', set('score.definition', 'max abs error'), /calibration score\.definition is "max abs error"; score mse is "per-image mean squared error/],
    ['score.name unknown', set('score.name', 'l1'), /calibration score\.name is "l1"; accepted: mse, chi2/],
    ['input.width 0', set('input.width', 0), /calibration input\.width is 0; a positive integer/],
    ['input.width fractional', set('input.width', 64.5), /calibration input\.width is 64\.5/],
    ['input.height string', set('input.height', '64'), /calibration input\.height is "64"/],
    ['input.pixelScale 0', set('input.pixelScale', 0), /calibration input\.pixelScale is 0; a positive finite number/],
    ['input.normalization', set('input.normalization', 'zscore'), /calibration input\.normalization is "zscore"; only "minmax"/],
    ['input.psfFwhm negative', set('input.psfFwhm', -1), /calibration input\.psfFwhm is -1/],
    ['input typo', set('input.psfFWHM', 1), /calibration input has unknown field "psfFWHM"/],
    ['calibration.set', set('calibration.set', 3), /calibration calibration\.set is 3/],
    ['calibration.count mismatch', set('calibration.count', 49), /calibration calibration\.count is 49 but calibration\.scores has 50/],
    ['calibration.count zero', set('calibration.count', 0), /calibration calibration\.count is 0/],
    ['calibration.seed negative', set('calibration.seed', -1), /calibration calibration\.seed is -1/],
    ['calibration.seed fractional', set('calibration.seed', 0.5), /calibration calibration\.seed is 0\.5/],
    ['calibration.scores unsorted', set('calibration.scores', [1, 2, 3, 5, 4, ...oneTo(50).slice(5)]), /calibration\.scores is not sorted ascending at index 4/],
    ['calibration.scores non-number', set('calibration.scores.2', 'x'), /calibration calibration\.scores\[2\] is "x"; a finite number/],
    ['calibration.scores NaN', set('calibration.scores.2', NaN), /calibration calibration\.scores\[2\] is NaN/],
    ['calibration.scores null', set('calibration.scores.0', null), /calibration calibration\.scores\[0\] is null/],
    ['calibration.scores empty', set('calibration.scores', []), /calibration calibration\.scores has 0 entries/],
    ['calibration.scores object', set('calibration.scores', {}), /calibration calibration\.scores is an object; an array/],
    ['thresholds.default unknown', set('thresholds.default', 'fpr-0.5'), /thresholds\.default is "fpr-0\.5", which is not a threshold name; accepted: fpr-0\.01/],
    ['thresholds.items empty', set('thresholds.items', []), /thresholds\.items is an array; a non-empty array/],
    ['item method', set('thresholds.items.0.method', 'median'), /thresholds\.items\[0\]\.method is "median"; accepted: quantile, mean\+ksigma/],
    ['item value', set('thresholds.items.1.value', 'high'), /thresholds\.items\[1\]\.value is "high"; a finite number/],
    ['item name', set('thresholds.items.1.name', ''), /thresholds\.items\[1\]\.name is ""/],
    ['item duplicate name', set('thresholds.items.1.name', 'fpr-0.01'), /thresholds\.items\[1\]\.name "fpr-0\.01" is used twice/],
    ['quantile without fpr', set('thresholds.items.0.fpr', undefined), /thresholds\.items\[0\]\.fpr is missing/],
    ['quantile fpr 1', set('thresholds.items.0.fpr', 1), /thresholds\.items\[0\]\.fpr is 1; a number strictly between 0 and 1/],
    ['quantile rule', set('thresholds.items.0.rule', 'midpoint'), /thresholds\.items\[0\]\.rule is "midpoint"; accepted: empirical, conformal/],
    ['fpr on manual', set('thresholds.items.3.fpr', 0.05), /thresholds\.items\[3\]\.fpr is only allowed with method quantile, not manual/],
    ['mean+ksigma without k', set('thresholds.items.2.k', undefined), /thresholds\.items\[2\]\.k is missing/],
    ['k on quantile', set('thresholds.items.0.k', 3), /thresholds\.items\[0\]\.k is only allowed with method mean\+ksigma/],
    ['metricValue out of range', set('thresholds.items.4.metricValue', 1.5), /thresholds\.items\[4\]\.metricValue is 1\.5; f1 lies in \[0, 1\]/],
    ['metricValue on manual', set('thresholds.items.3.metricValue', 0.5), /thresholds\.items\[3\]\.metricValue is only allowed with method f1 or youden/],
    ['ci reversed', set('thresholds.items.0.ci', [3, 2]), /thresholds\.items\[0\]\.ci is \[3, 2\]; lo <= hi/],
    ['ci short', set('thresholds.items.0.ci', [3]), /thresholds\.items\[0\]\.ci has 1 entries/],
    ['ci long', set('thresholds.items.0.ci', [1, 2, 3]), /thresholds\.items\[0\]\.ci has 3 entries; \[lo, hi\]/],
    ['item unknown field', set('thresholds.items.0.note', 'x'), /thresholds\.items\[0\] has unknown field "note"/],
    ['bootstrap level', set('thresholds.bootstrap.level', 95), /thresholds\.bootstrap\.level is 95/],
    ['bootstrap resamples', set('thresholds.bootstrap.resamples', 0), /thresholds\.bootstrap\.resamples is 0/],
    ['histogram counts length', set('histogram.counts', valid.histogram.counts.slice(0, -1)), /histogram\.counts has 49 entries but histogram\.edges has 51/],
    ['histogram edges order', set('histogram.edges.3', valid.histogram.edges[2]), /histogram\.edges is not strictly increasing at index 3/],
    ['histogram negative count', set('histogram.counts.0', -1), /histogram\.counts\[0\] is -1; a non-negative integer/],
    ['histogram total', set('histogram.counts.0', valid.histogram.counts[0]! + 1), /histogram\.counts sum to 51 but calibration\.count is 50/],
    ['histogram missing', set('histogram', undefined), /\.histogram is missing/],
    ['createdAt free text', set('createdAt', 'yesterday'), /calibration createdAt is "yesterday"; an ISO 8601 date-time/],
    ['createdAt impossible date', set('createdAt', '2025-13-45T00:00:00Z'), /calibration createdAt is "2025-13-45T00:00:00Z"/],
  ];

  for (const [label, mutate, message] of cases) {
    it(label, () => {
      expectInvalid(() => parseCalibration(mutate(json())), message);
    });
  }

  it('the typed result is a CalibrationFile', () => {
    const f: CalibrationFile = parseCalibration(json());
    expect(f.thresholds.items.find((i) => i.name === 'hand')?.value).toBe(10);
  });
});
