import { describe, expect, it } from 'vitest';
import type { SetDomain } from '../registry/model-sets.js';
import { domainReasons, guardRanges, GUARD_TAIL, scoreReason } from './guard.js';
import type { ImageStats } from './image-stats.js';

const domain: SetDomain = { pixelScale: 0.1, psfFwhm: 0.24, guard: { data: 'calib', images: 20000, stats: { radius: [12, 17], sharpness: [1.9, 2.3], noise: [0.0025, 0.005], relativeWidth: [0.11, 0.18] } } };
const inside: ImageStats = { radius: 14, sharpness: 2, noise: 0.003, relativeWidth: 0.15 };

describe('out-of-domain guard', () => {
  it('passes a cutout like the domain\'s own', () => {
    expect(domainReasons({ pixelScale: 0.1, psfFwhm: 0.25 }, inside, domain)).toEqual([]);
    expect(domainReasons({}, inside, domain)).toEqual([]);
    // Finer pixels resample honestly; up to 1.5x coarser too.
    expect(domainReasons({ pixelScale: 0.05 }, inside, domain)).toEqual([]);
    expect(domainReasons({ pixelScale: 0.15 }, inside, domain)).toEqual([]);
  });

  it('names each check that fails', () => {
    const checks = (c: Parameters<typeof domainReasons>[0], s: ImageStats) => domainReasons(c, s, domain).map((r) => r.check);
    expect(checks({ pixelScale: 0.2 }, inside)).toEqual(['pixel-scale']);
    expect(checks({ psfFwhm: 0.7 }, inside)).toEqual(['psf']);
    expect(checks({ psfFwhm: 0.1 }, inside)).toEqual(['psf']);
    expect(checks({}, { ...inside, radius: 8 })).toEqual(['radius']);
    expect(checks({}, { ...inside, relativeWidth: 0.25 })).toEqual(['relativeWidth']);
    expect(checks({}, { ...inside, sharpness: Infinity })).toEqual(['sharpness']);
    expect(checks({}, { ...inside, noise: 0.02 })).toEqual(['noise']);
    expect(checks({ pixelScale: 0.2, psfFwhm: 0.7 }, { radius: 8, sharpness: 3, noise: 0.01, relativeWidth: 0.375 })).toEqual(['pixel-scale', 'psf', 'radius', 'sharpness', 'noise', 'relativeWidth']);
    expect(domainReasons({}, { ...inside, radius: 8 }, domain)[0]!.message).toBe('lens radius 8 is outside the set\'s calibration range [12, 17]');
  });

  it('checks only what the domain knows: no guard ranges, no PSF', () => {
    expect(domainReasons({ psfFwhm: 3 }, { radius: 1, sharpness: 9, noise: 1, relativeWidth: 9 }, { pixelScale: 0.1, psfFwhm: 0 })).toEqual([]);
  });

  it('flags a score far beyond every calibration score, not one a little beyond', () => {
    const calib = Float64Array.from({ length: 101 }, (_, i) => i / 100); // median 0.5, max 1
    expect(scoreReason('rbm', 'mf', 1.2, calib)).toBeUndefined();
    expect(scoreReason('rbm', 'mf', 6, calib)).toBeUndefined(); // limit 1 + SCORE_SPAN (10) * 0.5
    expect(scoreReason('rbm', 'mf', 6.01, calib)?.message).toMatch(/rbm mf score 6.01 is far beyond every calibration score \(max 1\)/);
  });

  it('builds ranges that leave about 2 x GUARD_TAIL of the calibration lenses outside each', () => {
    const n = 20000;
    const samples: ImageStats[] = Array.from({ length: n }, (_, i) => ({ radius: i, sharpness: i % 2 === 0 ? Infinity : 2, noise: (i * 7919) % n, relativeWidth: 1 }));
    const r = guardRanges(samples);
    const outside = samples.filter((s) => s.radius < r.radius[0] || s.radius > r.radius[1]).length;
    expect(outside / n).toBeLessThanOrEqual(2 * GUARD_TAIL);
    expect(r.radius[0]).toBeLessThan(10);
    expect(r.radius[1]).toBeGreaterThan(n - 11);
    // Non-finite values are left out, not turned into an infinite range.
    expect(r.sharpness.every(Number.isFinite)).toBe(true);
  });
});
