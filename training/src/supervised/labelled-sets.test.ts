import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDarklensError, writeNpy } from '@darklens/core';
import { CEILING_CLASSES, loadLabelledSets, type CeilingDataPaths } from './labelled-sets.js';
import { splitLabelled } from './weighted-data.js';

let dir: string;

/** A .npy of `count` size x size images, image i a ramp scaled by i + 1 (distinct, not constant). */
function npy(name: string, count: number, size: number): string {
  const data = new Float32Array(count * size * size);
  for (let i = 0; i < data.length; i++) data[i] = ((i % (size * size)) / (size * size)) * (1 + Math.floor(i / (size * size)));
  const path = join(dir, name);
  writeFileSync(path, writeNpy(data, [count, 1, size, size]));
  return path;
}

function paths(over: Partial<Record<'train' | 'test', Partial<CeilingDataPaths['train']>>> = {}): CeilingDataPaths {
  return {
    train: { no_sub: join(dir, 'n.npy'), spherical: join(dir, 's.npy'), vortex: join(dir, 'v.npy'), ...over.train },
    test: { no_sub: join(dir, 'tn.npy'), spherical: join(dir, 'ts.npy'), vortex: join(dir, 'tv.npy'), ...over.test },
  };
}

async function failure(p: CeilingDataPaths): Promise<{ code: string; message: string }> {
  const e: unknown = await loadLabelledSets(p).then(() => undefined, (x: unknown) => x);
  if (!isDarklensError(e)) throw new Error(`expected a DarklensError, got ${String(e)}`);
  return { code: e.code, message: e.message };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'darklens-ceiling-sets-'));
  npy('n.npy', 10, 16);
  npy('s.npy', 4, 16);
  npy('v.npy', 6, 16);
  npy('tn.npy', 5, 16);
  npy('ts.npy', 3, 16);
  npy('tv.npy', 2, 16);
  npy('one.npy', 1, 16);
  npy('big.npy', 3, 24);
  npy('odd.npy', 3, 20);
  writeFileSync(join(dir, 'empty.npy'), writeNpy(new Float32Array(0), [0, 1, 16, 16]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadLabelledSets', () => {
  it('loads the six sets, min-max scaled, and splits each training class on its own', async () => {
    const s = await loadLabelledSets(paths());
    expect(s.size).toBe(16);
    expect(CEILING_CLASSES.map((c) => s.train[c].count)).toEqual([10, 4, 6]);
    expect(CEILING_CLASSES.map((c) => s.test[c].count)).toEqual([5, 3, 2]);
    expect(Math.max(...s.train.spherical.data.subarray(256, 512))).toBeCloseTo(1, 6); // the ramp times 2, re-scaled
    const { train, validation } = splitLabelled(s.train, 0.25, 3);
    expect(validation.counts).toEqual({ no_sub: 3, spherical: 1, vortex: 2 });
    expect(train.counts).toEqual({ no_sub: 7, spherical: 3, vortex: 4 });
    expect(train.labels.reduce((a, b) => a + b, 0)).toBe(7);
    const again = splitLabelled(s.train, 0.25, 3);
    expect(Array.from(again.validation.data)).toEqual(Array.from(validation.data));
  });

  it('names the set and file of a missing path (not_found)', async () => {
    const e = await failure(paths({ test: { vortex: join(dir, 'nowhere.npy') } }));
    expect(e.code).toBe('not_found');
    expect(e.message).toMatch(/^--test-vortex .*nowhere\.npy: /);
  });

  it('refuses sets of different sizes, sizes the CNN cannot take, and empty or one-image classes (bad_shape)', async () => {
    const mismatch = await failure(paths({ test: { spherical: join(dir, 'big.npy') } }));
    expect(mismatch.code).toBe('bad_shape');
    expect(mismatch.message).toMatch(/--test-spherical .*24x24, but --no-sub images are 16x16/);

    const odd = await failure(paths({ train: { no_sub: join(dir, 'odd.npy') } }));
    expect(odd.code).toBe('bad_shape');
    expect(odd.message).toMatch(/--no-sub .*20x20.*multiple of 8/);

    const empty = await failure(paths({ train: { vortex: join(dir, 'empty.npy') } }));
    expect(empty.code).toBe('bad_shape');
    expect(empty.message).toMatch(/^--vortex .*empty\.npy: /);

    const one = await failure(paths({ train: { spherical: join(dir, 'one.npy') } }));
    expect(one.code).toBe('bad_shape');
    expect(one.message).toMatch(/--spherical .*1 image; each training class needs at least 2/);
  });
});
