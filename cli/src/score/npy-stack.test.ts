import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, npyHeader, npyLayout, sliceNpyStack, writeNpy } from '@darklens/core';
import { readSlice, readStackLayout, sliceFile, stackLayout } from './npy-stack.js';

const dir = mkdtempSync(join(tmpdir(), 'darklens-npy-stack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ramp = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i * 0.5);

/** An NPY file of `shape` with a non-float dtype (big-endian int16), to check the dtype is kept. */
function int16Stack(shape: number[]): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const head = npyHeader(shape, '>i2');
  const out = new Uint8Array(head.length + 2 * n);
  out.set(head);
  const view = new DataView(out.buffer, head.length);
  for (let i = 0; i < n; i++) view.setInt16(2 * i, i - 100, false);
  return out;
}

describe('stackLayout', () => {
  it.each([
    ['[N,H,W]', writeNpy(ramp(5 * 6 * 4), [5, 6, 4])],
    ['[N,1,H,W]', writeNpy(ramp(5 * 6 * 4), [5, 1, 6, 4])],
    ['[B,b,1,H,W]', writeNpy(ramp(6 * 6 * 4), [2, 3, 1, 6, 4])],
    ['int16 big-endian', int16Stack([7, 6, 4])],
  ])('reads %s as core does', (_, bytes) => {
    const core = npyLayout(bytes);
    const l = stackLayout(bytes.subarray(0, core.dataOffset), bytes.length, DEFAULT_LIMITS)!;
    expect(l).toEqual({ count: core.count, height: core.height, width: core.width, descr: core.descr, itemSize: core.itemSize, dataOffset: core.dataOffset });
  });

  it('leaves single images, Fortran order, a wrong size and several channels to the decoder', () => {
    const one = writeNpy(ramp(24), [1, 6, 4]);
    expect(stackLayout(one, one.length, DEFAULT_LIMITS)).toBeUndefined();
    const image = writeNpy(ramp(24), [6, 4]);
    expect(stackLayout(image, image.length, DEFAULT_LIMITS)).toBeUndefined();
    const stack = writeNpy(ramp(48), [2, 6, 4]);
    const head = stack.subarray(0, npyLayout(stack).dataOffset);
    expect(stackLayout(head, stack.length - 1, DEFAULT_LIMITS)).toBeUndefined();
    expect(stackLayout(head, stack.length, DEFAULT_LIMITS)).toBeDefined();
    const fortran = new TextEncoder().encode(new TextDecoder('latin1').decode(head).replace("'fortran_order': False", "'fortran_order': True "));
    expect(stackLayout(fortran, stack.length, DEFAULT_LIMITS)).toBeUndefined();
    const rgb = writeNpy(ramp(2 * 3 * 24), [2, 3, 6, 4]);
    expect(stackLayout(rgb, rgb.length, DEFAULT_LIMITS)).toBeUndefined();
  });

  it('refuses images wider than the side limit (the decoder then says so)', () => {
    const wide = writeNpy(ramp(2 * 40), [2, 1, 40]);
    expect(stackLayout(wide, wide.length, { ...DEFAULT_LIMITS, maxSide: 32 })).toBeUndefined();
  });
});

describe('slices', () => {
  it('cut from a file equal core\'s sliceNpyStack, byte for byte', async () => {
    const bytes = int16Stack([10, 1, 6, 4]);
    const path = join(dir, 'stack.npy');
    writeFileSync(path, bytes);
    const fh = await open(path, 'r');
    try {
      const l = (await readStackLayout(fh, bytes.length, DEFAULT_LIMITS))!;
      expect(l.count).toBe(10);
      for (const s of sliceNpyStack(bytes, 4)) expect(await readSlice(fh, l, s.first, s.count)).toEqual(s.bytes);
      const size = l.height * l.width * l.itemSize;
      expect(sliceFile(l, 3, bytes.subarray(l.dataOffset + 2 * size, l.dataOffset + 5 * size))).toEqual(await readSlice(fh, l, 2, 3));
    } finally {
      await fh.close();
    }
  });

  it('come back short (and so fail to decode) when the file shrank', async () => {
    const bytes = writeNpy(ramp(4 * 24), [4, 6, 4]);
    const path = join(dir, 'short.npy');
    writeFileSync(path, bytes);
    const fh = await open(path, 'r+');
    try {
      const l = (await readStackLayout(fh, bytes.length, DEFAULT_LIMITS))!;
      await fh.truncate(bytes.length - 10);
      const s = await readSlice(fh, l, 2, 2);
      expect(() => npyLayout(s)).toThrow(/needs/);
    } finally {
      await fh.close();
    }
  });
});
