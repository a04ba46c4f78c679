import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, decodeStack, writeFits, writeNpy } from '@darklens/core';
import { tar } from '../../../test/helpers/fuzz-bodies.js';
import { inputFiles } from './input-files.js';
import { pieceNames, type Piece } from './scorer.js';
import { localWork, type WorkSource } from './work-source.js';

const cwd = mkdtempSync(join(tmpdir(), 'darklens-work-'));
const limits = { limits: DEFAULT_LIMITS, maxGunzipBytes: 1 << 24 };
/** Image i of every stack here has every pixel equal to i (so a piece's images say where they came from). */
const stack = (n: number, base = 0): Uint8Array => writeNpy(Float32Array.from({ length: n * 16 }, (_, k) => base + Math.floor(k / 16)), [n, 1, 4, 4]);
const fits = writeFits({ width: 4, height: 4, data: new Float32Array(16).fill(7) });

beforeAll(() => {
  const files: [string, Uint8Array][] = [
    ['a.fits', fits],
    ['b.npy', stack(10)],
    ['c.tar', tar([{ name: 'x.fits', data: fits }, { name: 'in/y.npy', data: stack(3, 100) }, { name: 'z.fits', data: fits }]).bytes],
    ['d.tar.gz', gzipSync(tar([{ name: 'w.fits', data: fits }]).bytes)],
    ['e.fits.gz', gzipSync(fits)],
    ['f.tar', tar([{ name: 'bad.fits', data: fits, badChecksum: true }]).bytes],
    ['g.tar', tar([{ name: 'only-a-folder/', type: '5' }]).bytes],
    ['h.txt', new TextEncoder().encode('not a cutout')],
  ];
  for (const [name, bytes] of files) writeFileSync(join(cwd, name), bytes);
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

async function work(): Promise<WorkSource> {
  return localWork(await inputFiles(['.'], { cwd, exclude: [] }), limits);
}

const names = (pieces: Piece[]): string[] => pieces.flatMap(pieceNames);

describe('localWork', () => {
  it('numbers every cutout of files, stacks and archives, one row for a file that cannot be opened as an archive', async () => {
    const w = await work();
    const all = names(await w.pieces(0, w.total));
    expect(all).toEqual([
      'a.fits',
      ...Array.from({ length: 10 }, (_, i) => `b.npy[${i}]`),
      'c.tar:x.fits',
      'c.tar:in/y.npy[0]',
      'c.tar:in/y.npy[1]',
      'c.tar:in/y.npy[2]',
      'c.tar:z.fits',
      'd.tar.gz:w.fits',
      'e.fits.gz',
      'f.tar',
      'g.tar',
      'h.txt',
    ]);
    expect(w.total).toBe(all.length);
  });

  it('gives any range as the same cutouts, a stack cut into a slice of the right images', async () => {
    const w = await work();
    const whole = names(await w.pieces(0, w.total));
    for (const [a, b] of [[0, 3], [3, 12], [5, 6], [11, 14], [12, 20], [20, w.total]] as const) {
      expect(names(await w.pieces(a, b))).toEqual(whole.slice(a, b));
    }
    const [slice] = await w.pieces(4, 7);
    expect(slice).toMatchObject({ name: 'b.npy', first: 3, count: 3 });
    expect(Array.from(decodeStack((slice as { bytes: Uint8Array }).bytes).data.filter((_, k) => k % 16 === 0))).toEqual([3, 4, 5]);
    const [inTar] = await w.pieces(13, 15);
    expect(Array.from(decodeStack((inTar as { bytes: Uint8Array }).bytes).data.filter((_, k) => k % 16 === 0))).toEqual([101, 102]);
  });

  it('carries why a broken or empty archive cannot be read, and leaves other bytes to the decoder', async () => {
    const w = await work();
    const pieces = await w.pieces(0, w.total);
    const byName = new Map(pieces.map((p) => [p.name, p]));
    expect((byName.get('f.tar') as { error: Error }).error.message).toMatch(/checksum/);
    expect((byName.get('g.tar') as { error: Error }).error.message).toMatch(/without cutout files/);
    expect(byName.get('h.txt')).toHaveProperty('bytes');
    expect(byName.get('e.fits.gz')).toHaveProperty('bytes');
  });

  it('gives a file removed after planning an error piece, not a failure of the run', async () => {
    writeFileSync(join(cwd, 'later.fits'), fits);
    const w = await localWork(await inputFiles(['later.fits', 'a.fits'], { cwd, exclude: [] }), limits);
    rmSync(join(cwd, 'later.fits'));
    const pieces = await w.pieces(0, 2);
    expect((pieces[0] as { error: { code: string } }).error.code).toBe('not_found');
    expect(pieces[1]).toHaveProperty('bytes');
  });
});
