import { readFileSync } from 'node:fs';
import { encode as encodePng } from 'fast-png';
import { zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import { readJpeg, readPng } from './raster-read.js';
import { codeOf, errorOf, expectEveryCutTruncated } from '../../../test/helpers/cutout-errors.js';

const FIXTURES = new URL('../../test-fixtures/raster/', import.meta.url);

interface PngExpected {
  width: number;
  height: number;
  colorType: number;
  bitDepth: number;
  interlaced: boolean;
  max: number;
  grey?: number[];
  rgb?: number[];
}
interface JpegExpected {
  width: number;
  height: number;
  components: number;
  progressive: boolean;
  grey?: number[];
  rgb?: number[];
}
const expected = JSON.parse(readFileSync(new URL('expected.json', FIXTURES), 'utf8')) as {
  png: Record<string, PngExpected>;
  jpeg: Record<string, JpegExpected>;
};

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, FIXTURES)));
}

/** The documented grey value of pixel i: grey/max, or luma 0.299 R + 0.587 G + 0.114 B over max. */
function greyAt(e: { grey?: number[]; rgb?: number[] }, max: number, i: number): number {
  if (e.grey) return (e.grey[i] as number) / max;
  const rgb = e.rgb as number[];
  return (0.299 * (rgb[3 * i] as number) + 0.587 * (rgb[3 * i + 1] as number) + 0.114 * (rgb[3 * i + 2] as number)) / max;
}

// --- a tiny PNG builder for hand-made (and broken) files ---------------------------------------

