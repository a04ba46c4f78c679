import { DarklensError } from '@darklens/core';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { ASINH_K, colormapTable, finiteRange, NAN_COLOR, RgbCanvas, stretchIndex } from './canvas.js';
import { expectError } from '../../../test/helpers/cutout-errors.js';

function ramp(width: number, height: number, f: (x: number, y: number) => number) {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, data };
}

function luminance(lut: Uint8Array, i: number): number {
  return 0.2126 * lut[i * 3]! + 0.7152 * lut[i * 3 + 1]! + 0.0722 * lut[i * 3 + 2]!;
}

describe('RgbCanvas basics', () => {
  it('starts filled with the background', () => {
    const c = new RgbCanvas(4, 3, [10, 20, 30]);
    expect(c.pixels).toHaveLength(4 * 3 * 3);
    expect(c.getPixel(0, 0)).toEqual([10, 20, 30]);
    expect(c.getPixel(3, 2)).toEqual([10, 20, 30]);
    expect(new RgbCanvas(2, 2).getPixel(1, 1)).toEqual([0, 0, 0]);
  });

  it('rejects bad sizes', () => {
    expectError(() => new RgbCanvas(0, 5), 'invalid_argument');
    expectError(() => new RgbCanvas(5, 2.5), 'invalid_argument');
    expectError(() => new RgbCanvas(1 << 15, 1 << 15), 'too_large');
  });

  it('sets pixels in RGB order, row-major, clamping colours and ignoring outside points', () => {
    const c = new RgbCanvas(3, 2);
    c.setPixel(2, 1, [1, 2, 3]);
    expect([...c.pixels.subarray(15, 18)]).toEqual([1, 2, 3]);
    c.setPixel(0, 0, [300, -5, 127.6]);
    expect(c.getPixel(0, 0)).toEqual([255, 0, 128]);
    const before = c.pixels.slice();
    c.setPixel(3, 0, [9, 9, 9]);
    c.setPixel(-1, 0, [9, 9, 9]);
    c.setPixel(0, 2, [9, 9, 9]);
    expect(c.pixels).toEqual(before);
  });

  it('fills rectangles clipped to the canvas', () => {
    const c = new RgbCanvas(5, 4);
    c.fillRect(3, 2, 10, 10, [7, 7, 7]);
    c.fillRect(-2, -2, 3, 3, [5, 5, 5]);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 5; x++) {
        const want = x >= 3 && y >= 2 ? 7 : x < 1 && y < 1 ? 5 : 0;
        expect(c.getPixel(x, y)[0], `(${x},${y})`).toBe(want);
      }
    }
  });
});

describe('stretch and colormaps', () => {
  it('finds the finite range, ignoring NaN and infinities', () => {
    expect(finiteRange(Float32Array.of(NaN, 3, -Infinity, -2, Infinity, 7))).toEqual({ min: -2, max: 7 });
    expect(finiteRange(Float32Array.of(NaN, NaN))).toBeNull();
  });

  it('maps linearly and through asinh', () => {
    expect(stretchIndex(0, 0, 10)).toBe(0);
    expect(stretchIndex(10, 0, 10)).toBe(255);
    expect(stretchIndex(5, 0, 10)).toBe(128);
    expect(stretchIndex(-3, 0, 10)).toBe(0);
    expect(stretchIndex(30, 0, 10)).toBe(255);
    expect(stretchIndex(Infinity, 0, 10)).toBe(255);
    expect(stretchIndex(NaN, 0, 10)).toBe(-1);
    expect(stretchIndex(4, 4, 4)).toBe(0);
    // asinh keeps the ends and lifts faint values: t = 0.1 -> asinh(1)/asinh(10) = 0.294.
    expect(stretchIndex(0, 0, 10, 'asinh')).toBe(0);
    expect(stretchIndex(10, 0, 10, 'asinh')).toBe(255);
    expect(stretchIndex(1, 0, 10, 'asinh')).toBe(Math.round((Math.asinh(ASINH_K * 0.1) / Math.asinh(ASINH_K)) * 255));
    expect(stretchIndex(1, 0, 10, 'asinh')).toBe(75);
  });

  it('gray is a straight ramp; magma goes dark to pale with rising brightness and real colour', () => {
    const gray = colormapTable('gray');
    expect(gray).toHaveLength(768);
    for (const i of [0, 1, 100, 255]) expect([...gray.subarray(i * 3, i * 3 + 3)]).toEqual([i, i, i]);
    const magma = colormapTable('magma');
    expect(luminance(magma, 0)).toBeLessThan(10);
    expect(luminance(magma, 255)).toBeGreaterThan(230);
    for (let i = 1; i < 256; i++) expect(luminance(magma, i), `entry ${i}`).toBeGreaterThanOrEqual(luminance(magma, i - 1));
    // Purple in the lower part (blue > green), orange in the upper part (red > green > blue).
    const [r1, g1, b1] = magma.subarray(77 * 3, 77 * 3 + 3);
    expect(b1!).toBeGreaterThan(g1!);
    expect(r1!).toBeGreaterThan(g1!);
    const [r2, g2, b2] = magma.subarray(200 * 3, 200 * 3 + 3);
    expect(r2!).toBeGreaterThan(g2!);
    expect(g2!).toBeGreaterThan(b2!);
    expect(() => colormapTable('viridis' as 'gray')).toThrow(DarklensError);
  });
});

