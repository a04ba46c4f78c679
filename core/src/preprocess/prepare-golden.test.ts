/**
 * Characterisation ("golden") test of the per-cutout preprocessing: prepareCutout (resampling, min-max
 * scaling, mask fill, noise model), estimateNoise, gaussianBlur and imageStats on ~50 varied cutouts
 * built from simulated lenses, compared with what the code gave when the fixture was written.
 *
 * The registered calibrations were computed with this code, so its outputs must not move when it is
 * made faster: float32 arrays (the pixels and variances the models see, the masks) must be identical
 * bit for bit, float64 arrays (blurs) too, and every number (noise estimates, image statistics, array
 * moments) equal within 1e-9 relative.
 *
 * Inputs: core/test-fixtures/prepare-golden/lenses.npy (see make-lenses.mjs there) plus masks, variance
 * planes, grids and pixel scales drawn here from a fixed seed with a private generator, so nothing but
 * the code under test can change them. Outputs: expected.json beside it. To rewrite expected.json from
 * the code as it stands (only when an output is meant to change, and say so in the commit):
 *   DARKLENS_WRITE_GOLDEN=1 npx vitest run core/src/preprocess/prepare-golden.test.ts
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Cutout } from '../cutout.js';
import { imageStats } from '../domain/image-stats.js';
import { readNpy } from '../io/npy-read.js';
import { gaussianBlur } from './blur.js';
import { estimateNoise } from './noise.js';
import { prepareCutout, type ModelGrid } from './prepare.js';

const DIR = new URL('../../test-fixtures/prepare-golden/', import.meta.url);
const EXPECTED = new URL('expected.json', DIR);
const REL = 1e-9;
const SIDE = 64;

// ---------------------------------------------------------------------------------------------------
// inputs

/** mulberry32: a private generator, so a change to core's SeededRng cannot change these inputs. */
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

interface Lens {
  data: Float32Array;
  pixelScale: number;
}

function lenses(): Lens[] {
  const stack = readNpy(new Uint8Array(readFileSync(new URL('lenses.npy', DIR))));
  const px = SIDE * SIDE;
  // make-lenses.mjs: 12 of the model-a preset (0.1"/px), then 4 of the lsst preset (0.2"/px).
  return Array.from({ length: stack.count }, (_, i) => ({ data: stack.data.slice(i * px, (i + 1) * px), pixelScale: i < 12 ? 0.1 : 0.2 }));
}

interface Case {
  name: string;
  cutout: Cutout;
  grid: ModelGrid;
}

function cutout(data: Float32Array, width: number, height: number, pixelScale?: number, variance?: Float32Array): Cutout {
  const c: Cutout = { width, height, data, masked: 0, format: 'npy', meta: {} };
  if (pixelScale !== undefined) c.pixelScale = pixelScale;
  if (variance !== undefined) c.variance = variance;
  return c;
}

/** Sets pixels to `value` (NaN or ±Inf) where `where(x, y)` holds. */
function masked(data: Float32Array, width: number, where: (x: number, y: number) => boolean, value = NaN): Float32Array {
  const out = data.slice();
  for (let p = 0; p < out.length; p++) if (where(p % width, Math.floor(p / width))) out[p] = value;
  return out;
}

/** A variance plane sky + gain * max(light, 0) in the lens's own units. */
function plane(data: Float32Array, sky: number, gain: number): Float32Array {
  return Float32Array.from(data, (v) => sky + gain * Math.max(v, 0));
}

/** The rows y0..y0+h-1 and columns x0..x0+w-1 of a SIDE x SIDE image. */
function crop(data: Float32Array, x0: number, y0: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) out.set(data.subarray((y0 + y) * SIDE + x0, (y0 + y) * SIDE + x0 + w), y * w);
  return out;
}

