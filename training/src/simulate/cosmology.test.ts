import { describe, expect, it } from 'vitest';
import { comovingDistance, lensingDistanceRatio, scaledEinsteinRadius } from './cosmology.js';

describe('flat LCDM distances (H0 70, Om 0.3)', () => {
  it('matches the comoving distance to z = 1 (3303.8 Mpc for H0 = 70, astropy FlatLambdaCDM)', () => {
    // c / H0 = 4282.75 Mpc for H0 = 70.
    expect(comovingDistance(1) * 4282.749).toBeCloseTo(3303.83, 0);
  });
  it('gives D_ls / D_s in (0, 1), falling as the lens moves towards the source', () => {
    const r1 = lensingDistanceRatio(0.3, 1.5);
    const r2 = lensingDistanceRatio(0.7, 1.5);
    expect(r1).toBeGreaterThan(r2);
    expect(r2).toBeGreaterThan(0);
    expect(r1).toBeLessThan(1);
  });
  it('scales thetaE to 1.2" exactly at the reference redshifts', () => {
    expect(scaledEinsteinRadius(1.2, 0.5, 1.0)).toBeCloseTo(1.2, 12);
  });
  it('rejects a source in front of the lens', () => {
    expect(() => lensingDistanceRatio(1, 0.5)).toThrow(RangeError);
  });
});
