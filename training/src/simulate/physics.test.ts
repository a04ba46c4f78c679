/**
 * Physics tests: each could fail if the lensing, light, PSF or noise model were wrong. They render
 * with controlled parameters (no noise, no PSF, a compact source) and compare with analytic results.
 */
import { describe, expect, it } from 'vitest';
import { drawParams, hostThetaE, type LensParams } from './params.js';
import { resolveSpec } from './presets.js';
import { renderLens } from './render.js';

/** A base lens: model-a geometry, no shear, compact Gaussian source (Sersic n = 0.5) at `beta`. */
function lens(over: Partial<LensParams> & { srcX?: number; srcY?: number; srcRe?: number } = {}): LensParams {
  const p = drawParams(resolveSpec('model-a'), 'no_sub', 7, 0);
  const { srcX = 0, srcY = 0, srcRe = 0.04, ...rest } = over;
  return {
    ...p,
    shear: { gamma: 0, phi: 0 },
    source: { n: 0.5, re: srcRe, ie: 1, q: 1, angle: 0, x: srcX, y: srcY },
    ...rest,
  };
}

const plain = { psf: false, noise: false, lensLight: false } as const;

/** Pixel-centre coordinates of a centred grid. */
function coord(k: number, side: number, scale: number): number {
  return (k + 0.5 - side / 2) * scale;
}

function moments(img: Float64Array, side: number, scale: number, select: (x: number, y: number) => boolean = () => true) {
  let f = 0, mx = 0, my = 0;
  for (let j = 0; j < side; j++) for (let i = 0; i < side; i++) {
    const x = coord(i, side, scale), y = coord(j, side, scale);
    if (!select(x, y)) continue;
    const v = img[j * side + i]!;
    f += v; mx += v * x; my += v * y;
  }
  mx /= f; my /= f;
  let xx = 0, yy = 0, xy = 0;
  for (let j = 0; j < side; j++) for (let i = 0; i < side; i++) {
    const x = coord(i, side, scale) - mx, y = coord(j, side, scale) - my;
    if (!select(x + mx, y + my)) continue;
    const v = img[j * side + i]!;
    xx += v * x * x; yy += v * y * y; xy += v * x * y;
  }
  return { flux: f, x: mx, y: my, xx: xx / f, yy: yy / f, xy: xy / f };
}

/** Flux-weighted mean radius of a lens's image of a small centred source (its Einstein ring). */
function ringRadius(p: LensParams): number {
  const { image } = renderLens(p, plain);
  let f = 0, fr = 0;
  for (let j = 0; j < 64; j++) for (let i = 0; i < 64; i++) {
    const v = image[j * 64 + i]!;
    f += v;
    fr += v * Math.hypot(coord(i, 64, 0.1), coord(j, 64, 0.1));
  }
  return fr / f;
}

