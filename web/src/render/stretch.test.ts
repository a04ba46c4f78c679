import { describe, expect, it } from 'vitest';
import { stretchFunction, stretchLimits, zscaleLimits } from './stretch';

const ramp = (n: number) => Float64Array.from({ length: n }, (_, i) => i);

describe('stretches', () => {
  it('zscale keeps the whole range of a linear ramp (slope / contrast spans it)', () => {
    expect(zscaleLimits(ramp(1001))).toEqual({ lo: 0, hi: 1000 });
  });

  it('zscale ignores a few very bright pixels (a star beside the lens)', () => {
    const values = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i) * 10);
    for (let i = 0; i < 20; i++) values[i * 7] = 1e5;
    const { lo, hi } = stretchLimits(values, 'zscale');
    expect(lo).toBeGreaterThanOrEqual(-10);
    expect(hi).toBeLessThan(100);
  });

  it('asinh limits are the 0.5 and 99.8 percentiles; masked pixels are left out', () => {
    const values = Float32Array.from({ length: 1001 }, (_, i) => (i === 3 ? NaN : i));
    const { lo, hi } = stretchLimits(values, 'asinh');
    expect(lo).toBeCloseTo(6, 1); // the sample skips 3, so everything above it moves down one rank
    expect(hi).toBeCloseTo(998, 1);
  });

  it('maps monotonically onto [0, 1], the same for data shifted and scaled (min-max scaling)', () => {
    const values = Float32Array.from({ length: 500 }, (_, i) => Math.exp(i / 100));
    const scaled = values.map((v) => (v - 1) / 200);
    for (const kind of ['asinh', 'zscale'] as const) {
      const f = stretchFunction(stretchLimits(values, kind), kind);
      const g = stretchFunction(stretchLimits(scaled, kind), kind);
      let prev = -1;
      for (let i = 0; i < values.length; i++) {
        const y = f(values[i]!);
        expect(y).toBeGreaterThanOrEqual(prev);
        expect(y).toBeLessThanOrEqual(1);
        expect(g(scaled[i]!)).toBeCloseTo(y, 4);
        prev = y;
      }
      expect(Number.isNaN(f(NaN))).toBe(true);
    }
  });
});
