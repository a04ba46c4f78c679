import { describe, expect, it } from 'vitest';
import { SersicEvaluator, sersicB, sersicShape } from './sersic.js';

describe('Sersic profile', () => {
  it('b_n puts half the light inside Re (n = 1, 1.5, 2.5, 4; the presets use 1.5 and 2.5)', () => {
    for (const n of [1, 1.5, 2.5, 4]) {
      // Integrate 2 pi R I(R) dR numerically out to 60 Re.
      const inner = (to: number) => {
        let s = 0;
        const steps = 200_000;
        const h = to / steps;
        for (let k = 0; k < steps; k++) {
          const r = (k + 0.5) * h;
          s += r * sersicShape(n, r) * h;
        }
        return s;
      };
      expect(inner(1) / inner(60)).toBeCloseTo(0.5, 3);
    }
    expect(sersicB(1)).toBeCloseTo(1.678347, 3);
    // The asymptotic series is weakest at small n: for the Gaussian (n = 0.5) b = ln 2 exactly.
    expect(Math.abs(sersicB(0.5) / Math.LN2 - 1)).toBeLessThan(0.003);
  });

  it('tabulated evaluation stays within 1e-3 of the exact profile (relative to its peak) beyond 0.01 Re', () => {
    for (const n of [1.5, 2.5]) {
      const s = new SersicEvaluator({ n, re: 0.5, ie: 1, q: 0.6, angle: 0.7, x: 0.1, y: -0.2 });
      const peak = Math.exp(sersicB(n));
      let worst = 0;
      for (let k = 0; k < 20000; k++) {
        const x = 0.1 + Math.cos(k) * (0.005 + k * 2.5e-4);
        const y = -0.2 + Math.sin(k * 1.3) * (0.005 + k * 2.5e-4);
        worst = Math.max(worst, Math.abs(s.at(x, y) - s.exactAt(x, y)) / peak);
      }
      expect(worst).toBeLessThan(1e-3);
    }
  });

  it('is elongated along its position angle with axis ratio q', () => {
    const s = new SersicEvaluator({ n: 1, re: 0.5, ie: 1, q: 0.5, angle: Math.PI / 6, x: 0, y: 0 });
    const along = s.exactAt(Math.cos(Math.PI / 6) * 0.4, Math.sin(Math.PI / 6) * 0.4);
    const across = s.exactAt(-Math.sin(Math.PI / 6) * 0.2, Math.cos(Math.PI / 6) * 0.2);
    expect(along).toBeCloseTo(across, 12); // the isophote through 0.4 along the major axis meets 0.2 = q 0.4 on the minor
  });
});
