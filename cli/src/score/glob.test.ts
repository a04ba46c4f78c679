import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandGlob, hasGlob, segmentRegExp } from './glob.js';

const dir = mkdtempSync(join(tmpdir(), 'darklens-glob-'));
beforeAll(() => {
  for (const f of ['a.fits', 'b.fits', 'c.npy', '.hidden.fits', 'x/d.fits', 'x/y/e.fits', 'x/y/f.txt', '.git/g.fits', 'z[1].fits']) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), '');
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('segmentRegExp', () => {
  it('matches within one segment, with sets and negated sets', () => {
    expect(segmentRegExp('*.fits').test('a.fits')).toBe(true);
    expect(segmentRegExp('*.fits').test('a.fitsx')).toBe(false);
    expect(segmentRegExp('?.npy').test('c.npy')).toBe(true);
    expect(segmentRegExp('?.npy').test('cc.npy')).toBe(false);
    expect(segmentRegExp('[ab].fits').test('b.fits')).toBe(true);
    expect(segmentRegExp('[!ab].fits').test('b.fits')).toBe(false);
    expect(segmentRegExp('[a-c]*').test('c.npy')).toBe(true);
    expect(segmentRegExp('a+b(1).fits').test('a+b(1).fits')).toBe(true);
  });

  it('knows a glob from a plain path', () => {
    expect(hasGlob('data/*.fits')).toBe(true);
    expect(hasGlob('data/a.fits')).toBe(false);
  });
});

describe('expandGlob', () => {
  it('expands within a folder, sorted, never matching hidden names', async () => {
    expect(await expandGlob('*.fits', dir)).toEqual(['a.fits', 'b.fits', 'z[1].fits']);
    expect(await expandGlob('[ab].fits', dir)).toEqual(['a.fits', 'b.fits']);
    expect(await expandGlob('.*.fits', dir)).toEqual(['.hidden.fits']);
  });

  it('goes through any number of folders with **, but not hidden ones', async () => {
    expect(await expandGlob('**/*.fits', dir)).toEqual(['a.fits', 'b.fits', 'x/d.fits', 'x/y/e.fits', 'z[1].fits']);
    expect(await expandGlob('x/**/*', dir)).toEqual(['x/d.fits', 'x/y', 'x/y/e.fits', 'x/y/f.txt']);
  });

  it('keeps literal segments and the pattern\'s own prefix, and gives absolute paths for an absolute pattern', async () => {
    expect(await expandGlob('x/*/e.fits', dir)).toEqual(['x/y/e.fits']);
    expect(await expandGlob('x/*/none.fits', dir)).toEqual([]);
    expect(await expandGlob(`${dir}/x/*.fits`, '/')).toEqual([`${dir}/x/d.fits`]);
  });
});
