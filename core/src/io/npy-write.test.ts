import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readNpy } from './npy-read.js';
import { npyHeader, writeNpy } from './npy-write.js';
import { codeOf } from '../../../test/helpers/cutout-errors.js';

const FIXTURES = new URL('../../test-fixtures/npy/', import.meta.url);

function ascii(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

describe('npyHeader', () => {
  it.each([[[]], [[5]], [[64, 64]], [[3, 1, 64, 64]], [[2, 3, 1, 101, 99]], [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]])(
    'writes a v1.0 <f4 C-order header for %j, 64-byte aligned and ending in a newline',
    (shape) => {
      const h = npyHeader(shape);
      expect(Array.from(h.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      expect(h.length % 64).toBe(0);
      expect(h[8]! | (h[9]! << 8)).toBe(h.length - 10);
      expect(h[h.length - 1]).toBe(0x0a);
      const text = ascii(h.subarray(10));
      const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
      expect(text.trimEnd()).toBe(`{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`);
    },
  );

  it('rejects shapes that are not lists of non-negative integers', () => {
    for (const shape of [[-1, 2], [1.5, 2], [NaN], [2 ** 60]]) {
      expect(codeOf(() => npyHeader(shape))).toBe('invalid_argument');
    }
  });

  it('lets a stream of header + little-endian chunks equal writeNpy', () => {
    const data = Float32Array.from({ length: 2 * 3 * 5 }, (_, i) => i * 0.5 - 3);
    const header = npyHeader([2, 3, 5]);
    const streamed = new Uint8Array(header.length + data.byteLength);
    streamed.set(header);
    const view = new DataView(streamed.buffer);
    data.forEach((v, i) => view.setFloat32(header.length + 4 * i, v, true));
    expect(Array.from(streamed)).toEqual(Array.from(writeNpy(data, [2, 3, 5])));
  });
});

describe('writeNpy', () => {
  // numpy.save writes exactly this layout for float32 C arrays, so ours must match byte for byte.
  it.each(['shape-hw.npy', 'shape-nhw.npy', 'shape-n1hw.npy', 'shape-1x1.npy'])('reproduces numpy.save byte for byte (%s)', (name) => {
    const original = new Uint8Array(readFileSync(new URL(name, FIXTURES)));
    const stack = readNpy(original);
    const shape = String(stack.meta.shape)
      .replace(/[(),]/g, ' ')
      .trim()
      .split(/\s+/)
      .map(Number);
    expect(Array.from(writeNpy(stack.data, shape))).toEqual(Array.from(original));
  });

  it('writes float32 little-endian and round-trips through readNpy, NaN included', () => {
    const data = Float32Array.of(1, -2.5, NaN, 3.4e38, 1e-40, -0);
    const bytes = writeNpy(data, [2, 3]);
    const first = bytes.subarray(bytes.length - 24, bytes.length - 20);
    expect(Array.from(first)).toEqual([0x00, 0x00, 0x80, 0x3f]); // 1.0f little-endian
    const back = readNpy(bytes);
    expect([back.count, back.height, back.width]).toEqual([1, 2, 3]);
    expect(back.masked).toBe(1);
    expect(Object.is(back.data[5], -0)).toBe(true);
    expect(Array.from(back.data).map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual([1, -2.5, 'NaN', Math.fround(3.4e38), Math.fround(1e-40), -0]);
  });

  it('writes a view of a larger buffer correctly', () => {
    const big = Float32Array.from({ length: 10 }, (_, i) => i);
    const bytes = writeNpy(big.subarray(3, 7), [2, 2]);
    expect(Array.from(readNpy(bytes).data)).toEqual([3, 4, 5, 6]);
  });

  it('rejects data whose length is not the product of the shape', () => {
    expect(codeOf(() => writeNpy(new Float32Array(5), [2, 3]))).toBe('invalid_argument');
    expect(codeOf(() => writeNpy(new Float32Array(6), [2, -3]))).toBe('invalid_argument');
  });
});
