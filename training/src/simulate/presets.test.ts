import { describe, expect, it } from 'vitest';
import { DarklensError } from '@darklens/core';
import { PRESETS, resolveSpec } from './presets.js';

describe('presets', () => {
  it('are exactly the table of science.md', () => {
    expect(PRESETS['model-a']).toMatchObject({ grid: 64, pixelScale: 0.1, redshifts: 'fixed', snr: 20, fSub: 0.25, nSub: 25, psfSigma: 0.1 });
    expect(PRESETS['model-b']).toMatchObject({ grid: 64, pixelScale: 0.1, redshifts: 'random', snr: [10, 30], fSub: 0.25, nSub: 25, psfSigma: 0.1 });
    expect(PRESETS.paper).toMatchObject({ grid: 150, pixelScale: 0.05, redshifts: 'fixed', snr: 20, fSub: 0.25, psfSigma: 0.1 });
    expect(PRESETS.lsst).toMatchObject({ grid: 64, pixelScale: 0.2, redshifts: 'random', snr: [10, 30], fSub: 0.25 });
    // PSF FWHM 0.7" for lsst.
    expect(PRESETS.lsst!.psfSigma * 2 * Math.sqrt(2 * Math.LN2)).toBeCloseTo(0.7, 12);
    for (const p of Object.values(PRESETS)) expect(p.supersample).toBeGreaterThanOrEqual(2);
  });

  it('apply overrides without touching the preset', () => {
    const s = resolveSpec('model-a', { grid: 32, snr: [5, 8], fSub: 0.05, nSub: 10, psfFwhm: 0.3, supersample: 2, pixelScale: 0.2 });
    expect(s).toMatchObject({ grid: 32, snr: [5, 8], fSub: 0.05, nSub: 10, supersample: 2, pixelScale: 0.2 });
    expect(s.psfSigma).toBeCloseTo(0.3 / 2.3548, 4);
    expect(PRESETS['model-a']!.grid).toBe(64);
  });

  it.each([
    ['nope', {}],
    ['model-a', { grid: 3 }],
    ['model-a', { grid: 64.5 }],
    ['model-a', { fSub: 1.5 }],
    ['model-a', { snr: [30, 10] as [number, number] }],
    ['model-a', { pixelScale: NaN }],
    ['model-a', { psfFwhm: 0.5, psfSigma: 0.2 }],
  ])('reject %s %o with a DarklensError', (name, over) => {
    expect(() => resolveSpec(name, over)).toThrow(DarklensError);
  });
});
