import { readFileSync } from 'node:fs';
import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { sniffFormat } from './sniff.js';

const FIXTURES = new URL('../../test-fixtures/', import.meta.url);

function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(path, FIXTURES)));
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

describe('sniffFormat', () => {
  it('recognises real files of every format by content', () => {
    expect(sniffFormat(fixture('npy/f4-le.npy'))).toBe('npy');
    expect(sniffFormat(fixture('npy/v3.npy'))).toBe('npy');
    expect(sniffFormat(fixture('raster/grey8.png'))).toBe('png');
    expect(sniffFormat(fixture('raster/grey.jpg'))).toBe('jpeg');
    expect(sniffFormat(fixture('raster/rgb-progressive.jpg'))).toBe('jpeg');
    expect(sniffFormat(gzipSync(fixture('npy/f4-le.npy')))).toBe('gzip');
    const fits = ascii('SIMPLE  =                    T / conforms to FITS standard'.padEnd(80));
    expect(sniffFormat(fits)).toBe('fits');
  });

  it('needs the whole signature', () => {
    expect(sniffFormat(new Uint8Array(0))).toBeUndefined();
    expect(sniffFormat(ascii('SIMPLE  '))).toBeUndefined();
    expect(sniffFormat(ascii('SIMPLE ='))).toBeUndefined(); // one space short: keyword not padded to 8
    expect(sniffFormat(ascii(' SIMPLE  ='))).toBeUndefined();
    expect(sniffFormat(Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50))).toBeUndefined();
    expect(sniffFormat(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a))).toBeUndefined();
    expect(sniffFormat(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0b))).toBeUndefined();
    expect(sniffFormat(Uint8Array.of(0xff, 0xd8))).toBeUndefined();
    expect(sniffFormat(Uint8Array.of(0x1f))).toBeUndefined();
  });

  it('accepts the shortest complete signatures', () => {
    expect(sniffFormat(ascii('SIMPLE  ='))).toBe('fits');
    expect(sniffFormat(Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59))).toBe('npy');
    expect(sniffFormat(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBe('png');
    expect(sniffFormat(Uint8Array.of(0xff, 0xd8, 0xff))).toBe('jpeg');
    expect(sniffFormat(Uint8Array.of(0x1f, 0x8b))).toBe('gzip');
  });

  it('does not claim other formats', () => {
    for (const other of [
      ascii('PK\x03\x04rest of a zip'), // .npz
      ascii('II*\x00tiff'),
      ascii('\x89HDF\r\n\x1a\n'),
      ascii('XTENSION= \'IMAGE   \''), // a FITS extension alone is not a FITS file
      ascii('GIF89a'),
      ascii('{"json": true}'),
    ]) {
      expect(sniffFormat(other)).toBeUndefined();
    }
  });
});