function cases(): Case[] {
  const L = lenses();
  const r = rng(20260802);
  const at = (l: Lens, grid: Partial<ModelGrid> = {}): ModelGrid => ({ width: SIDE, height: SIDE, pixelScale: l.pixelScale, ...grid });
  const out: Case[] = [];
  const add = (name: string, c: Cutout, grid: ModelGrid): void => {
    out.push({ name, cutout: c, grid });
  };

  // Every lens as served most of the time: on the model's grid, nothing masked.
  L.forEach((l, i) => add(`plain #${i}`, cutout(l.data, SIDE, SIDE, l.pixelScale), at(l)));

  // Masked pixels (NaN or ±Inf): holes, bad columns, scattered pixels, borders, nearly half the image.
  const hole = (cx: number, cy: number, rad: number) => (x: number, y: number) => (x - cx) ** 2 + (y - cy) ** 2 <= rad * rad;
  add('mask: hole on the arc', cutout(masked(L[0]!.data, SIDE, hole(20 + 24 * r(), 20 + 24 * r(), 5)), SIDE, SIDE, 0.1), at(L[0]!));
  add('mask: hole in the sky', cutout(masked(L[1]!.data, SIDE, hole(6, 58, 4)), SIDE, SIDE, 0.1), at(L[1]!));
  add('mask: bad columns', cutout(masked(L[2]!.data, SIDE, (x) => x === 17 || x === 40 || x === 41), SIDE, SIDE, 0.1), at(L[2]!));
  const scatter = (f: number) => {
    const pick = Array.from({ length: SIDE * SIDE }, () => r() < f);
    return (x: number, y: number) => pick[y * SIDE + x]!;
  };
  add('mask: 5% scattered', cutout(masked(L[3]!.data, SIDE, scatter(0.05)), SIDE, SIDE, 0.1), at(L[3]!));
  add('mask: 20% scattered, +Inf', cutout(masked(L[4]!.data, SIDE, scatter(0.2), Infinity), SIDE, SIDE, 0.1), at(L[4]!));
  add('mask: corner block, -Inf', cutout(masked(L[5]!.data, SIDE, (x, y) => x < 20 && y < 20, -Infinity), SIDE, SIDE, 0.1), at(L[5]!));
  add('mask: border rows', cutout(masked(L[6]!.data, SIDE, (_, y) => y < 2 || y >= SIDE - 3), SIDE, SIDE, 0.1), at(L[6]!));
  add('mask: half the image', cutout(masked(L[7]!.data, SIDE, (x) => x >= SIDE / 2), SIDE, SIDE, 0.1), at(L[7]!));
  add('mask: checkerboard patch', cutout(masked(L[8]!.data, SIDE, (x, y) => x > 30 && x < 50 && y > 10 && y < 30 && (x + y) % 2 === 0), SIDE, SIDE, 0.1), at(L[8]!));
  add('mask: lsst hole', cutout(masked(L[13]!.data, SIDE, hole(32, 32, 3)), SIDE, SIDE, 0.2), at(L[13]!));

  // Variance planes (LSST-like files): plain, masked, with non-finite and negative variances, resampled.
  add('plane', cutout(L[9]!.data, SIDE, SIDE, 0.1, plane(L[9]!.data, 0.01, 0.3)), at(L[9]!));
  add('plane: masked', cutout(masked(L[10]!.data, SIDE, hole(40, 25, 6)), SIDE, SIDE, 0.1, plane(L[10]!.data, 0.02, 0.1)), at(L[10]!));
  const bad = plane(L[11]!.data, 0.005, 0.5);
  bad[100] = NaN;
  bad[2000] = -1;
  bad[3000] = Infinity;
  add('plane: non-finite and negative variances', cutout(L[11]!.data, SIDE, SIDE, 0.1, bad), at(L[11]!));
  add('plane: downsampled', cutout(L[12]!.data, SIDE, SIDE, 0.2, plane(L[12]!.data, 0.02, 0.2)), at(L[12]!, { width: 48, height: 48, pixelScale: 0.25 }));
  add('plane: upsampled, masked', cutout(masked(L[14]!.data, SIDE, hole(10, 10, 4)), SIDE, SIDE, 0.2, plane(L[14]!.data, 0.01, 0.1)), at(L[14]!, { pixelScale: 0.15 }));
  add('plane: constant', cutout(L[15]!.data, SIDE, SIDE, 0.2, new Float32Array(SIDE * SIDE).fill(0.04)), at(L[15]!));

  // Onto other grids: resampled, cropped, padded (the padding is masked), non-square, tiny and large.
  add('resample: 0.12 -> 0.1', cutout(L[0]!.data, SIDE, SIDE, 0.12), at(L[0]!, { pixelScale: 0.1 }));
  add('resample: 0.085 -> 0.1 (padded)', cutout(L[1]!.data, SIDE, SIDE, 0.085), at(L[1]!, { pixelScale: 0.1 }));
  add('crop: 48x48', cutout(L[2]!.data, SIDE, SIDE, 0.1), at(L[2]!, { width: 48, height: 48 }));
  add('pad: 72x72', cutout(L[3]!.data, SIDE, SIDE, 0.1), at(L[3]!, { width: 72, height: 72 }));
  add('grid: 40x56', cutout(L[4]!.data, SIDE, SIDE, 0.1), at(L[4]!, { width: 40, height: 56 }));
  add('grid: 56x40, resampled', cutout(L[5]!.data, SIDE, SIDE, 0.1), at(L[5]!, { width: 56, height: 40, pixelScale: 0.11 }));
  add('input: 64x50 onto 64x64', cutout(crop(L[6]!.data, 0, 7, 64, 50), 64, 50, 0.1), at(L[6]!));
  add('input: 45x64 unscaled', cutout(crop(L[7]!.data, 10, 0, 45, 64), 45, 64), at(L[7]!, { width: 48, height: 64 }));
  add('grid: 12x12 (narrower than the blur)', cutout(L[8]!.data, SIDE, SIDE, 0.1), at(L[8]!, { width: 12, height: 12, pixelScale: 0.5 }));
  add('grid: 9x9', cutout(L[9]!.data, SIDE, SIDE, 0.1), at(L[9]!, { width: 9, height: 9, pixelScale: 0.7 }));
  add('grid: 64x6', cutout(L[10]!.data, SIDE, SIDE, 0.1), at(L[10]!, { width: 64, height: 6 }));
  add('grid: 100x100 upsampled', cutout(L[11]!.data, SIDE, SIDE, 0.1), at(L[11]!, { width: 100, height: 100, pixelScale: 0.064 }));
  add('resample: masked, 0.12 -> 0.1', cutout(masked(L[12]!.data, SIDE, hole(30, 36, 5)), SIDE, SIDE, 0.12), at(L[12]!, { pixelScale: 0.1 }));
  add('resample: lsst 0.2 -> 0.1 (cropped)', cutout(L[15]!.data, SIDE, SIDE, 0.2), at(L[15]!, { pixelScale: 0.1 }));

  // Odd images: constant, pure noise, a cosmic ray, an offset, quantised values (ties), tiny.
  add('constant', cutout(new Float32Array(SIDE * SIDE).fill(3.5), SIDE, SIDE, 0.1), at(L[0]!));
  add('pure noise', cutout(Float32Array.from({ length: SIDE * SIDE }, () => r() + r() + r() - 1.5), SIDE, SIDE, 0.1), at(L[0]!));
  const ray = L[1]!.data.slice();
  ray[33 * SIDE + 12] = 200 * Math.max(...ray);
  add('cosmic ray', cutout(ray, SIDE, SIDE, 0.1), at(L[1]!));
  add('offset by -1000', cutout(Float32Array.from(L[2]!.data, (v) => v - 1000), SIDE, SIDE, 0.1), at(L[2]!));
  const hi = Math.max(...L[3]!.data);
  add('quantised (ties)', cutout(Float32Array.from(L[3]!.data, (v) => Math.round((40 * v) / hi)), SIDE, SIDE, 0.1), at(L[3]!));
  add('quantised, masked', cutout(masked(Float32Array.from(L[4]!.data, (v) => Math.round((12 * v) / hi)), SIDE, hole(32, 32, 8)), SIDE, SIDE, 0.1), at(L[4]!));
  add('tiny 8x8', cutout(crop(L[5]!.data, 28, 28, 8, 8), 8, 8, 0.1), at(L[5]!, { width: 8, height: 8 }));
  add('refused: too much masked', cutout(masked(L[6]!.data, SIDE, (x) => x > 28), SIDE, SIDE, 0.1), at(L[6]!));
  return out;
}

