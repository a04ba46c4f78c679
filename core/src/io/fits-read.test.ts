import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Cutout } from '../cutout.js';
import { DarklensError } from '../errors.js';
import { encodeHeader, formatCard, MAX_HEADER_CARDS, parseCard, parseHeader } from './fits-header.js';
import { bigIntToFloat32, readFits } from './fits-read.js';
import { writeFits } from './fits-write.js';
import { errorOf, expectError } from '../../../test/helpers/cutout-errors.js';

/** One entry of expected.json, written by scripts/make-fits-fixtures.py from what astropy reads. */
interface Expected {
  file: string;
  hdu: string | number | null;
  index: number;
  width: number;
  height: number;
  bitpix: number;
  values: (number | null)[];
  masked: number;
  sum: number;
  pixelScale: number | null;
  dataStart: number;
  dataBytes: number;
  tolerance: 'exact' | 'float32';
  meta: Record<string, string>;
}

const FIXTURES = new URL('../../test-fixtures/fits/', import.meta.url);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const expected = (JSON.parse(readFileSync(new URL('expected.json', FIXTURES), 'utf8')) as { cases: Expected[] }).cases;

function opts(c: Expected) {
  return c.hdu === null ? {} : { hdu: c.hdu };
}

/** Replaces the value of the first card with this keyword (in the first header) by `valueText`. */
function setCard(bytes: Uint8Array, keyword: string, valueText: string, from = 0): Uint8Array {
  const out = bytes.slice();
  for (let pos = from; pos + 80 <= out.length; pos += 80) {
    const kw = String.fromCharCode(...out.subarray(pos, pos + 8)).trimEnd();
    if (kw === keyword) {
      const card = `${keyword.padEnd(8)}= ${valueText.padStart(20)}`.padEnd(80);
      for (let i = 0; i < 80; i++) out[pos + i] = card.charCodeAt(i);
      return out;
    }
    if (kw === 'END') break;
  }
  throw new Error(`no ${keyword} card`);
}

/** Builds a file from header card strings (END and padding added) and raw data bytes. */
function build(cards: string[], data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const head = encodeHeader(cards);
  const padded = Math.ceil(data.length / 2880) * 2880;
  const out = new Uint8Array(head.length + padded);
  out.set(head);
  out.set(data, head.length);
  return out;
}

function expectMatches(c: Expected, got: Cutout): void {
  expect(got.format).toBe('fits');
  expect([got.width, got.height]).toEqual([c.width, c.height]);
  expect(got.data).toBeInstanceOf(Float32Array);
  expect(got.data.length).toBe(c.width * c.height);
  expect(got.masked).toBe(c.masked);
  let sum = 0;
  let absSum = 0;
  for (let i = 0; i < c.values.length; i++) {
    const want = c.values[i]!;
    const have = got.data[i]!;
    if (want === null) {
      expect(have, `pixel ${i} should be masked`).toBeNaN();
      continue;
    }
    sum += have;
    absSum += Math.abs(have);
    const w32 = Math.fround(want);
    if (c.tolerance === 'exact') {
      if (have !== w32) expect(have, `pixel ${i}`).toBe(w32);
    } else {
      // astropy scales 16-bit data in float32 arithmetic, we in float64: allow a couple of float32 ulps.
      expect(Math.abs(have - w32), `pixel ${i}`).toBeLessThanOrEqual(Math.abs(w32) * 2 ** -22 + 1e-30);
    }
  }
  const sumTolerance = c.tolerance === 'exact' ? Math.abs(c.sum) * 1e-12 : absSum * 2 ** -22;
  expect(Math.abs(sum - c.sum)).toBeLessThanOrEqual(sumTolerance + 1e-9);
  if (c.pixelScale === null) expect(got.pixelScale).toBeUndefined();
  else expect(Math.abs(got.pixelScale! - c.pixelScale) / c.pixelScale).toBeLessThan(1e-9);
  expect(got.meta.HDU).toBe(c.index);
  expect(got.meta.BITPIX).toBe(c.bitpix);
  for (const [k, v] of Object.entries(c.meta)) expect(got.meta[k], k).toBe(v.trim());
}

