import { readFileSync } from 'node:fs';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { CutoutStack } from '../cutout.js';
import { decodeCutout, decodeStack, stackToCutouts } from './decode.js';
import { readNpy } from './npy-read.js';
import { writeNpy } from './npy-write.js';
import { codeOf, errorOf } from '../../../test/helpers/cutout-errors.js';
import { concat } from '../../../test/helpers/bytes.js';

const FIXTURES = new URL('../../test-fixtures/', import.meta.url);

function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(path, FIXTURES)));
}


/** A minimal FITS file: primary HDU, BITPIX -32, NAXIS1 = width, big-endian float32 data. */
function makeFits(width: number, height: number, values: number[]): Uint8Array {
  const card = (key: string, value: string): string => `${key.padEnd(8)}= ${value.padStart(20)}`.padEnd(80);
  let header =
    card('SIMPLE', 'T') + card('BITPIX', '-32') + card('NAXIS', '2') + card('NAXIS1', String(width)) + card('NAXIS2', String(height));
  header += 'END'.padEnd(80);
  header = header.padEnd(2880, ' ');
  const dataLength = Math.ceil((4 * values.length) / 2880) * 2880;
  const out = new Uint8Array(2880 + dataLength);
  for (let i = 0; i < header.length; i++) out[i] = header.charCodeAt(i);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(2880 + 4 * i, v, false));
  return out;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

describe('decodeStack dispatch', () => {
  it('passes NPY stacks through', () => {
    const bytes = fixture('npy/shape-n1hw.npy');
    const stack = decodeStack(bytes);
    expect(stack.format).toBe('npy');
    expect(stack.count).toBe(3);
    expect(sameValues(stack.data, readNpy(bytes).data)).toBe(true);
  });

  it('turns PNG and JPEG into stacks of one', () => {
    for (const [name, format] of [
      ['raster/grey16.png', 'png'],
      ['raster/rgb420.jpg', 'jpeg'],
    ] as const) {
      const stack = decodeStack(fixture(name));
      expect(stack.format).toBe(format);
      expect(stack.count).toBe(1);
      expect(stack.data.length).toBe(stack.width * stack.height);
    }
    expect([decodeStack(fixture('raster/grey16.png')).width, decodeStack(fixture('raster/rgb420.jpg')).width]).toEqual([13, 17]);
  });

  it('reads FITS through readFits, as a stack of one', () => {
    const values = Array.from({ length: 4 * 3 }, (_, i) => i * 1.5 - 2);
    const bytes = makeFits(4, 3, values);
    const stack = decodeStack(bytes);
    expect(stack.format).toBe('fits');
    expect([stack.count, stack.width, stack.height]).toEqual([1, 4, 3]);
    expect(Array.from(stack.data)).toEqual(values);
    const cutout = decodeCutout(bytes, { hdu: 0 });
    expect(Array.from(cutout.data)).toEqual(values);
    expect(codeOf(() => decodeCutout(bytes, { hdu: 'NO_SUCH_EXTENSION' }))).not.toBe('no error');
    expect(codeOf(() => decodeCutout(bytes, { limits: { maxSide: 3, maxPixels: 100 } }))).toBe('too_large');
  });

  it('passes limits to every reader', () => {
    const tight = { limits: { maxSide: 4, maxPixels: 1000 } };
    for (const name of ['npy/shape-hw.npy', 'raster/grey8.png', 'raster/grey.jpg']) {
      expect(codeOf(() => decodeStack(fixture(name), tight)), name).toBe('too_large');
    }
  });

  it('rejects unknown formats naming the accepted ones', () => {
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode('hello, world'), Uint8Array.of(0x47, 0x49, 0x46, 0x38)]) {
      const e = errorOf(() => decodeStack(bytes));
      expect(e.code).toBe('unsupported_format');
      expect(e.message).toMatch(/FITS, FITS\.gz, NPY, PNG, JPEG/);
    }
    const npz = errorOf(() => decodeStack(new TextEncoder().encode('PK\x03\x04 an npz')));
    expect(npz.message).toMatch(/npz/i);
  });
});

