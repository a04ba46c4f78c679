import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DarklensError } from '@darklens/core';
import { inputFiles } from './input-files.js';

const cwd = mkdtempSync(join(tmpdir(), 'darklens-inputs-'));
beforeAll(() => {
  for (const [f, bytes] of [['data/b.fits', 2], ['data/a.fits', 1], ['data/sub/c.fits', 3], ['data/B.fits', 4], ['data/.DS_Store', 5], ['data/.cache/d.fits', 6], ['one.npy', 7], ['other/e.fits', 8], ['z[1].fits', 9]] as const) {
    mkdirSync(join(cwd, f, '..'), { recursive: true });
    writeFileSync(join(cwd, f), new Uint8Array(bytes));
  }
  symlinkSync(join(cwd, 'data'), join(cwd, 'data', 'sub', 'loop'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const names = async (args: string[], exclude: string[] = []): Promise<string[]> => (await inputFiles(args, { cwd, exclude })).map((f) => f.name);

describe('inputFiles', () => {
  it('takes files as given and recurses folders in code-point order, skipping hidden entries and symlink loops', async () => {
    expect(await names(['one.npy', 'data'])).toEqual(['one.npy', 'data/B.fits', 'data/a.fits', 'data/b.fits', 'data/sub/c.fits']);
  });

  it('records paths, sizes and modification times for the fingerprint', async () => {
    const [f] = await inputFiles(['data/sub/c.fits'], { cwd, exclude: [] });
    expect(f).toMatchObject({ name: 'data/sub/c.fits', path: join(cwd, 'data/sub/c.fits'), size: 3 });
    expect(f!.mtimeMs).toBeGreaterThan(0);
  });

  it('expands globs once per argument, and keeps repeats across arguments', async () => {
    expect(await names(['**/*.fits'])).toEqual(['data/B.fits', 'data/a.fits', 'data/b.fits', 'data/sub/c.fits', 'other/e.fits', 'z[1].fits']);
    expect(await names(['data/a.fits', 'data/a.fits'])).toEqual(['data/a.fits', 'data/a.fits']);
    // A name with glob characters that exists is that file.
    expect(await names(['z[1].fits'])).toEqual(['z[1].fits']);
  });

  it('leaves out the results file and its progress file found in a folder, and refuses them as arguments', async () => {
    expect(await names(['data'], [join(cwd, 'data/a.fits')])).not.toContain('data/a.fits');
    await expect(inputFiles(['data/a.fits'], { cwd, exclude: ['data/a.fits'] })).rejects.toThrow(/results file/);
  });

  it('is a usage error for paths that do not exist and globs that match nothing, naming each', async () => {
    const e = await inputFiles(['nope.fits', '*.png', 'one.npy'], { cwd, exclude: [] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DarklensError);
    expect((e as DarklensError).code).toBe('invalid_argument');
    expect((e as Error).message).toMatch(/nope\.fits does not exist; no file matches \*\.png/);
  });
});
