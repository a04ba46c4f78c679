import { describe, expect, it } from 'vitest';
import { decodeCutout, writeFits, writeNpy } from '@darklens/core';
import { downsample, expandFile } from './files';

const image = (seed: number) => Float32Array.from({ length: 16 * 16 }, (_, i) => Math.sin(i * seed));

describe('dropped files', () => {
  it('splits an NPY stack into its images, named as the batch API names them, each scorable alone', async () => {
    const stack = new Float32Array(3 * 256);
    for (let k = 0; k < 3; k++) stack.set(image(k + 1), k * 256);
    const items = await expandFile(new File([writeNpy(stack, [3, 1, 16, 16]).slice()], 'lenses.npy'));
    expect(items.map((i) => i.name)).toEqual(['lenses.npy[0]', 'lenses.npy[1]', 'lenses.npy[2]']);
    for (let k = 0; k < 3; k++) {
      const alone = decodeCutout(new Uint8Array(await items[k]!.blob.arrayBuffer()));
      expect(Array.from(alone.data)).toEqual(Array.from(image(k + 1)));
      expect(items[k]!.cutout!.width).toBe(16);
    }
  });

  it('keeps a single FITS as it is, decoded for display', async () => {
    const file = new File([writeFits({ width: 16, height: 16, data: image(2) }, { pixelScale: 0.1 }).slice()], 'one.fits');
    const [item, ...rest] = await expandFile(file);
    expect(rest).toEqual([]);
    expect(item!.blob).toBe(file);
    expect(item!.cutout!.format).toBe('fits');
  });

  it('leaves an unreadable file to the API (no cutout, sent as it is)', async () => {
    const file = new File([new TextEncoder().encode('SIMPLE  =  nonsense')], 'broken.fits');
    const items = await expandFile(file);
    expect(items).toHaveLength(1);
    expect(items[0]!.cutout).toBeUndefined();
    expect(items[0]!.blob).toBe(file);
  });

  it('downsamples big cutouts for thumbnails', () => {
    const big = { width: 300, height: 200, data: new Float32Array(300 * 200).map((_, i) => i) };
    const small = downsample(big, 64);
    expect([small.width, small.height]).toEqual([60, 40]);
    expect(small.data[1]).toBe(5);
    expect(small.data[60]).toBe(5 * 300);
  });
});
