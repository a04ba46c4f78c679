import { describe, expect, it } from 'vitest';
import { readNpy } from './npy-read.js';
import { npySliceParts, sliceNpyStack } from './npy-slice.js';
import { npyHeader, writeNpy } from './npy-write.js';

describe('sliceNpyStack', () => {
  it('cuts a float32 stack into stacks whose images are the original ones', () => {
    const data = Float32Array.from({ length: 7 * 3 * 2 }, (_, i) => i * 0.5 - 3);
    const slices = sliceNpyStack(writeNpy(data, [7, 1, 3, 2]), 3);
    expect(slices.map((s) => [s.first, s.count])).toEqual([[0, 3], [3, 3], [6, 1]]);
    const back = slices.map((s) => readNpy(s.bytes));
    expect(back.map((b) => [b.count, b.height, b.width])).toEqual([[3, 3, 2], [3, 3, 2], [1, 3, 2]]);
    expect(Float32Array.from(back.flatMap((b) => [...b.data]))).toEqual(data);
  });

  it('keeps the dtype (uint8 stays 1 byte a pixel)', () => {
    const n = 5 * 4 * 4;
    const head = npyHeader([5, 4, 4], '|u1');
    const bytes = new Uint8Array(head.length + n);
    bytes.set(head);
    for (let i = 0; i < n; i++) bytes[head.length + i] = i;
    const slices = sliceNpyStack(bytes, 2);
    expect(slices[1]!.bytes.length).toBe(npyHeader([2, 4, 4], '|u1').length + 2 * 16);
    const b = readNpy(slices[2]!.bytes);
    expect(b.meta.dtype).toBe('uint8');
    expect([...b.data]).toEqual([...Array(16).keys()].map((i) => 64 + i));
  });

  it('refuses what readNpy refuses', () => {
    const good = writeNpy(new Float32Array(8), [2, 2, 2]);
    expect(() => sliceNpyStack(good.subarray(0, good.length - 1), 1)).toThrow(/needs 32/);
    expect(() => npySliceParts(good.subarray(0, good.length - 1), 1)).toThrow(/needs 32/);
  });

  it('gives the same slices as parts: a header and a view of the stack, nothing copied', () => {
    const bytes = writeNpy(Float32Array.from({ length: 5 * 2 * 2 }, (_, i) => i), [5, 2, 2]);
    const parts = npySliceParts(bytes, 2);
    const whole = sliceNpyStack(bytes, 2);
    expect(parts.map((p) => [p.first, p.count])).toEqual(whole.map((s) => [s.first, s.count]));
    parts.forEach((p, i) => {
      expect(p.data.buffer).toBe(bytes.buffer);
      expect(Uint8Array.from([...p.header, ...p.data])).toEqual(whole[i]!.bytes);
    });
  });
});