function chunk(type: string, data: Uint8Array | number[]): Uint8Array {
  const body = new Uint8Array(4 + data.length);
  for (let i = 0; i < 4; i++) body[i] = type.charCodeAt(i);
  body.set(data, 4);
  const out = new Uint8Array(8 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(body, 4);
  view.setUint32(8 + data.length, crc32(body));
  return out;
}

function ihdr(width: number, height: number, depth: number, colorType: number, interlace = 0): Uint8Array {
  const d = new Uint8Array(13);
  const view = new DataView(d.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  d.set([depth, colorType, 0, 0, interlace], 8);
  return chunk('IHDR', d);
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function png(...chunks: Uint8Array[]): Uint8Array {
  const total = 8 + chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  out.set(SIGNATURE);
  let at = 8;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const IEND = chunk('IEND', []);

/** Recomputes every chunk CRC so corrupted content reaches the decoder instead of the CRC check. */
function fixCrcs(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  while (pos + 12 <= bytes.length) {
    const length = view.getUint32(pos);
    if (pos + 12 + length > bytes.length) return;
    view.setUint32(pos + 8 + length, crc32(bytes.subarray(pos + 4, pos + 8 + length)));
    pos += 12 + length;
  }
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

// --- PNG -------------------------------------------------------------------------------------------

describe('readPng against the fixtures', () => {
  for (const [name, want] of Object.entries(expected.png)) {
    it(`decodes ${name} exactly`, () => {
      const cutout = readPng(fixture(name));
      expect(cutout.format).toBe('png');
      expect([cutout.width, cutout.height]).toEqual([want.width, want.height]);
      expect(cutout.meta.bitDepth).toBe(want.bitDepth);
      expect(cutout.meta.interlaced).toBe(want.interlaced);
      expect(cutout.masked).toBe(0);
      let mismatches = 0;
      for (let i = 0; i < want.width * want.height; i++) {
        if (cutout.data[i] !== Math.fround(greyAt(want, want.max, i))) mismatches++;
      }
      expect(mismatches).toBe(0);
    });
  }

  it('covers every colour type, every bit depth and both interlace methods', () => {
    const seen = new Set(Object.values(expected.png).map((e) => `${e.colorType}/${e.bitDepth}/${e.interlaced}`));
    for (const key of ['0/1/false', '0/2/false', '0/4/false', '0/8/false', '0/16/false', '0/1/true', '0/4/true', '0/16/true']) {
      expect(seen).toContain(key);
    }
    for (const key of ['2/8/false', '2/16/false', '2/16/true', '4/8/false', '4/16/false', '6/8/false', '6/16/false', '6/8/true']) {
      expect(seen).toContain(key);
    }
    for (const key of ['3/1/false', '3/2/false', '3/4/false', '3/8/false', '3/2/true']) expect(seen).toContain(key);
  });

  it('reports the colour type and that alpha was ignored', () => {
    expect(readPng(fixture('rgba8.png')).meta).toMatchObject({ colorType: 'rgba', alphaIgnored: true });
    expect(readPng(fixture('greyalpha8.png')).meta).toMatchObject({ colorType: 'grey+alpha', alphaIgnored: true });
    expect(readPng(fixture('palette2-adam7-trns.png')).meta).toMatchObject({ colorType: 'palette', alphaIgnored: true });
    expect(readPng(fixture('grey8.png')).meta).toMatchObject({ colorType: 'grey', alphaIgnored: false });
  });
});

describe('readPng against fast-png encodings', () => {
  const w = 9;
  const h = 7;
  const ramp = (n: number, mod: number, mul: number): number[] => Array.from({ length: n }, (_, i) => (i * mul + 3) % mod);

  it.each([
    ['grey 8-bit', 1, 8],
    ['grey 16-bit', 1, 16],
    ['grey+alpha 8-bit', 2, 8],
    ['RGB 8-bit', 3, 8],
    ['RGB 16-bit', 3, 16],
    ['RGBA 8-bit', 4, 8],
  ] as const)('%s, plain and Adam7', (_label, channels, depth) => {
    const max = depth === 16 ? 65535 : 255;
    const samples = ramp(w * h * channels, max + 1, depth === 16 ? 4099 : 37);
    const data = depth === 16 ? Uint16Array.from(samples) : Uint8Array.from(samples);
    for (const interlace of ['null', 'Adam7'] as const) {
      const cutout = readPng(encodePng({ width: w, height: h, data, depth, channels }, { interlace }));
      expect(cutout.meta.interlaced).toBe(interlace === 'Adam7');
      for (let i = 0; i < w * h; i++) {
        const s = (c: number): number => samples[i * channels + c] as number;
        const want = channels <= 2 ? s(0) / max : (0.299 * s(0) + 0.587 * s(1) + 0.114 * s(2)) / max;
        expect(cutout.data[i]).toBe(Math.fround(want));
      }
    }
  });

  it('palette 8-bit', () => {
    const palette = [
      [0, 0, 0],
      [255, 255, 255],
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ];
    const indices = Uint8Array.from({ length: w * h }, (_, i) => i % palette.length);
    const cutout = readPng(encodePng({ width: w, height: h, data: indices, depth: 8, channels: 1, palette }));
    expect(cutout.meta.colorType).toBe('palette');
    expect(Array.from(cutout.data.subarray(0, 5))).toEqual([0, 1, 0.299, 0.587, 0.114].map(Math.fround));
  });
});

describe('readPng rejections', () => {
  const tinyIdat = chunk('IDAT', zlibSync(new Uint8Array([0, 1, 2, 0, 3, 4]))); // 2x2 grey 8-bit, filter 0

  it('decodes the hand-built baseline', () => {
    expect(Array.from(readPng(png(ihdr(2, 2, 8, 0), tinyIdat, IEND)).data)).toEqual([1, 2, 3, 4].map((v) => Math.fround(v / 255)));
  });

  it('rejects an IHDR claiming 100000x100000 before decoding anything', () => {
    const e = errorOf(() => readPng(png(ihdr(100000, 100000, 8, 0), tinyIdat, IEND)));
    expect(e.code).toBe('too_large');
    expect(e.message).toMatch(/8192/);
    // Only the first 33 bytes are needed to refuse it.
    expect(codeOf(() => readPng(png(ihdr(100000, 100000, 8, 0))))).toBe('too_large');
  });

  it('applies custom limits', () => {
    const bytes = fixture('grey8.png'); // 13x11
    expect(readPng(bytes, { maxSide: 13, maxPixels: 143 }).width).toBe(13);
    expect(codeOf(() => readPng(bytes, { maxSide: 12, maxPixels: 1000 }))).toBe('too_large');
    expect(codeOf(() => readPng(bytes, { maxSide: 100, maxPixels: 142 }))).toBe('too_large');
  });

  it('stops inflating image data that is larger than the IHDR implies (decompression bomb)', () => {
    const bomb = chunk('IDAT', zlibSync(new Uint8Array(20_000_000), { level: 9 }));
    expect(bomb.length).toBeLessThan(100_000);
    const e = errorOf(() => readPng(png(ihdr(4, 4, 8, 0), bomb, IEND)));
    expect(e.code).toBe('bad_header');
    expect(e.message).toMatch(/inflates to more than the 20 bytes/);
  });

  it('reports image data shorter than the IHDR implies as truncated', () => {
    const short = chunk('IDAT', zlibSync(new Uint8Array(10)));
    expect(codeOf(() => readPng(png(ihdr(4, 4, 8, 0), short, IEND)))).toBe('truncated');
  });

  it('rejects corrupted files', () => {
    const good = fixture('rgb8.png');
    const flipped = good.slice();
    flipped[60] = (flipped[60] as number) ^ 0xff;
    expect(errorOf(() => readPng(flipped)).message).toMatch(/CRC/);
    expect(codeOf(() => readPng(flipped))).toBe('bad_header');

    const badFilter = png(ihdr(2, 2, 8, 0), chunk('IDAT', zlibSync(new Uint8Array([7, 1, 2, 0, 3, 4]))), IEND);
    expect(errorOf(() => readPng(badFilter)).message).toMatch(/filter type 7/);

    expect(codeOf(() => readPng(png(ihdr(2, 2, 8, 0), chunk('IDAT', [1, 2, 3, 4, 5, 6, 7, 8]), IEND)))).toMatch(
      /bad_header|truncated/,
    );
  });

  it.each([
    ['colour type 5', () => png(ihdr(2, 2, 8, 5), tinyIdat, IEND), 'bad_header'],
    ['RGB at depth 4', () => png(ihdr(2, 2, 4, 2), tinyIdat, IEND), 'bad_header'],
    ['palette at depth 16', () => png(ihdr(2, 2, 16, 3), tinyIdat, IEND), 'bad_header'],
    ['width 0', () => png(ihdr(0, 2, 8, 0), tinyIdat, IEND), 'bad_header'],
    ['interlace method 2', () => png(ihdr(2, 2, 8, 0, 2), tinyIdat, IEND), 'bad_header'],
    ['no IDAT', () => png(ihdr(2, 2, 8, 0), IEND), 'bad_header'],
    ['palette image without PLTE', () => png(ihdr(2, 2, 8, 3), tinyIdat, IEND), 'bad_header'],
    ['a PLTE of 4 bytes', () => png(ihdr(2, 2, 8, 3), chunk('PLTE', [1, 2, 3, 4]), tinyIdat, IEND), 'bad_header'],
    ['a palette index beyond the PLTE', () => png(ihdr(2, 2, 8, 3), chunk('PLTE', [1, 2, 3, 4, 5, 6]), tinyIdat, IEND), 'bad_header'],
    ['a second IHDR', () => png(ihdr(2, 2, 8, 0), ihdr(2, 2, 8, 0), tinyIdat, IEND), 'bad_header'],
    ['an unknown critical chunk', () => png(ihdr(2, 2, 8, 0), chunk('ABCD', [1]), tinyIdat, IEND), 'unsupported_layout'],
    ['a chunk type that is not letters', () => png(ihdr(2, 2, 8, 0), chunk('ab1d', [1]), tinyIdat, IEND), 'bad_header'],
    ['IHDR not first', () => png(tinyIdat, ihdr(2, 2, 8, 0), IEND), 'bad_header'],
    ['no IEND', () => png(ihdr(2, 2, 8, 0), tinyIdat), 'truncated'],
  ] as const)('rejects %s', (_label, make, code) => {
    const e = errorOf(() => readPng(make()));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(/accepted/);
  });

  it('ignores unknown ancillary chunks', () => {
    expect(readPng(png(ihdr(2, 2, 8, 0), chunk('abCD', [1, 2]), tinyIdat, IEND)).width).toBe(2);
  });

  it('rejects files that are not PNG', () => {
    expect(codeOf(() => readPng(fixture('grey.jpg')))).toBe('bad_magic');
    expect(codeOf(() => readPng(new TextEncoder().encode('not a png at all, really not')))).toBe('bad_magic');
  });

  it('reports every truncation of several fixtures as truncated', () => {
    for (const name of ['grey1.png', 'grey16-adam7.png', 'palette2-adam7-trns.png', 'rgba16.png', 'pillow-rgb.png']) {
      const bytes = fixture(name);
      expectEveryCutTruncated(bytes, readPng, name);
    }
  });

  it('throws only DarklensError on randomly corrupted files, CRCs fixed up so the damage is decoded', () => {
    const random = lcg(4242);
    const names = Object.keys(expected.png);
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = fixture(names[trial % names.length] as string).slice();
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) bytes[8 + Math.floor(random() * (bytes.length - 8))] = Math.floor(random() * 256);
      fixCrcs(bytes);
      codeOf(() => readPng(bytes));
    }
  });
});

// --- JPEG ------------------------------------------------------------------------------------------

function findMarker(bytes: Uint8Array, marker: number): number {
  for (let i = 2; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === marker) return i;
  throw new Error(`marker ${marker.toString(16)} not found`);
}

describe('readJpeg', () => {
  for (const [name, want] of Object.entries(expected.jpeg)) {
    it(`decodes ${name} like libjpeg (Pillow), within 2/255`, () => {
      const cutout = readJpeg(fixture(name));
      expect(cutout.format).toBe('jpeg');
      expect([cutout.width, cutout.height]).toEqual([want.width, want.height]);
      expect(cutout.meta.components).toBe(want.components);
      expect(cutout.meta.process).toBe(want.progressive ? 'progressive' : 'baseline');
      let maxDiff = 0;
      let sumDiff = 0;
      for (let i = 0; i < want.width * want.height; i++) {
        const d = Math.abs((cutout.data[i] as number) - greyAt(want, 255, i));
        maxDiff = Math.max(maxDiff, d);
        sumDiff += d;
      }
      expect(maxDiff * 255).toBeLessThanOrEqual(2);
      expect((sumDiff / (want.width * want.height)) * 255).toBeLessThan(0.75);
      expect(Math.min(...cutout.data)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...cutout.data)).toBeLessThanOrEqual(1);
    });
  }

  it('rejects a frame header claiming 60000x60000 before decoding', () => {
    const bytes = fixture('grey.jpg');
    const sof = findMarker(bytes, 0xc0);
    bytes.set([0xea, 0x60, 0xea, 0x60], sof + 5); // height, width = 60000
    const e = errorOf(() => readJpeg(bytes));
    expect(e.code).toBe('too_large');
    expect(e.message).toMatch(/60000x60000/);
  });

  it('applies custom limits', () => {
    const bytes = fixture('rgb420.jpg'); // 17x13
    expect(readJpeg(bytes, { maxSide: 17, maxPixels: 221 }).width).toBe(17);
    expect(codeOf(() => readJpeg(bytes, { maxSide: 16, maxPixels: 1000 }))).toBe('too_large');
    expect(codeOf(() => readJpeg(bytes, { maxSide: 100, maxPixels: 220 }))).toBe('too_large');
  });

  it('refuses coding processes jpeg-js cannot decode', () => {
    const lossless = fixture('grey.jpg');
    lossless[findMarker(lossless, 0xc0) + 1] = 0xc3;
    expect(errorOf(() => readJpeg(lossless)).message).toMatch(/SOF3 \(lossless\).*accepted: baseline/);
    const twelveBit = fixture('grey.jpg');
    twelveBit[findMarker(twelveBit, 0xc0) + 4] = 12;
    expect(codeOf(() => readJpeg(twelveBit))).toBe('unsupported_layout');
  });

  it('wraps decoder failures in DarklensError and keeps the cause', () => {
    // Turn every Huffman table segment into a comment: the scan then has no tables to decode with.
    const bytes = fixture('rgb420.jpg');
    for (let i = 2; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === 0xc4) bytes[i + 1] = 0xfe;
    const e = errorOf(() => readJpeg(bytes));
    expect(e.code).toBe('bad_header');
    expect(e.cause).toBeDefined();
    expect(e.message).toMatch(/accepted/);
  });

  it('rejects files that are not JPEG', () => {
    expect(codeOf(() => readJpeg(fixture('grey8.png')))).toBe('bad_magic');
    expect(codeOf(() => readJpeg(Uint8Array.of(0xff, 0xd8, 0xff, 0xd9)))).toBe('bad_header'); // SOI EOI, no frame
  });

  it('reports every truncation of every fixture as truncated', () => {
    for (const name of Object.keys(expected.jpeg)) {
      const bytes = fixture(name);
      expectEveryCutTruncated(bytes, readJpeg, name);
    }
  });

  it('throws only DarklensError on randomly corrupted files', () => {
    const random = lcg(99);
    const names = Object.keys(expected.jpeg);
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = fixture(names[trial % names.length] as string).slice();
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      codeOf(() => readJpeg(bytes));
    }
  });
});
