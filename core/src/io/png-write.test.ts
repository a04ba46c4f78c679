import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { encodePngGray, encodePngRgb, PNG_MAX_SIDE } from './png-write.js';
import { expectError } from '../../../test/helpers/cutout-errors.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function u32be(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** Reads the IHDR chunk, which the PNG spec requires to come first, right after the signature. */
function ihdr(png: Uint8Array) {
  const length = u32be(png, 8);
  const type = String.fromCharCode(...png.subarray(12, 16));
  return {
    length,
    type,
    width: u32be(png, 16),
    height: u32be(png, 20),
    bitDepth: png[24],
    colorType: png[25],
    interlace: png[28],
  };
}

describe('encodePngGray', () => {
  const w = 7;
  const h = 3;
  const pixels = Uint8Array.from({ length: w * h }, (_, i) => (i * 37 + 5) & 0xff);

  it('writes the PNG signature and a grayscale 8-bit IHDR', () => {
    const png = encodePngGray(w, h, pixels);
    expect([...png.subarray(0, 8)]).toEqual(SIGNATURE);
    expect(ihdr(png)).toEqual({ length: 13, type: 'IHDR', width: w, height: h, bitDepth: 8, colorType: 0, interlace: 0 });
  });

  it('round-trips through fast-png decode', () => {
    const out = decode(encodePngGray(w, h, pixels));
    expect(out.width).toBe(w);
    expect(out.height).toBe(h);
    expect(out.channels).toBe(1);
    expect(out.depth).toBe(8);
    expect([...out.data]).toEqual([...pixels]);
  });

  it('does not modify the input', () => {
    const copy = pixels.slice();
    encodePngGray(w, h, pixels);
    expect(pixels).toEqual(copy);
  });

  it('rejects bad sizes', () => {
    expectError(() => encodePngGray(w, h, new Uint8Array(w * h - 1)), 'invalid_argument');
    expectError(() => encodePngGray(w, h, new Uint8Array(w * h * 3)), 'invalid_argument');
    expectError(() => encodePngGray(0, 1, new Uint8Array(0)), 'invalid_argument');
    expectError(() => encodePngGray(1.5, 2, new Uint8Array(3)), 'invalid_argument');
    expectError(() => encodePngGray(-2, -2, new Uint8Array(4)), 'invalid_argument');
    expectError(() => encodePngGray(Number.NaN, 1, new Uint8Array(1)), 'invalid_argument');
    expectError(() => encodePngGray(PNG_MAX_SIDE + 1, 1, new Uint8Array(PNG_MAX_SIDE + 1)), 'too_large');
    expectError(() => encodePngGray(2, 2, [1, 2, 3, 4] as unknown as Uint8Array), 'invalid_argument');
  });
});

describe('encodePngRgb', () => {
  const w = 5;
  const h = 4;
  const pixels = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 53 + 11) & 0xff);

  it('writes the PNG signature and an RGB 8-bit IHDR', () => {
    const png = encodePngRgb(w, h, pixels);
    expect([...png.subarray(0, 8)]).toEqual(SIGNATURE);
    expect(ihdr(png)).toEqual({ length: 13, type: 'IHDR', width: w, height: h, bitDepth: 8, colorType: 2, interlace: 0 });
  });

  it('round-trips through fast-png decode, keeping channel order', () => {
    const out = decode(encodePngRgb(w, h, pixels));
    expect(out.width).toBe(w);
    expect(out.height).toBe(h);
    expect(out.channels).toBe(3);
    expect(out.depth).toBe(8);
    expect([...out.data]).toEqual([...pixels]);
    // A single pure-red pixel stays red (R first).
    const red = decode(encodePngRgb(1, 1, Uint8Array.of(255, 0, 0)));
    expect([...red.data]).toEqual([255, 0, 0]);
  });

  it('rejects bad sizes', () => {
    expectError(() => encodePngRgb(w, h, new Uint8Array(w * h)), 'invalid_argument');
    expectError(() => encodePngRgb(w, h, new Uint8Array(w * h * 3 + 1)), 'invalid_argument');
    expectError(() => encodePngRgb(w, 0, new Uint8Array(0)), 'invalid_argument');
  });
});