describe('readFits against astropy (committed fixtures)', () => {
  it('has the fixtures the brief asks for', () => {
    const files = new Set(expected.map((c) => c.file));
    expect(files.size).toBeGreaterThanOrEqual(15);
    const bitpixes = new Set(expected.map((c) => c.bitpix));
    expect([...bitpixes].sort((a, b) => a - b)).toEqual([-64, -32, 8, 16, 32, 64]);
    expect(expected.some((c) => c.masked > 0 && c.bitpix > 0)).toBe(true);
    expect(expected.some((c) => c.masked > 0 && c.bitpix < 0)).toBe(true);
  });

  for (const c of expected) {
    it(`${c.file}${c.hdu === null ? '' : ` hdu=${c.hdu}`}: BITPIX ${c.bitpix}, ${c.width}x${c.height}`, () => {
      expectMatches(c, readFits(fixture(c.file), opts(c)));
    });
  }

  it('reads from an unaligned view into a larger buffer', () => {
    for (const c of expected) {
      const bytes = fixture(c.file);
      const big = new Uint8Array(bytes.length + 11).fill(0x55);
      big.set(bytes, 3);
      expectMatches(c, readFits(big.subarray(3, 3 + bytes.length), opts(c)));
    }
  });

  it('selects HDUs by EXTNAME case-insensitively and by index', () => {
    const bytes = fixture('two_images_sci.fits');
    const sci = readFits(bytes, { hdu: 'sci' });
    expect(sci.meta.EXTNAME).toBe('SCI');
    expect(sci.meta.HDU).toBe(2);
    expect(readFits(bytes, { hdu: ' Sci ' }).data).toEqual(sci.data);
    expect(readFits(bytes, { hdu: 2 }).data).toEqual(sci.data);
    expect(readFits(bytes).meta.EXTNAME).toBe('VAR');
    // The primary HDU answers to 'PRIMARY', but it has no data here.
    expectError(() => readFits(bytes, { hdu: 'primary' }), 'bad_shape', /no data/);
    expect(readFits(fixture('int32.fits'), { hdu: 'PRIMARY' }).meta.HDU).toBe(0);
  });

  it('skips a BINTABLE with a heap (PCOUNT > 0) to reach the image', () => {
    const c = expected.find((e) => e.file === 'bintable_then_image.fits')!;
    expect(c.index).toBe(2);
    expect(c.dataStart).toBe(5 * 2880); // primary, table header, two blocks of table + heap, image header
    const got = readFits(fixture(c.file));
    expect(got.meta.EXTNAME).toBe('IMG');
    // Pretending the heap is empty moves the image: the reader must then fail, not read garbage.
    const noHeap = setCard(fixture(c.file), 'PCOUNT', '0', 2880);
    const e = errorOf(() => readFits(noHeap));
    expect(['bad_header', 'not_found', 'truncated']).toContain(e.code);
  });

  it('reports the pixel-scale source and provenance in meta', () => {
    expect(readFits(fixture('cd_matrix.fits')).meta.PIXSCALE_SOURCE).toBe('CD');
    expect(readFits(fixture('cdelt_only.fits')).meta.PIXSCALE_SOURCE).toBe('CDELT');
    expect(readFits(fixture('cube_1hw.fits')).meta.PIXSCALE_SOURCE).toBe('CDELT');
    expect(readFits(fixture('pixscale_only.fits')).meta.PIXSCALE_SOURCE).toBe('PIXSCALE');
    const u8 = readFits(fixture('uint8_scaled.fits')).meta;
    expect(u8).toMatchObject({ BZERO: -10, BSCALE: 0.5, OBJECT: 'LENS J0001+0001', BUNIT: 'ADU', NAXIS: 2 });
    expect(readFits(fixture('cube_1hw.fits')).meta.NAXIS).toBe(3);
  });
});