describe('lensing by a singular isothermal sphere', () => {
  it('images a point source at beta + thetaE and beta - thetaE', () => {
    const beta = 0.3;
    const p = lens({ srcX: beta, srcRe: 0.02, grid: 81, pixelScale: 0.05, supersample: 8 });
    const { image } = renderLens(p, plain);
    const right = moments(image, 81, 0.05, (x) => x > 0);
    const left = moments(image, 81, 0.05, (x) => x < 0);
    // Within half a pixel (0.025") of the analytic positions, on the axis through source and lens.
    expect(Math.abs(right.x - (beta + p.thetaE))).toBeLessThan(0.025);
    expect(Math.abs(left.x - (beta - p.thetaE))).toBeLessThan(0.025);
    expect(Math.abs(right.y)).toBeLessThan(0.025);
    expect(Math.abs(left.y)).toBeLessThan(0.025);
  });

  it('magnifies a compact source by 2 thetaE / beta in total, as surface brightness conservation implies', () => {
    const beta = 0.4;
    const p = lens({ srcX: beta, srcRe: 0.02, grid: 81, pixelScale: 0.05, supersample: 8 });
    const lensed = moments(renderLens(p, plain).image, 81, 0.05).flux;
    const unlensed = moments(renderLens({ ...p, thetaE: 0 }, plain).image, 81, 0.05).flux;
    expect(lensed / unlensed).toBeCloseTo((2 * p.thetaE) / beta, 1);
  });

  it('never makes a pixel brighter than the source itself (surface brightness is conserved)', () => {
    const p = lens({ srcX: 0.1, srcRe: 0.3, supersample: 4 });
    const { image } = renderLens(p, plain);
    const peak = Math.max(...image);
    // Peak of a Gaussian (n = 0.5) Sersic: ie * exp(b_0.5) with b_0.5 ~ 0.6931.
    const sourcePeak = Math.exp(0.69315);
    expect(peak).toBeLessThanOrEqual(sourcePeak * 1.0001);
    expect(peak).toBeGreaterThan(sourcePeak * 0.95); // the source centre is imaged
  });

  it('turns a centred circular source into an Einstein ring of radius thetaE (within half a pixel)', () => {
    const p = lens({ srcRe: 0.05 });
    const { image } = renderLens(p, plain);
    expect(Math.abs(ringRadius(p) - p.thetaE)).toBeLessThan(0.05);
    // And it is a ring: as bright along x as along y.
    const ringAt = (x: number, y: number) => image[Math.floor(y / 0.1 + 32) * 64 + Math.floor(x / 0.1 + 32)]!;
    expect(ringAt(1.2, 0) / ringAt(0, 1.2)).toBeCloseTo(1, 1);
  });
});

describe('external shear', () => {
  it.each([0.3, 1.2, 2.5])('stretches a round source along phi = %s with axis ratio (1 - gamma) / (1 + gamma)', (phi) => {
    const gamma = 0.2;
    const p = lens({ thetaE: 0, shear: { gamma, phi }, srcRe: 0.3, supersample: 4 });
    const m = moments(renderLens(p, plain).image, 64, 0.1);
    const angle = 0.5 * Math.atan2(2 * m.xy, m.xx - m.yy);
    const diff = Math.abs(((angle - phi + Math.PI / 2) % Math.PI + Math.PI) % Math.PI - Math.PI / 2);
    expect(diff).toBeLessThan(0.02);
    const tr = m.xx + m.yy;
    const det = m.xx * m.yy - m.xy * m.xy;
    const l1 = tr / 2 + Math.sqrt(tr * tr / 4 - det);
    const l2 = tr / 2 - Math.sqrt(tr * tr / 4 - det);
    expect(Math.sqrt(l2 / l1)).toBeCloseTo((1 - gamma) / (1 + gamma), 2);
  });
});

describe('PSF', () => {
  it('conserves flux and blurs a compact source to the PSF width', () => {
    const p = lens({ thetaE: 0, srcRe: 0.01, supersample: 8, psfSigma: 0.2 });
    const sharp = renderLens(p, { psf: false, noise: false, lensLight: false }).image;
    const blurred = renderLens(p, { noise: false, lensLight: false }).image;
    const a = moments(sharp, 64, 0.1);
    const b = moments(blurred, 64, 0.1);
    expect(b.flux / a.flux).toBeCloseTo(1, 4);
    // Variances add: sigma_blurred^2 = sigma_source^2 + sigma_psf^2 + pixel^2/12 (pixel integration).
    expect(Math.sqrt(b.xx - a.xx)).toBeCloseTo(0.2, 2);
  });
});

describe('noise', () => {
  it.each(['model-a', 'model-b'])('gives the arc the preset peak SNR within 10 percent (%s)', (preset) => {
    const p = drawParams(resolveSpec(preset), 'no_sub', 3, 5);
    const first = renderLens(p);
    const k = first.arcPeakIndex;
    const samples: number[] = [];
    for (let s = 0; s < 600; s++) samples.push(renderLens({ ...p, noiseSeed: 1000 + s }).image[k]!);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    const sd = Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (samples.length - 1));
    const measured = first.arc[k]! / sd;
    expect(Math.abs(measured / p.snr - 1)).toBeLessThan(0.1);
    // Noise is unbiased: the mean of the noisy pixel is the noiseless value.
    expect(Math.abs(mean - first.noiseless[k]!)).toBeLessThan(4 * sd / Math.sqrt(samples.length));
  });
});

