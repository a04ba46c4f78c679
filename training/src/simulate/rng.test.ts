import { describe, expect, it } from 'vitest';
import { hashSeed, logFactorial, Rng } from './rng.js';

describe('Rng', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(sa);
  });

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const r = new Rng(1);
    let s = 0, s2 = 0, lo = 1, hi = 0;
    const n = 200_000;
    for (let k = 0; k < n; k++) {
      const u = r.uniform();
      s += u; s2 += u * u; lo = Math.min(lo, u); hi = Math.max(hi, u);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(s / n).toBeCloseTo(0.5, 2);
    expect(s2 / n - (s / n) ** 2).toBeCloseTo(1 / 12, 3);
  });

  it.each([0.5, 3, 9.9, 10, 47, 1000, 250_000])('draws Poisson(%s) with the right mean and variance', (mean) => {
    const r = new Rng(Math.round(mean * 7));
    const n = 40_000;
    let s = 0, s2 = 0;
    for (let k = 0; k < n; k++) {
      const x = r.poisson(mean);
      expect(Number.isInteger(x) && x >= 0).toBe(true);
      s += x; s2 += x * x;
    }
    const m = s / n;
    const v = s2 / n - m * m;
    expect(Math.abs(m - mean)).toBeLessThan(5 * Math.sqrt(mean / n));
    expect(Math.abs(v / mean - 1)).toBeLessThan(0.05);
  });

  it('gives P(0) = exp(-mean) for small means', () => {
    const r = new Rng(5);
    let zeros = 0;
    for (let k = 0; k < 100_000; k++) if (r.poisson(2) === 0) zeros++;
    expect(zeros / 100_000).toBeCloseTo(Math.exp(-2), 2);
  });

  it('draws standard normals', () => {
    const r = new Rng(8);
    let s = 0, s2 = 0;
    for (let k = 0; k < 100_000; k++) {
      const z = r.normal();
      s += z; s2 += z * z;
    }
    expect(s / 1e5).toBeCloseTo(0, 1);
    expect(s2 / 1e5).toBeCloseTo(1, 1);
  });
});

describe('hashSeed', () => {
  it('separates nearby inputs and depends on order', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) seen.add(hashSeed(1, i, 1));
    expect(seen.size).toBe(10_000);
    expect(hashSeed(1, 2)).not.toBe(hashSeed(2, 1));
  });
});

describe('logFactorial', () => {
  it('matches sums of logs on both sides of the table edge', () => {
    let s = 0;
    for (let k = 1; k <= 400; k++) {
      s += Math.log(k);
      expect(logFactorial(k)).toBeCloseTo(s, 8);
    }
  });
});