describe('readFits pixel scale', () => {
  const img = { width: 2, height: 2, data: new Float32Array([1, 2, 3, 4]) };
  const scaleOf = (cards: Record<string, string | number | boolean>) => readFits(writeFits(img, { cards })).pixelScale;

  it('understands CUNIT deg (default), arcmin, arcsec', () => {
    expect(scaleOf({ CDELT1: -0.5 / 3600, CDELT2: 0.5 / 3600 })).toBeCloseTo(0.5, 12);
    expect(scaleOf({ CDELT1: -0.5 / 60, CDELT2: 0.5 / 60, CUNIT1: 'arcmin', CUNIT2: 'arcmin' })).toBeCloseTo(0.5, 12);
    expect(scaleOf({ CDELT1: -0.5, CDELT2: 0.5, CUNIT1: 'arcsec', CUNIT2: 'arcsec' })).toBeCloseTo(0.5, 12);
    expect(scaleOf({ CD1_1: -0.2, CD2_2: 0.2, CUNIT1: 'arcsec', CUNIT2: 'arcsec' })).toBeCloseTo(0.2, 12);
  });

  it('uses the geometric mean of CDELT and the PC determinant', () => {
    expect(scaleOf({ CDELT1: -0.1 / 3600, CDELT2: 0.4 / 3600 })).toBeCloseTo(0.2, 12);
    expect(scaleOf({ CDELT1: 0.1 / 3600, CDELT2: 0.1 / 3600, PC1_1: 2, PC2_2: 2 })).toBeCloseTo(0.2, 12);
  });

  it('prefers CD over CDELT over PIXSCALE, and reads PIXSCAL1', () => {
    expect(scaleOf({ CD1_1: 0.3 / 3600, CD2_2: 0.3 / 3600, CDELT1: 0.1 / 3600, PIXSCALE: 9 })).toBeCloseTo(0.3, 12);
    expect(scaleOf({ CDELT1: 0.1 / 3600, CDELT2: 0.1 / 3600, PIXSCALE: 9 })).toBeCloseTo(0.1, 12);
    expect(scaleOf({ PIXSCAL1: 0.06 })).toBe(0.06);
    expect(scaleOf({ PIXSCAL1: 0.04, PIXSCAL2: 0.09 })).toBeCloseTo(0.06, 12);
  });

  it('gives no scale for unknown units, a singular CD matrix or none at all', () => {
    expect(scaleOf({ CDELT1: 0.1, CDELT2: 0.1, CUNIT1: 'm', CUNIT2: 'm' })).toBeUndefined();
    expect(scaleOf({ CD1_1: 1e-5, CD1_2: 1e-5, CD2_1: 1e-5, CD2_2: 1e-5 })).toBeUndefined();
    expect(scaleOf({ OBJECT: 'x' })).toBeUndefined();
    expect(scaleOf({ PIXSCALE: -1 })).toBeUndefined();
  });
});

