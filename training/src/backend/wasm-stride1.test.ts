import { describe, expect, it } from 'vitest';
import { permute4, rotateSwapFilter, stride1Applies } from './wasm-stride1.js';
import type { Conv2DGeometry } from './conv-geometry.js';

describe('permute4 and rotateSwapFilter', () => {
  it('moves every element to its permuted index', () => {
    const shape: [number, number, number, number] = [2, 3, 4, 5];
    const src = Float32Array.from({ length: 120 }, (_, i) => i);
    const dst = new Float32Array(120);
    permute4(src, dst, shape, [3, 1, 2, 0]); // dst [5, 3, 4, 2]
    for (const [a, b, c, d] of [[0, 0, 0, 0], [1, 2, 3, 4], [0, 1, 2, 3], [1, 0, 3, 2]] as const) {
      expect(dst[((d * 3 + b) * 4 + c) * 2 + a]).toBe(src[((a * 3 + b) * 4 + c) * 5 + d]);
    }
    expect([...dst].sort((x, y) => x - y)).toEqual([...src]);
  });

  it('rotates a filter by 180 degrees and swaps its channel axes', () => {
    const [FH, FW, C, CO] = [3, 2, 2, 4];
    const w = Float32Array.from({ length: FH * FW * C * CO }, (_, i) => i);
    const out = new Float32Array(w.length);
    rotateSwapFilter(w, out, [FH, FW, C, CO]);
    const at = (a: number, b: number, co: number, c: number): number => out[((a * FW + b) * CO + co) * C + c]!;
    expect(at(0, 0, 3, 1)).toBe(w[(((FH - 1) * FW + (FW - 1)) * C + 1) * CO + 3]);
    expect(at(2, 1, 0, 0)).toBe(w[0]);
  });

  it('applies to stride-1 same and valid geometries only', () => {
    const g = (o: Partial<Conv2DGeometry>): Conv2DGeometry => ({
      batch: 1, inHeight: 8, inWidth: 8, inChannels: 1, outHeight: 8, outWidth: 8, outChannels: 1,
      filterHeight: 7, filterWidth: 7, strideHeight: 1, strideWidth: 1, padTop: 3, padLeft: 3, ...o,
    });
    expect(stride1Applies(g({}))).toBe(true);
    expect(stride1Applies(g({ outHeight: 2, outWidth: 2, padTop: 0, padLeft: 0 }))).toBe(true);
    expect(stride1Applies(g({ strideHeight: 3, outHeight: 3 }))).toBe(false);
    // A 'valid' output with leading padding would need a negative trailing pad.
    expect(stride1Applies(g({ outHeight: 2, padTop: 3 }))).toBe(false);
  });
});