// ---------------------------------------------------------------------------------------------------
// outputs

type Num = number | string; // JSON has no NaN or ±Infinity: those are written as strings.

const num = (v: number): Num => (Number.isFinite(v) ? v : String(v));
const unnum = (v: Num): number => (typeof v === 'string' ? Number(v) : v);

/** A digest of an array: its exact bytes' SHA-256 and a few moments over the finite values. */
interface ArrayDigest {
  length: number;
  sha256: string;
  sum: Num;
  sumSq: Num;
  /** Sum of value * (1 + index % 7): sees values moved between positions. */
  weighted: Num;
  nonFinite: number;
}

function digest(a: Float32Array | Float64Array | Uint8Array): ArrayDigest {
  let sum = 0;
  let sumSq = 0;
  let weighted = 0;
  let nonFinite = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    sum += v;
    sumSq += v * v;
    weighted += v * (1 + (i % 7));
  }
  const sha256 = createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
  return { length: a.length, sha256, sum: num(sum), sumSq: num(sumSq), weighted: num(weighted), nonFinite };
}

interface Golden {
  name: string;
  error?: string;
  masked?: number;
  resampled?: unknown;
  assumedPixelScale?: boolean;
  pixels?: ArrayDigest;
  mask?: ArrayDigest | null;
  noise?: { source: string; background: Num; gain: Num; variance: ArrayDigest };
  /** estimateNoise on the prepared pixels (float64, before the variance is stored as float32). */
  estimate?: { background: Num; variance: Num; gain: Num };
  stats?: { radius: Num; sharpness: Num; noise: Num; relativeWidth: Num };
  /** gaussianBlur of the prepared pixels at the two widths the code uses. */
  blur?: { sigma1: ArrayDigest; sigma15: ArrayDigest };
}