describe('readFits rejects bad input with typed errors', () => {
  const f32 = () => fixture('float32_nan.fits');

  it('every truncation: a DarklensError before the data end, the full image after it', () => {
    for (const c of expected) {
      const bytes = fixture(c.file);
      const full = readFits(bytes, opts(c));
      const end = c.dataStart + c.dataBytes;
      const cuts = new Set<number>();
      for (let cut = 0; cut < bytes.length; cut += 53) cuts.add(cut);
      for (const b of [1, 8, 9, 79, 80, 81, c.dataStart, end, bytes.length]) {
        for (const d of [-81, -80, -1, 0, 1]) if (b + d >= 0 && b + d <= bytes.length) cuts.add(b + d);
      }
      for (let k = 2880; k < bytes.length; k += 2880) cuts.add(k).add(k - 1).add(k + 1);
      for (const cut of cuts) {
        const part = bytes.slice(0, cut);
        if (cut >= end) {
          expect(readFits(part, opts(c)).data, `${c.file} cut at ${cut}`).toEqual(full.data);
        } else {
          const e = errorOf(() => readFits(part, opts(c)));
          expect(['truncated', 'not_found'], `${c.file} cut at ${cut}: ${e.message}`).toContain(e.code);
        }
      }
    }
  });

  it('names truncation in the header and in the data', () => {
    const bytes = f32();
    expectError(() => readFits(bytes.slice(0, 300)), 'truncated', /no END card/);
    expectError(() => readFits(bytes.slice(0, 2880 + 100)), 'truncated', /needs 1024 bytes/);
    expectError(() => readFits(new Uint8Array(0)), 'truncated');
  });

  it('wrong magic', () => {
    const bad = f32();
    bad[0] = 0x58;
    expectError(() => readFits(bad), 'bad_magic', /not a FITS file/, /SIMPLE/);
    expectError(() => readFits(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'bad_magic');
    expectError(() => readFits(new Uint8Array(5000).fill(0x20)), 'bad_magic');
    expectError(() => readFits(setCard(f32(), 'SIMPLE', 'F')), 'bad_magic', /SIMPLE = F/);
  });

  it('absurd axis lengths, before allocating', () => {
    expectError(() => readFits(setCard(f32(), 'NAXIS1', '100000000')), 'too_large', /100000000x16/, /8192/);
    expectError(() => readFits(setCard(f32(), 'NAXIS2', '1000000000000000')), 'too_large');
    expectError(() => readFits(setCard(f32(), 'NAXIS1', '-5')), 'bad_header', /NAXIS1 = -5/);
    expectError(() => readFits(setCard(f32(), 'NAXIS1', '8.5')), 'bad_header', /NAXIS1/, /integer/);
    expectError(() => readFits(setCard(f32(), 'NAXIS1', "'16'")), 'bad_header', /NAXIS1/);
    expectError(() => readFits(setCard(f32(), 'NAXIS1', '99999999999999999999')), 'bad_header', /NAXIS1/);
    expectError(() => readFits(setCard(f32(), 'NAXIS', '1000')), 'bad_header', /NAXIS = 1000/);
    expectError(() => readFits(setCard(f32(), 'NAXIS', '3')), 'bad_header', /NAXIS3 = missing/);
  });

  it('respects the limits option', () => {
    const bytes = fixture('uint8_scaled.fits'); // 8x6
    expectError(() => readFits(bytes, { limits: { maxSide: 7, maxPixels: 1000 } }), 'too_large', /at most 7/);
    expectError(() => readFits(bytes, { limits: { maxSide: 100, maxPixels: 47 } }), 'too_large', /48 pixels/);
    expect(readFits(bytes, { limits: { maxSide: 8, maxPixels: 48 } }).width).toBe(8);
    expectError(() => readFits(bytes, { limits: { maxSide: 0, maxPixels: 48 } }), 'invalid_argument');
  });

  it('unsupported BITPIX names the accepted values', () => {
    expectError(
      () => readFits(setCard(f32(), 'BITPIX', '24')),
      'unsupported_dtype',
      'FITS BITPIX 24 (HDU 0) is not supported; accepted: 8, 16, 32, 64, -32, -64',
    );
    expectError(() => readFits(setCard(f32(), 'BITPIX', '-16')), 'unsupported_dtype');
    expectError(() => readFits(setCard(f32(), 'BITPIX', "'E'")), 'bad_header', /BITPIX/);
  });

  it('a cube with more than one plane, a 1-D array', () => {
    expectError(() => readFits(fixture('cube_2planes.fits')), 'bad_shape', /4x3x2/, /only one plane/);
    const oneD = build([formatCard('SIMPLE', true), formatCard('BITPIX', 8), formatCard('NAXIS', 1), formatCard('NAXIS1', 10)], new Uint8Array(10));
    expectError(() => readFits(oneD), 'bad_shape', /1-D/);
  });

  it('HDU selection errors list the HDUs present', () => {
    const two = fixture('two_images_sci.fits');
    expectError(() => readFits(two, { hdu: 'NOPE' }), 'not_found', /"NOPE" not found/, /'VAR'/, /'SCI'/);
    expectError(() => readFits(two, { hdu: 3 }), 'not_found', /HDU 3 not found/, /0 PRIMARY/);
    expectError(() => readFits(two, { hdu: -1 }), 'invalid_argument');
    expectError(() => readFits(two, { hdu: 1.5 }), 'invalid_argument');
    expectError(() => readFits(two, { hdu: ' ' }), 'invalid_argument');
    const table = fixture('bintable_then_image.fits');
    expectError(() => readFits(table, { hdu: 'events' }), 'unsupported_layout', /BINTABLE/, /IMAGE extension/);
    expectError(() => readFits(table, { hdu: 0 }), 'bad_shape', /no data/);
    const empty = build([formatCard('SIMPLE', true), formatCard('BITPIX', 8), formatCard('NAXIS', 0)]);
    expectError(() => readFits(empty), 'not_found', /no image with data/, /0 PRIMARY \(no data\)/);
  });

  it('tile-compressed images (fpack) are refused with advice', () => {
    const bytes = fixture('tile_compressed.fits');
    expectError(() => readFits(bytes), 'unsupported_layout', 'tile-compressed FITS (fpack) is not supported; decompress it with funpack first');
    expectError(() => readFits(bytes, { hdu: 'compressed_image' }), 'unsupported_layout', /funpack/);
  });

  it('malformed scaling keywords', () => {
    expectError(() => readFits(setCard(fixture('uint8_scaled.fits'), 'BSCALE', "'x'")), 'bad_header', /BSCALE/);
    expectError(() => readFits(setCard(fixture('uint8_scaled.fits'), 'BZERO', 'T')), 'bad_header', /BZERO/);
    expectError(() => readFits(setCard(fixture('uint8_scaled.fits'), 'BLANK', '1.5')), 'bad_header', /BLANK/);
  });

  it('an extension without a valid XTENSION value', () => {
    const bytes = fixture('primary_empty_image_ext.fits');
    expectError(() => readFits(setCard(bytes, 'XTENSION', '5', 2880)), 'bad_header', /XTENSION/);
  });

  it('ignores trailing bytes after the last HDU that are not an extension', () => {
    const bytes = fixture('int32.fits');
    const more = new Uint8Array(bytes.length + 100);
    more.set(bytes);
    expect(readFits(more).data).toEqual(readFits(bytes).data);
  });

  it('survives random corruption with nothing but DarklensErrors', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const alphabet = "0123456789 -+.E'=TFXN/ABCDEFGHIJKLMNOPQRSTUVWXYZ\0\xff";
    const files = [...new Set(expected.map((c) => c.file)), 'tile_compressed.fits', 'cube_2planes.fits'];
    let ok = 0;
    let failed = 0;
    for (const name of files) {
      const bytes = fixture(name);
      for (let k = 0; k < 150; k++) {
        const bad = bytes.slice();
        const n = 1 + Math.floor(rand() * 4);
        for (let j = 0; j < n; j++) {
          // Mostly in header cards' value fields, sometimes anywhere.
          const pos = rand() < 0.8 ? Math.floor(rand() * 36) * 80 + 10 + Math.floor(rand() * 20) : Math.floor(rand() * bad.length);
          bad[pos % bad.length] = alphabet.charCodeAt(Math.floor(rand() * alphabet.length));
        }
        try {
          readFits(bad);
          ok++;
        } catch (e) {
          if (!(e instanceof DarklensError)) throw new Error(`${name} mutation ${k}: ${String(e)}`, { cause: e });
          failed++;
        }
      }
    }
    expect(ok).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
  });
});