describe('substructure', () => {
  it.each([11, 12, 13, 14])('changes a no_sub twin only near the subhalo (seed %s)', (seed) => {
    // One subhalo with the preset's per-subhalo mass (f_sub / 25: thetaE_i = 0.12").
    const spec = resolveSpec('model-a', { nSub: 1, fSub: 0.25 / 25 });
    const sph = drawParams(spec, 'spherical', seed, 2);
    const smooth = drawParams(spec, 'no_sub', seed, 2);
    // Twins: the same macro model and noise.
    expect({ ...sph, class: 'x', subhalos: [], fSub: 0 }).toEqual({ ...smooth, class: 'x' });
    // Put the subhalo on the arc so it has something to perturb.
    const a = renderLens(smooth, { noise: false });
    const peak = a.arcPeakIndex;
    const sx = coord(peak % 64, 64, 0.1), sy = coord(Math.floor(peak / 64), 64, 0.1);
    const b = renderLens({ ...sph, subhalos: [{ x: sx, y: sy, thetaE: sph.subhalos[0]!.thetaE }] }, { noise: false });
    // A point mass deflects as 1/d, so the change has a faint long tail: most of it must be local.
    let total = 0, within1 = 0, beyond15 = 0;
    for (let j = 0; j < 64; j++) for (let i = 0; i < 64; i++) {
      const d2 = (b.image[j * 64 + i]! - a.image[j * 64 + i]!) ** 2;
      const r = Math.hypot(coord(i, 64, 0.1) - sx, coord(j, 64, 0.1) - sy);
      total += d2;
      if (r < 1) within1 += d2;
      if (r > 1.5) beyond15 += d2;
    }
    expect(total).toBeGreaterThan(0);
    expect(within1 / total).toBeGreaterThan(0.85);
    expect(beyond15 / total).toBeLessThan(0.06);
  });

  it('shares the substructure mass f_sub equally: sum of thetaE_i^2 = f_sub thetaE^2', () => {
    for (const klass of ['spherical', 'vortex'] as const) {
      const p = drawParams(resolveSpec('model-b'), klass, 5, 9);
      expect(p.subhalos).toHaveLength(25);
      const sum = p.subhalos.reduce((s, h) => s + h.thetaE ** 2, 0);
      expect(sum).toBeCloseTo(0.25 * p.thetaE ** 2, 12);
      if (klass === 'spherical') for (const h of p.subhalos) expect(Math.hypot(h.x, h.y)).toBeLessThan(1);
    }
  });

  it('keeps the Einstein radius in a mass-conserving lens and grows it when the mass is added', () => {
    // 25 subhalos of f_sub = 0.25 evenly on a circle of 0.5" (inside the ring): outside it they act as
    // one central mass, so the ring radius solves theta^2 = thetaE_host theta + f_sub thetaE^2.
    const smooth = lens({ srcRe: 0.05 });
    const thetaEi = smooth.thetaE * Math.sqrt(0.25 / 25);
    const subhalos = Array.from({ length: 25 }, (_, k) => ({ x: 0.5 * Math.cos((2 * Math.PI * k) / 25), y: 0.5 * Math.sin((2 * Math.PI * k) / 25), thetaE: thetaEi }));
    const added = { ...smooth, class: 'spherical' as const, fSub: 0.25, subhalos };
    const conserving: LensParams = { ...added, massConserving: true };
    const r0 = ringRadius(smooth);
    expect(Math.abs(r0 - 1.2)).toBeLessThan(0.05);
    // Additive (the presets): (1 + sqrt(1 + 4 f_sub)) / 2 thetaE = 1.449".
    expect(Math.abs(ringRadius(added) - 1.2 * (1 + Math.sqrt(2)) / 2)).toBeLessThan(0.05);
    // Mass-conserving: the host keeps (1 - f_sub) thetaE, and the ring stays where the smooth lens has it.
    expect(Math.abs(ringRadius(conserving) - r0)).toBeLessThan(0.01);
  });

  it('marks mass-conserving draws and leaves the smooth twin and the subhalos as they were', () => {
    const spec = resolveSpec('model-a', { massConserving: true });
    const plainSpec = resolveSpec('model-a');
    for (const klass of ['no_sub', 'spherical', 'vortex'] as const) {
      const p = drawParams(spec, klass, 3, 4);
      const q = drawParams(plainSpec, klass, 3, 4);
      expect(p.massConserving).toBe(true);
      expect(q.massConserving).toBeUndefined();
      expect({ ...p, massConserving: undefined }).toEqual({ ...q, massConserving: undefined });
      expect(hostThetaE(p)).toBeCloseTo(klass === 'no_sub' ? p.thetaE : 0.75 * p.thetaE, 12);
      expect(hostThetaE(q)).toBe(q.thetaE);
    }
  });

  it('centres the vortex on the lens: evenly spaced masses on a 1" segment through the centre', () => {
    for (let i = 0; i < 20; i++) {
      const p = drawParams(resolveSpec('model-a'), 'vortex', 1, i);
      const n = p.subhalos.length;
      const cx = p.subhalos.reduce((s, h) => s + h.x, 0) / n;
      const cy = p.subhalos.reduce((s, h) => s + h.y, 0) / n;
      expect(Math.hypot(cx, cy)).toBeLessThan(1e-12);
      const first = p.subhalos[0]!, last = p.subhalos[n - 1]!;
      expect(Math.hypot(last.x - first.x, last.y - first.y)).toBeCloseTo(1, 12);
      for (let k = 1; k < n; k++) {
        const h = p.subhalos[k]!, g = p.subhalos[k - 1]!;
        expect(Math.hypot(h.x - g.x, h.y - g.y)).toBeCloseTo(1 / (n - 1), 12);
      }
    }
  });

  it('is imaged symmetrically about the lens centre when the source sits behind it', () => {
    // A vortex through the centre with a centred round source and no shear is point-symmetric.
    const base = drawParams(resolveSpec('model-a'), 'vortex', 4, 0);
    const p: LensParams = { ...base, shear: { gamma: 0, phi: 0 }, source: { ...base.source, x: 0, y: 0, q: 1 } };
    const { image } = renderLens(p, { noise: false, lensLight: false });
    let maxAsym = 0, max = 0;
    for (let k = 0; k < image.length; k++) {
      maxAsym = Math.max(maxAsym, Math.abs(image[k]! - image[image.length - 1 - k]!));
      max = Math.max(max, image[k]!);
    }
    expect(maxAsym).toBeLessThan(1e-6 * max);
  });
});

describe('model-b redshifts', () => {
  it('draws z_l ~ U(0.3, 0.7), z_s ~ U(z_l + 0.4, 2) and scales thetaE with D_ls / D_s', () => {
    const spec = resolveSpec('model-b');
    let sawLarger = false, sawSmaller = false;
    for (let i = 0; i < 200; i++) {
      const p = drawParams(spec, 'no_sub', 2, i);
      expect(p.zl).toBeGreaterThanOrEqual(0.3);
      expect(p.zl).toBeLessThan(0.7);
      expect(p.zs).toBeGreaterThanOrEqual(p.zl + 0.4);
      expect(p.zs).toBeLessThan(2);
      expect(p.snr).toBeGreaterThanOrEqual(10);
      expect(p.snr).toBeLessThan(30);
      if (p.thetaE > 1.2) sawLarger = true;
      if (p.thetaE < 1.2) sawSmaller = true;
    }
    expect(sawLarger && sawSmaller).toBe(true);
  });
});