function golden(c: Case): Golden {
  let prep;
  try {
    prep = prepareCutout(c.cutout, c.grid);
  } catch (e) {
    return { name: c.name, error: (e as { code?: string }).code ?? String(e) };
  }
  const { width, height } = c.grid;
  const s = imageStats(prep, width, height);
  const g: Golden = {
    name: c.name,
    masked: prep.masked,
    resampled: prep.resampled ?? null,
    assumedPixelScale: prep.assumedPixelScale,
    pixels: digest(prep.pixels),
    mask: prep.mask === undefined ? null : digest(prep.mask),
    noise: { source: prep.noise.source, background: num(prep.noise.background), gain: num(prep.noise.gain), variance: digest(prep.noise.variance) },
    stats: { radius: num(s.radius), sharpness: num(s.sharpness), noise: num(s.noise), relativeWidth: num(s.relativeWidth) },
    blur: { sigma1: digest(gaussianBlur(prep.pixels, width, height, 1)), sigma15: digest(gaussianBlur(prep.pixels, width, height, 1.5)) },
  };
  if (prep.noise.source === 'estimated') {
    const e = estimateNoise(prep.pixels, width, height, prep.mask);
    g.estimate = { background: num(e.background), variance: num(e.variance), gain: num(e.gain) };
  }
  return g;
}

/** gaussianBlur on its own: odd shapes (narrower than the kernel, one row, one pixel) and sigmas. */
function blurs(): { name: string; blur: ArrayDigest }[] {
  const r = rng(20260803);
  const shapes: [number, number, number][] = [
    [1, 1, 1.5],
    [5, 3, 1.5],
    [13, 2, 1],
    [3, 17, 1.5],
    [64, 64, 1],
    [64, 64, 1.5],
    [31, 47, 0.4],
    [20, 20, 2.7],
  ];
  return shapes.map(([w, h, sigma]) => {
    const image = Float32Array.from({ length: w * h }, () => r() * 2 - 0.5);
    return { name: `${w}x${h} sigma ${sigma}`, blur: digest(gaussianBlur(image, w, h, sigma)) };
  });
}

// ---------------------------------------------------------------------------------------------------
// comparison

/** Walks expected and got together: numbers within REL relative, everything else equal. */
function compare(expected: unknown, got: unknown, path: string, problems: string[]): void {
  if (typeof expected === 'number' || (typeof expected === 'string' && /^(NaN|-?Infinity)$/.test(expected))) {
    const a = unnum(expected);
    const b = typeof got === 'number' || typeof got === 'string' ? unnum(got) : NaN;
    const same = Object.is(a, b) || a === b || Math.abs(a - b) <= REL * Math.max(Math.abs(a), Math.abs(b));
    if (!same) problems.push(`${path}: expected ${a}, got ${String(got)} (relative ${Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b))})`);
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    if (got === null || typeof got !== 'object') {
      problems.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
      return;
    }
    const keys = new Set([...Object.keys(expected), ...Object.keys(got)]);
    for (const k of keys) compare((expected as Record<string, unknown>)[k], (got as Record<string, unknown>)[k], `${path}.${k}`, problems);
    return;
  }
  if (expected !== got) problems.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
}

describe('preprocessing golden outputs', () => {
  const all = cases();
  const got = { cases: all.map(golden), blurs: blurs() };

  if (process.env.DARKLENS_WRITE_GOLDEN === '1') {
    it('writes expected.json', () => {
      writeFileSync(EXPECTED, `${JSON.stringify(got, null, 1)}\n`);
    });
    return;
  }

  const expected = JSON.parse(readFileSync(EXPECTED, 'utf8')) as typeof got;

  it('covers ~50 varied cutouts, each prepared or refused as before', () => {
    expect(all.length).toBeGreaterThanOrEqual(50);
    expect(got.cases.map((c) => c.name)).toEqual(expected.cases.map((c) => c.name));
    expect(got.cases.map((c) => c.error ?? null)).toEqual(expected.cases.map((c) => c.error ?? null));
  });

  it.each(expected.cases.map((e, i) => [e.name, i] as const))('%s: same pixels, mask, noise model, estimate, blurs and image stats', (_, i) => {
    const problems: string[] = [];
    compare(expected.cases[i], got.cases[i], 'case', problems);
    expect(problems).toEqual([]);
  });

  it('gives the same outputs whatever ran before (working buffers are reused between cutouts)', () => {
    const reversed = [...all].reverse().map(golden).reverse();
    const problems: string[] = [];
    compare(got.cases, reversed, 'reversed', problems);
    expect(problems).toEqual([]);
  });

  it('gaussianBlur gives the same values on odd shapes and sigmas', () => {
    const problems: string[] = [];
    compare(expected.blurs, got.blurs, 'blurs', problems);
    expect(problems).toEqual([]);
  });
});
