import { describe, expect, it } from 'vitest';
import { centredGrid, subpixelCoords } from './grid.js';
import { drawParams } from './params.js';
import { PointMassField } from './point-masses.js';
import { resolveSpec } from './presets.js';
import { renderLens } from './render.js';

describe('point-mass deflection field', () => {
  it.each(['model-a', 'paper', 'lsst'])('stays within 0.015 pixel of the exact sum everywhere (%s)', (preset) => {
    const spec = resolveSpec(preset);
    for (const klass of ['spherical', 'vortex'] as const) {
      const p = drawParams(spec, klass, 3, 1);
      const grid = centredGrid(spec.grid, spec.pixelScale, 4);
      const field = new PointMassField(p.subhalos, grid);
      const c = subpixelCoords(grid, 4);
      const exact = [0, 0];
      const approx = [0, 0];
      let worst = 0;
      for (let b = 0; b < c.length; b += 3) {
        for (let a = 0; a < c.length; a += 3) {
          field.exactInto(c[a]!, c[b]!, exact);
          field.fieldInto(Math.floor(a / 4), Math.floor(b / 4), c[a]!, c[b]!, approx);
          worst = Math.max(worst, Math.hypot(exact[0]! - approx[0]!, exact[1]! - approx[1]!));
        }
      }
      // 0.004 px per mass (the bound the near radius is chosen for); the 25 collinear masses of a
      // vortex add up coherently to about 2.5 times that at worst.
      expect(worst / spec.pixelScale).toBeLessThan(0.015);
    }
  });

  it.each(['model-a', 'lsst', 'paper'])('gives images within 1e-3 of exact summation, relative to the peak (%s)', (preset) => {
    for (const klass of ['spherical', 'vortex'] as const) {
      const p = drawParams(resolveSpec(preset), klass, 9, 4);
      const fast = renderLens(p, { noise: false }).image;
      const exact = renderLens(p, { noise: false, exactSubhalos: true }).image;
      let worst = 0, peak = 0;
      for (let k = 0; k < fast.length; k++) {
        worst = Math.max(worst, Math.abs(fast[k]! - exact[k]!));
        peak = Math.max(peak, exact[k]!);
      }
      expect(worst / peak).toBeLessThan(1e-3);
    }
  });

  it('does not deflect a ray that hits a mass exactly (no NaN)', () => {
    const grid = centredGrid(8, 0.1);
    const f = new PointMassField([{ x: 0.05, y: 0.05, thetaE: 0.1 }], grid);
    const out = [1, 1];
    f.exactInto(0.05, 0.05, out);
    expect(out).toEqual([0, 0]);
  });

  it('follows thetaE^2 / d for a single mass', () => {
    const f = new PointMassField([{ x: 0, y: 0, thetaE: 0.12 }], centredGrid(8, 0.1));
    const out = [0, 0];
    f.exactInto(0.3, 0.4, out);
    expect(Math.hypot(out[0]!, out[1]!)).toBeCloseTo(0.0144 / 0.5, 12);
    expect(out[0]! / out[1]!).toBeCloseTo(0.75, 12); // pointing away from the mass
  });
});
