import { describe, expect, it } from 'vitest';
import { expectInvalid } from '../../../test/helpers/cutout-errors.js';
import { readMetricFixture } from '../../../test/helpers/metric-fixtures.js';
import { histogram, scoreHistograms } from './histogram.js';

/** histogram.json, written by scripts/make-metric-fixtures.py: numpy.histogram(values, bins, range). */
interface HistogramCase {
  values: number[];
  bins: number;
  range: [number, number] | null;
  counts: number[];
  edges: number[];
}

const cases = readMetricFixture<Record<string, HistogramCase>>('histogram.json');

describe('histogram against numpy.histogram', () => {
  it.each(Object.keys(cases))('%s', (name) => {
    const c = cases[name]!;
    const h = histogram(c.values, c.range === null ? { bins: c.bins } : { bins: c.bins, range: c.range });
    expect(h.edges).toEqual(c.edges);
    expect(h.counts).toEqual(c.counts);
    expect(h.total).toBe(c.values.length);
    expect(h.counts.reduce((a, b) => a + b, 0) + h.underflow + h.overflow).toBe(c.values.length);
  });

  it('bins values on nominal edges by the float edges, as numpy does', () => {
    // edges[3] = 3 * 0.1 = 0.30000000000000004 > 0.3, so 0.3 lands in bin 2, not bin 3.
    const c = cases['on-edges']!;
    expect(c.edges[3]).toBeGreaterThan(0.3);
    expect(c.counts).toEqual([1, 1, 2, 0, 1, 2, 1, 0, 1, 2]);
    // Binning by arithmetic alone (floor(v * 10), last bin closed) would put one value per bin.
    const naive = new Array<number>(10).fill(0);
    for (const v of c.values) naive[Math.min(9, Math.floor(v * 10))]!++;
    expect(naive).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
    expect(histogram(c.values, { bins: 10, range: [0, 1] }).counts).toEqual(c.counts);
  });

  it('counts values outside an explicit range separately', () => {
    const h = histogram([-3, -1, 0, 0.5, 1, 2, 7], { bins: 2, range: [0, 1] });
    expect(h).toEqual({ edges: [0, 0.5, 1], counts: [1, 2], underflow: 2, overflow: 2, total: 7 });
  });

  it('widens an all-equal range by 1/2 each side', () => {
    expect(histogram([2, 2], { bins: 2 }).edges).toEqual([1.5, 2, 2.5]);
  });

  it('rejects bad inputs with invalid_argument', () => {
    expectInvalid(() => histogram([], { bins: 3 }), /values is empty/);
    expectInvalid(() => histogram([1, NaN], { bins: 3 }), /values\[1\] is NaN/);
    expectInvalid(() => histogram([1, 2], { bins: 0 }), /bins is 0; pass an integer in \[1, 100000\]/);
    expectInvalid(() => histogram([1, 2], { bins: 2.5 }), /bins is 2.5/);
    expectInvalid(() => histogram([1, 2], { bins: 2, range: [1, 1] }), /range is \[1, 1\]; pass finite \[lo, hi\] with lo < hi/);
    expectInvalid(() => histogram([1, 2], { bins: 2, range: [0, Infinity] }), /range is \[0, Infinity\]/);
    expectInvalid(() => histogram([-1e308, 1e308], { bins: 2 }), /pass an explicit range/);
  });
});

describe('scoreHistograms', () => {
  const scores = [0.1, 0.4, 0.35, 0.9, 0.8, 0.2, 0.6];
  const classes = ['vortex', 'no_sub', 'no_sub', 'vortex', 'spherical', 'no_sub', 'spherical'];

  it('gives every class the same edges, spanning all scores, in lens-class order', () => {
    const h = scoreHistograms(scores, classes, { bins: 4 });
    expect(h.edges).toEqual(histogram(scores, { bins: 4 }).edges);
    expect(h.edges[0]).toBe(0.1);
    expect(h.edges[4]).toBe(0.9);
    expect(h.groups.map((g) => g.name)).toEqual(['no_sub', 'spherical', 'vortex']);
    // Edges 0.1, 0.3, 0.5, 0.7, 0.9 (as floats).
    expect(h.groups.map((g) => g.counts)).toEqual([
      [1, 2, 0, 0],
      [0, 0, 1, 1],
      [1, 0, 0, 1],
    ]);
    expect(h.groups.map((g) => g.total)).toEqual([3, 2, 2]);
    // Same counts as histogramming each class alone with the shared edges.
    for (const g of h.groups) {
      const own = scores.filter((_, i) => classes[i] === g.name);
      expect(g.counts).toEqual(histogram(own, { bins: 4, range: [0.1, 0.9] }).counts);
    }
  });

  it('accepts 0/1 labels (groups "0" and "1") and an explicit range', () => {
    const h = scoreHistograms(new Float64Array([0.1, 0.2, 0.7, 0.9, 1.5]), new Uint8Array([0, 0, 1, 1, 1]), {
      bins: 2,
      range: [0, 1],
    });
    expect(h.edges).toEqual([0, 0.5, 1]);
    expect(h.groups).toEqual([
      { name: '0', counts: [2, 0], underflow: 0, overflow: 0, total: 2 },
      { name: '1', counts: [0, 2], underflow: 0, overflow: 1, total: 3 },
    ]);
  });

  it('follows options.groups and puts unknown class names after the lens classes', () => {
    const h = scoreHistograms([1, 2, 3], ['b', 'vortex', 'a'], { bins: 1 });
    expect(h.groups.map((g) => g.name)).toEqual(['vortex', 'b', 'a']);
    const o = scoreHistograms([1, 2, 3], ['b', 'vortex', 'a'], { bins: 1, groups: ['a', 'b', 'vortex'] });
    expect(o.groups.map((g) => g.name)).toEqual(['a', 'b', 'vortex']);
  });

  it('rejects bad inputs with invalid_argument', () => {
    expectInvalid(() => scoreHistograms([], [], { bins: 2 }), /scores is empty/);
    expectInvalid(() => scoreHistograms([1, 2], [0], { bins: 2 }), /scores has 2 values but groups has 1/);
    expectInvalid(() => scoreHistograms([1, 2], [0, 2], { bins: 2 }), /groups\[1\] is 2; labels must be 0/);
    expectInvalid(() => scoreHistograms([1, 2], [0, 0], { bins: 2 }), /group "1" has no samples/);
    expectInvalid(() => scoreHistograms([1, 2], ['no_sub', ''], { bins: 2 }), /groups\[1\] is ""/);
    expectInvalid(
      () => scoreHistograms([1, 2], ['no_sub', 'vortex'], { bins: 2, groups: ['no_sub'] }),
      /group "vortex", which options.groups \(no_sub\) does not list/,
    );
    expectInvalid(
      () => scoreHistograms([1, 2], ['no_sub', 'vortex'], { bins: 2, groups: ['no_sub', 'vortex', 'spherical'] }),
      /group "spherical" has no samples/,
    );
    expectInvalid(() => scoreHistograms([1, NaN], ['no_sub', 'vortex'], { bins: 2 }), /scores\[1\] is NaN/);
  });
});