describe('bigIntToFloat32', () => {
  it('rounds once, to nearest, ties to even', () => {
    expect(bigIntToFloat32(0n)).toBe(0);
    expect(bigIntToFloat32(16777217n)).toBe(16777216); // tie: even
    expect(bigIntToFloat32(16777219n)).toBe(16777220); // tie: even
    expect(bigIntToFloat32(2n ** 63n + 2n ** 39n)).toBe(2 ** 63); // exact tie: even
    expect(bigIntToFloat32(2n ** 63n + 2n ** 39n + 1n)).toBe(2 ** 63 + 2 ** 40); // Number() then fround gives 2^63
    expect(bigIntToFloat32(-(2n ** 63n + 2n ** 39n + 1n))).toBe(-(2 ** 63 + 2 ** 40));
    expect(bigIntToFloat32(2n ** 63n + 2n ** 39n - 1n)).toBe(2 ** 63);
    expect(bigIntToFloat32(2n ** 64n - 1n)).toBe(2 ** 64);
  });
});

describe('fits-header', () => {
  it('parses strings with doubled quotes, slashes and trailing blanks', () => {
    const c = parseCard("OBJECT  = 'O''Brien / lens  '   / the target");
    expect(c).toMatchObject({ keyword: 'OBJECT', value: "O'Brien / lens", comment: 'the target' });
    expect(parseCard("EMPTY   = ''").value).toBe('');
    expect(parseCard("LEAD    = '  x'").value).toBe('  x');
    expect(parseCard("BROKEN  = 'unterminated").invalid).toBe(true);
  });

  it('parses logicals, integers and floats with E or D exponents', () => {
    expect(parseCard('SIMPLE  =                    T / yes').value).toBe(true);
    expect(parseCard('EXTEND  =                    F').value).toBe(false);
    expect(parseCard('NAXIS1  =                  512 / width')).toMatchObject({ value: 512, intText: '512', comment: 'width' });
    expect(parseCard('BZERO   =  9223372036854775808').intText).toBe('9223372036854775808');
    expect(parseCard('CDELT1  = -1.3888888888889D-05').value).toBe(-1.3888888888889e-5);
    expect(parseCard('CDELT2  =            1.5E+02').value).toBe(150);
    expect(parseCard('X       =                  .5').value).toBe(0.5);
    expect(parseCard('X       =                  +3.').value).toBe(3);
    expect(parseCard('X       = (1.0, 2.0)').invalid).toBe(true);
    expect(parseCard('UNDEF   =                      / no value').value).toBeUndefined();
  });

  it('treats COMMENT, HISTORY and blank keywords as commentary', () => {
    expect(parseCard('HISTORY = not a value')).toEqual({ keyword: 'HISTORY', comment: '= not a value' });
    expect(parseCard('COMMENT   some text')).toEqual({ keyword: 'COMMENT', comment: '  some text' });
    expect(parseCard('          free text')).toEqual({ keyword: '', comment: '  free text' });
    expect(parseCard('NOEQUAL  T')).toEqual({ keyword: 'NOEQUAL', comment: ' T' });
  });

  it('parses HIERARCH cards and joins CONTINUE long strings', () => {
    expect(parseCard('HIERARCH ESO DET CHIP NAME = \'CCD-1\' / chip')).toMatchObject({ keyword: 'ESO DET CHIP NAME', value: 'CCD-1' });
    const head = encodeHeader([
      "LONG    = 'abc&'".padEnd(80),
      "CONTINUE  'def&'".padEnd(80),
      "CONTINUE  'ghi'".padEnd(80),
      'HISTORY first'.padEnd(80),
      'HISTORY second'.padEnd(80),
    ]);
    const h = parseHeader(head, 0);
    expect(h.get('LONG')).toBe('abcdefghi');
    expect(h.commentary('HISTORY')).toEqual(['first', 'second']);
    expect(h.byteLength).toBe(2880);
  });

  it('joins a long chain of CONTINUE cards in linear time and bounds the number of cards', () => {
    const chain = ["LONG    = 'x&'".padEnd(80), ...Array.from({ length: 30_000 }, () => "CONTINUE  'y&'".padEnd(80)), "CONTINUE  'z'".padEnd(80)];
    const h = parseHeader(encodeHeader(chain), 0);
    const value = h.get('LONG') as string;
    expect(value).toHaveLength(30_002);
    expect(value.startsWith('xyy') && value.endsWith('yyz')).toBe(true);
    const many = encodeHeader(Array.from({ length: MAX_HEADER_CARDS + 1 }, (_, i) => `COMMENT ${i}`.padEnd(80)));
    expectError(() => parseHeader(many, 0), 'too_large', /cards/);
  });

  it('finds END across blocks and reports the header size', () => {
    const cards = Array.from({ length: 40 }, (_, i) => formatCard(`K${i}`, i));
    const head = encodeHeader(cards);
    expect(head.length).toBe(5760);
    const h = parseHeader(head, 0);
    expect(h.byteLength).toBe(5760);
    expect(h.get('K39')).toBe(39);
    expectError(() => parseHeader(head.subarray(0, 2880), 0), 'truncated', /no END card/);
  });
});