describe('decodeCutout and stackToCutouts', () => {
  it('refuses a stack of several images', () => {
    const e = errorOf(() => decodeCutout(fixture('npy/shape-nhw.npy')));
    expect(e.code).toBe('bad_shape');
    expect(e.message).toMatch(/holds 3 images; score it as a batch/);
  });

  it('returns a single-image NPY as a cutout', () => {
    const c = decodeCutout(fixture('npy/shape-1hw.npy'));
    expect([c.width, c.height, c.format]).toEqual([6, 4, 'npy']);
    expect(decodeCutout(fixture('raster/grey8.png')).format).toBe('png');
  });

  it('splits a stack into views, counting masked pixels per image', () => {
    const data = Float32Array.from({ length: 3 * 2 * 2 }, (_, i) => i);
    data[5] = NaN;
    data[6] = NaN;
    data[11] = NaN;
    const stack: CutoutStack = { count: 3, width: 2, height: 2, data, masked: 3, format: 'npy', pixelScale: 0.05, meta: { dtype: 'float32' } };
    const cutouts = stackToCutouts(stack);
    expect(cutouts.map((c) => c.masked)).toEqual([0, 2, 1]);
    expect(cutouts.map((c) => c.meta.stackIndex)).toEqual([0, 1, 2]);
    cutouts.forEach((c, i) => {
      expect(c.data.buffer).toBe(data.buffer);
      expect(c.data.byteOffset).toBe(i * 16);
      expect(c.data.length).toBe(4);
      expect(c.pixelScale).toBe(0.05);
      expect(c.meta.dtype).toBe('float32');
    });
    cutouts[2]!.data[0] = 42;
    expect(data[8]).toBe(42);
  });

  it('splits the 5-D reference layout into B*b images in order', () => {
    const stack = decodeStack(fixture('npy/shape-bb1hw.npy'));
    const cutouts = stackToCutouts(stack);
    expect(cutouts).toHaveLength(6);
    expect(Array.from(cutouts[4]!.data)).toEqual(Array.from(stack.data.subarray(4 * 35, 5 * 35)));
  });
});

