import { describe, expect, it } from 'vitest';
import { medianIn, medianOf, quantilesOf, select, selectRanks } from './order-statistics.js';

/** mulberry32, so the cases are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// -0 and +0 are equal values: either may come out where a sort has both (hence the `+ 0`s).

/** Inputs that stress each path: sizes either side of the radix cut-off, ties, skew, signs, infinities. */
function inputs(): [string, Float64Array][] {
  const r = rng(7);
  const out: [string, Float64Array][] = [];
  for (const n of [1, 2, 3, 10, 191, 192, 193, 500, 4096, 10000]) {
    out.push([`uniform ${n}`, Float64Array.from({ length: n }, () => r())]);
    out.push([`ties ${n}`, Float64Array.from({ length: n }, () => Math.floor(r() * 7) - 3)]);
    out.push([`skewed ${n}`, Float64Array.from({ length: n }, () => Math.exp(-30 * r()) * (r() < 0.5 ? 1e-3 : 1))]);
  }
  out.push(['constant', new Float64Array(1000).fill(0.25)]);
  out.push(['geometric', Float64Array.from({ length: 1000 }, (_, i) => 2 ** -i)]);
  out.push(['signed zeros and signs', Float64Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? -0 : i % 3 === 1 ? 0 : (r() - 0.5) * 1e6))]);
  out.push(['infinities', Float64Array.from({ length: 600 }, (_, i) => (i === 5 ? Infinity : i === 9 ? -Infinity : r()))]);
  out.push(['one outlier', Float64Array.from({ length: 3000 }, (_, i) => (i === 77 ? 1e300 : r()))]);
  return out;
}

describe('order statistics', () => {
  it('select gives the value a sort puts at each position', () => {
    for (const [name, v] of inputs()) {
      const sorted = Float64Array.from(v).sort();
      for (const k of [0, v.length >> 2, v.length >> 1, v.length - 1]) expect(select(Float64Array.from(v), v.length, k) + 0, `${name} @${k}`).toBe(sorted[k]! + 0);
    }
  });

  it('selectRanks gives many positions at once', () => {
    for (const [name, v] of inputs()) {
      const sorted = Float64Array.from(v).sort();
      const ranks = Int32Array.from(new Set(Array.from({ length: 12 }, (_, j) => Math.floor((j / 11) * (v.length - 1)))));
      const got = selectRanks(Float64Array.from(v), v.length, ranks, new Float64Array(ranks.length));
      ranks.forEach((k, j) => expect(got[j]! + 0, `${name} @${k}`).toBe(sorted[k]! + 0));
    }
  });

  it('medians and quantiles interpolate as a sort would', () => {
    const qs = Float64Array.from({ length: 9 }, (_, i) => 0.5 + (0.45 * i) / 8);
    for (const [name, v] of inputs()) {
      const s = Float64Array.from(v).sort();
      const n = s.length;
      const median = n % 2 === 1 ? s[(n - 1) / 2]! : 0.5 * (s[n / 2 - 1]! + s[n / 2]!);
      expect(medianOf(Float64Array.from(v), n) + 0, name).toBe(median + 0);
      const q = quantilesOf(Float64Array.from(v), n, qs, new Float64Array(qs.length));
      qs.forEach((f, j) => {
        const pos = f * (n - 1);
        const i = Math.floor(pos);
        const want = pos === i || i + 1 >= n ? s[i]! : s[i]! * (1 - (pos - i)) + s[i + 1]! * (pos - i);
        expect(q[j]! + 0, `${name} q${f}`).toBe(want + 0);
      });
    }
    expect(medianOf(new Float64Array(3), 0)).toBeNaN();
    const v = Float64Array.from([9, 9, 5, 1, 3, 2, 9]);
    expect(medianIn(v, 2, 6)).toBe(2.5);
  });
});