describe('drawGray', () => {
  const img = ramp(4, 2, (x, y) => x + 4 * y); // 0..7

  it('stretches to the image own min/max by default', () => {
    const c = new RgbCanvas(6, 4, [50, 60, 70]);
    c.drawGray(1, 1, img);
    expect(c.getPixel(1, 1)).toEqual([0, 0, 0]); // value 0
    expect(c.getPixel(4, 2)).toEqual([255, 255, 255]); // value 7
    expect(c.getPixel(2, 1)[0]).toBe(Math.round((1 / 7) * 255));
    // Untouched around it.
    expect(c.getPixel(0, 0)).toEqual([50, 60, 70]);
    expect(c.getPixel(5, 3)).toEqual([50, 60, 70]);
    expect(c.getPixel(5, 1)).toEqual([50, 60, 70]);
  });

  it('honours explicit min and max, clamping outside values', () => {
    const c = new RgbCanvas(4, 2);
    c.drawGray(0, 0, img, { min: 2, max: 4 });
    expect(c.getPixel(0, 0)[0]).toBe(0); // 0 < min
    expect(c.getPixel(2, 0)[0]).toBe(0); // = min
    expect(c.getPixel(3, 0)[0]).toBe(128); // halfway
    expect(c.getPixel(0, 1)[0]).toBe(255); // = max
    expect(c.getPixel(3, 1)[0]).toBe(255); // > max
  });

  it('uses one explicit bound with the image range for the other', () => {
    const c = new RgbCanvas(4, 2);
    c.drawGray(0, 0, img, { max: 14 });
    expect(c.getPixel(3, 1)[0]).toBe(128); // 7 of 0..14
  });

  it('applies the asinh stretch', () => {
    const lin = new RgbCanvas(4, 2);
    const ash = new RgbCanvas(4, 2);
    const im = ramp(4, 2, (x, y) => (x + 4 * y) / 7);
    lin.drawGray(0, 0, im);
    ash.drawGray(0, 0, im, { stretch: 'asinh' });
    expect(ash.getPixel(0, 0)[0]).toBe(0);
    expect(ash.getPixel(3, 1)[0]).toBe(255);
    for (let x = 1; x < 4; x++) expect(ash.getPixel(x, 0)[0]).toBeGreaterThan(lin.getPixel(x, 0)[0]);
    expect(ash.getPixel(1, 0)[0]).toBe(stretchIndex(1 / 7, 0, 1, 'asinh'));
  });

  it('draws NaN in a distinct colour and keeps it out of the range', () => {
    const im = ramp(3, 1, (x) => [NaN, 1, 5][x]!);
    const c = new RgbCanvas(3, 1);
    c.drawGray(0, 0, im);
    expect(c.getPixel(0, 0)).toEqual([...NAN_COLOR.gray]);
    expect(c.getPixel(1, 0)).toEqual([0, 0, 0]);
    expect(c.getPixel(2, 0)).toEqual([255, 255, 255]);
    const m = new RgbCanvas(3, 1);
    m.drawGray(0, 0, im, { colormap: 'magma' });
    expect(m.getPixel(0, 0)).toEqual([...NAN_COLOR.magma]);
    const custom = new RgbCanvas(3, 1);
    custom.drawGray(0, 0, im, { nanColor: [1, 2, 3] });
    expect(custom.getPixel(0, 0)).toEqual([1, 2, 3]);
    // The NaN colours are not colours of their maps.
    for (const cm of ['gray', 'magma'] as const) {
      const lut = colormapTable(cm);
      const nan = NAN_COLOR[cm];
      for (let i = 0; i < 256; i++) {
        const d = Math.abs(lut[i * 3]! - nan[0]) + Math.abs(lut[i * 3 + 1]! - nan[1]) + Math.abs(lut[i * 3 + 2]! - nan[2]);
        expect(d, `${cm}[${i}]`).toBeGreaterThan(60);
      }
    }
  });

  it('maps through the magma table', () => {
    const c = new RgbCanvas(4, 2);
    c.drawGray(0, 0, img, { colormap: 'magma' });
    const lut = colormapTable('magma');
    expect(c.getPixel(0, 0)).toEqual([...lut.subarray(0, 3)]);
    expect(c.getPixel(3, 1)).toEqual([...lut.subarray(765, 768)]);
  });

  it('draws constant and all-NaN images without failing', () => {
    const c = new RgbCanvas(2, 1, [9, 9, 9]);
    c.drawGray(0, 0, { width: 1, height: 1, data: Float32Array.of(3) });
    c.drawGray(1, 0, { width: 1, height: 1, data: Float32Array.of(NaN) });
    expect(c.getPixel(0, 0)).toEqual([0, 0, 0]);
    expect(c.getPixel(1, 0)).toEqual([...NAN_COLOR.gray]);
  });

  it('upscales with nearest neighbour and clips at the edges', () => {
    const c = new RgbCanvas(10, 5, [1, 1, 1]);
    c.drawGray(-1, 1, img, { scale: 3 }); // 12x6 block starting one column off the left edge
    // Source (0,0) = black covers x in [-1,2) x y in [1,4): visible columns 0,1.
    expect(c.getPixel(0, 1)).toEqual([0, 0, 0]);
    expect(c.getPixel(1, 3)).toEqual([0, 0, 0]);
    // Source (1,0) covers columns 2..4.
    const v1 = Math.round((1 / 7) * 255);
    expect(c.getPixel(2, 1)).toEqual([v1, v1, v1]);
    expect(c.getPixel(4, 3)).toEqual([v1, v1, v1]);
    // Source (3,1) = white covers columns 8..10, rows 4..6: only (8..9, 4) is visible.
    expect(c.getPixel(9, 4)).toEqual([255, 255, 255]);
    expect(c.getPixel(0, 0)).toEqual([1, 1, 1]);
  });

  it('validates its inputs', () => {
    const c = new RgbCanvas(4, 4);
    expectError(() => c.drawGray(0, 0, { width: 3, height: 2, data: new Float32Array(5) }), 'invalid_argument');
    expectError(() => c.drawGray(0, 0, { width: 0, height: 2, data: new Float32Array(0) }), 'invalid_argument');
    expectError(() => c.drawGray(0, 0, img, { scale: 0 }), 'invalid_argument');
    expectError(() => c.drawGray(0, 0, img, { min: 5, max: 5 }), 'invalid_argument');
    expectError(() => c.drawGray(0, 0, img, { min: NaN }), 'invalid_argument');
    expectError(() => c.drawGray(0, 0, img, { stretch: 'log' as 'linear' }), 'invalid_argument');
    expectError(() => c.drawGray(0, 0, img, { colormap: 'jet' as 'gray' }), 'invalid_argument');
  });
});

describe('toPng', () => {
  it('encodes the canvas pixels as an RGB PNG', () => {
    const c = new RgbCanvas(3, 2, [10, 20, 30]);
    c.setPixel(2, 1, [200, 100, 50]);
    const out = decode(c.toPng());
    expect(out.width).toBe(3);
    expect(out.height).toBe(2);
    expect(out.channels).toBe(3);
    expect([...out.data]).toEqual([...c.pixels]);
    expect([...out.data.subarray(15, 18)]).toEqual([200, 100, 50]);
  });
});