describe('gzip', () => {
  const npy = fixture('npy/shape-nhw.npy');

  it('decodes gzipped NPY, PNG and FITS', () => {
    const stack = decodeStack(gzipSync(npy));
    expect(sameValues(stack.data, readNpy(npy).data)).toBe(true);
    expect(stack.meta.compression).toBe('gzip');
    expect(decodeCutout(gzipSync(fixture('raster/grey8.png'))).format).toBe('png');
    const fits = decodeCutout(gzipSync(makeFits(2, 2, [1, 2, 3, 4]), { filename: 'cutout.fits', mtime: 0 }));
    expect(Array.from(fits.data)).toEqual([1, 2, 3, 4]);
    expect(fits.meta.compression).toBe('gzip');
  });

  it('handles an FEXTRA field and a comment in the gzip header', () => {
    const plain = gzipSync(npy, { mtime: 0 });
    const extra = Uint8Array.of(4, 0, 0x41, 0x42, 0x43, 0x44);
    const comment = new TextEncoder().encode('made for a test\0');
    const bytes = concat(plain.subarray(0, 10), extra, comment, plain.subarray(10));
    bytes[3] = 4 | 16; // FEXTRA | FCOMMENT
    expect(sameValues(decodeStack(bytes).data, readNpy(npy).data)).toBe(true);
  });

  it('decodes multi-member gzip files', () => {
    const bytes = concat(gzipSync(npy.subarray(0, 100)), gzipSync(npy.subarray(100, 300)), gzipSync(npy.subarray(300)));
    expect(sameValues(decodeStack(bytes).data, readNpy(npy).data)).toBe(true);
  });

  it('refuses a gzip inside a gzip', () => {
    const e = errorOf(() => decodeStack(gzipSync(gzipSync(npy))));
    expect(e.code).toBe('unsupported_format');
    expect(e.message).toMatch(/gzip/);
  });

  it('reports every truncation as a DarklensError', () => {
    for (const bytes of [gzipSync(npy), gzipSync(npy, { filename: 'x.npy' }), concat(gzipSync(npy.subarray(0, 200)), gzipSync(npy.subarray(200)))]) {
      for (let cut = 0; cut < bytes.length; cut++) {
        const code = codeOf(() => decodeStack(bytes.subarray(0, cut)));
        expect(code === 'truncated' || (cut < 2 && code === 'unsupported_format'), `cut at ${cut}: ${code}`).toBe(true);
      }
    }
  });

  it('detects corruption through the CRC-32 trailer', () => {
    const bytes = gzipSync(npy);
    bytes[bytes.length - 6] = (bytes[bytes.length - 6] as number) ^ 1;
    expect(errorOf(() => decodeStack(bytes)).message).toMatch(/CRC-32/);
    const stored = gzipSync(npy, { level: 0 }); // stored blocks: a flipped data byte inflates fine
    stored[200] = (stored[200] as number) ^ 1;
    expect(codeOf(() => decodeStack(stored))).toBe('truncated');
  });

  it('rejects a compression method other than deflate, and trailing garbage', () => {
    const bytes = gzipSync(npy);
    bytes[2] = 7;
    expect(codeOf(() => decodeStack(bytes))).toBe('bad_header');
    expect(codeOf(() => decodeStack(concat(gzipSync(npy), new Uint8Array(16))))).not.toBe('no error');
  });

  it('refuses a gzip bomb', () => {
    const bomb = gzipSync(new Uint8Array(8 << 20));
    expect(bomb.length).toBeLessThan(20_000);
    const e = errorOf(() => decodeStack(bomb, { maxGunzipBytes: 1 << 20 }));
    expect(e.code).toBe('too_large');
    expect(e.message).toMatch(/maxGunzipBytes/);
  });

  it('refuses a gzip bomb whose size trailer lies, while streaming', () => {
    const bomb = gzipSync(new Uint8Array(8 << 20));
    const view = new DataView(bomb.buffer, bomb.byteOffset, bomb.byteLength);
    view.setUint32(bomb.length - 4, 100, true);
    expect(codeOf(() => decodeStack(bomb, { maxGunzipBytes: 1 << 20 }))).toBe('too_large');
  });

  it('stops a multi-member bomb of 4 GiB long before inflating it all', () => {
    const member = gzipSync(new Uint8Array(1 << 20), { level: 9 });
    const bomb = new Uint8Array(member.length * 4096);
    for (let i = 0; i < 4096; i++) bomb.set(member, i * member.length);
    const started = Date.now();
    expect(codeOf(() => decodeStack(bomb, { maxGunzipBytes: 16 << 20 }))).toBe('too_large');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('enforces the 256 MiB default', () => {
    const member = gzipSync(new Uint8Array(1 << 20), { level: 9 });
    const bomb = new Uint8Array(member.length * 257);
    for (let i = 0; i < 257; i++) bomb.set(member, i * member.length);
    expect(codeOf(() => decodeStack(bomb))).toBe('too_large');
  });

  it('accepts output up to the limit exactly', () => {
    const data = new Float32Array(64 * 64).fill(1);
    const file = writeNpy(data, [64, 64]);
    expect(decodeStack(gzipSync(file), { maxGunzipBytes: file.length }).width).toBe(64);
    expect(codeOf(() => decodeStack(gzipSync(file), { maxGunzipBytes: file.length - 1 }))).toBe('too_large');
  });

  it('validates maxGunzipBytes', () => {
    for (const maxGunzipBytes of [0, -1, NaN]) {
      expect(codeOf(() => decodeStack(gzipSync(npy), { maxGunzipBytes }))).toBe('invalid_argument');
    }
  });
});