describe('readFits PSF width', () => {
  const image = { width: 4, height: 4, data: new Float32Array(16).fill(1) };
  const psf = (cards: Record<string, number>) => {
    const c = readFits(writeFits(image, { cards }));
    return { fwhm: c.psfFwhm, source: c.meta.PSF_SOURCE };
  };

  it('reads a FWHM keyword in arcsec, or a sigma keyword converted to FWHM', () => {
    expect(psf({ PSFFWHM: 0.7 })).toEqual({ fwhm: 0.7, source: 'PSFFWHM' });
    expect(psf({ SEEING: 0.85 })).toEqual({ fwhm: 0.85, source: 'SEEING' });
    const s = psf({ PSFSIG: 0.1 });
    expect(s.source).toBe('PSFSIG');
    expect(s.fwhm).toBeCloseTo(0.23548, 4);
    // A FWHM keyword wins over a sigma one.
    expect(psf({ PSFSIG: 0.1, PSF_FWHM: 0.5 }).fwhm).toBe(0.5);
  });

  it('ignores implausible values and files that state none', () => {
    expect(psf({}).fwhm).toBeUndefined();
    expect(psf({ PSFFWHM: 0 }).fwhm).toBeUndefined();
    expect(psf({ SEEING: -1 }).fwhm).toBeUndefined();
    expect(psf({ PSFFWHM: 45 }).fwhm).toBeUndefined();
  });
});
