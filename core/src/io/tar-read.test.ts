import { readFileSync } from 'node:fs';
import { gzipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { codeOf, expectError, expectInvalid } from '../../../test/helpers/cutout-errors.js';
import { decodeCutout, gunzip } from './decode.js';
import { looksLikeTar, readTar } from './tar-read.js';
import { concat } from '../../../test/helpers/bytes.js';

const FIXTURES = new URL('../../test-fixtures/', import.meta.url);
const fixture = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, FIXTURES)));

interface HeaderOptions {
  name: string;
  size?: number;
  /** typeflag character; default '0' */
  type?: string;
  prefix?: string;
  /** 'ustar' (POSIX), 'gnu' ("ustar  ") or 'v7' (no magic) */
  magic?: 'ustar' | 'gnu' | 'v7';
  /** Raw bytes for the 12-byte size field, instead of octal `size`. */
  sizeField?: Uint8Array;
  /** Write the checksum as the signed byte sum, as some old tars did. */
  signedChecksum?: boolean;
}

function put(block: Uint8Array, at: number, bytes: Uint8Array | string): void {
  block.set(typeof bytes === 'string' ? strToU8(bytes) : bytes, at);
}

const octalField = (v: number, width: number): string => `${v.toString(8).padStart(width - 1, '0')}\0`;

/** One 512-byte tar header with a correct checksum. */
function header(o: HeaderOptions): Uint8Array {
  const h = new Uint8Array(512);
  put(h, 0, o.name);
  put(h, 100, octalField(0o644, 8));
  put(h, 108, octalField(0, 8));
  put(h, 116, octalField(0, 8));
  put(h, 124, o.sizeField ?? octalField(o.size ?? 0, 12));
  put(h, 136, octalField(1704067200, 12));
  put(h, 156, o.type ?? '0');
  const magic = o.magic ?? 'ustar';
  if (magic === 'ustar') put(h, 257, 'ustar\u000000');
  if (magic === 'gnu') put(h, 257, 'ustar  \0');
  if (o.prefix !== undefined) put(h, 345, o.prefix);
  put(h, 148, '        ');
  let sum = 0;
  for (const b of h) sum += o.signedChecksum && b >= 0x80 ? b - 0x100 : b;
  put(h, 148, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

const padded = (data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(Math.ceil(data.length / 512) * 512);
  out.set(data);
  return out;
};


type Entry = Omit<HeaderOptions, 'size'> & { data?: Uint8Array | string };

/** Header + padded data for one entry. */
function entry(e: Entry): Uint8Array {
  const data = typeof e.data === 'string' ? strToU8(e.data) : (e.data ?? new Uint8Array(0));
  return concat(header({ ...e, size: data.length }), padded(data));
}

const END = new Uint8Array(1024);
const tar = (...entries: Entry[]): Uint8Array => concat(...entries.map(entry), END);

/** A pax extended-header record; its length prefix counts UTF-8 bytes, itself included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = strToU8(body).length;
  let length = bodyBytes + 1;
  while (String(length).length + bodyBytes !== length) length++;
  return `${length}${body}`;
}

const LIMITS = { maxEntries: 100 };
const names = (bytes: Uint8Array, limits = LIMITS) => readTar(bytes, limits).map((e) => e.name);
const textOf = (data: Uint8Array): string => String.fromCharCode(...data);

describe('readTar', () => {
  it('reads regular files as views into the archive', () => {
    const bytes = tar({ name: 'a.fits', data: 'first file' }, { name: 'b.npy', data: 'x'.repeat(700), type: '\0' });
    const entries = readTar(bytes, LIMITS);
    expect(entries.map((e) => e.name)).toEqual(['a.fits', 'b.npy']);
    expect(textOf(entries[0]!.data)).toBe('first file');
    expect(entries[1]!.data.length).toBe(700);
    // Views, not copies: the same buffer at the data offsets (header at 0, data at 512; second
    // header at 1024, its data at 1536).
    expect(entries[0]!.data.buffer).toBe(bytes.buffer);
    expect(entries[0]!.data.byteOffset).toBe(512);
    expect(entries[1]!.data.byteOffset).toBe(1536);
  });

  it('keeps empty files', () => {
    const entries = readTar(tar({ name: 'empty.fits' }, { name: 'after.fits', data: 'z' }), LIMITS);
    expect(entries.map((e) => [e.name, e.data.length])).toEqual([
      ['empty.fits', 0],
      ['after.fits', 1],
    ]);
  });

  it('joins the ustar prefix and name', () => {
    expect(names(tar({ name: 'lens.fits', prefix: 'survey/field-7', data: '1' }))).toEqual(['survey/field-7/lens.fits']);
  });

  it('ignores the prefix area of GNU headers (it holds times there) and reads V7 headers', () => {
    expect(names(tar({ name: 'g.fits', prefix: '0001234', magic: 'gnu', data: '1' }))).toEqual(['g.fits']);
    expect(names(tar({ name: 'v7.fits', magic: 'v7', type: '\0', data: '1' }))).toEqual(['v7.fits']);
  });

  it('skips directories, links and other entry types', () => {
    const bytes = tar(
      { name: 'dir/', type: '5' },
      { name: 'old-dir/', type: '\0', magic: 'v7' },
      { name: 'hard', type: '1' },
      { name: 'soft', type: '2' },
      { name: 'fifo', type: '6' },
      { name: 'contiguous', type: '7', data: 'c' },
      { name: 'sparse', type: 'S', data: 'sparse data' },
      { name: 'dir/kept.fits', data: 'k' },
    );
    const entries = readTar(bytes, LIMITS);
    expect(entries.map((e) => e.name)).toEqual(['dir/kept.fits']);
    expect(textOf(entries[0]!.data)).toBe('k');
  });

  it('skips macOS AppleDouble files and __MACOSX folders without counting them', () => {
    const bytes = tar(
      { name: '__MACOSX/._lens.fits', data: 'x' },
      { name: '__MACOSX/batch/other.fits', data: 'x' },
      { name: 'batch/._lens.fits', data: 'x' },
      { name: '._top.fits', data: 'x' },
      { name: 'batch/lens.fits', data: 'kept' },
      { name: 'batch/not._hidden.fits', data: 'kept' },
    );
    expect(names(bytes, { maxEntries: 2 })).toEqual(['batch/lens.fits', 'batch/not._hidden.fits']);
  });

  it('takes a GNU long name for the next entry only', () => {
    const long = `${'deep/'.repeat(30)}lens.fits`;
    const bytes = tar(
      { name: '././@LongLink', type: 'L', magic: 'gnu', data: `${long}\0` },
      { name: long.slice(0, 100), magic: 'gnu', data: 'L' },
      { name: 'short.fits', magic: 'gnu', data: 's' },
    );
    expect(long.length).toBe(159);
    expect(names(bytes)).toEqual([long, 'short.fits']);
  });

  it('takes a pax path (UTF-8) for the next entry only and ignores global pax headers', () => {
    const path = 'relevé/läns-Ω.fits';
    const bytes = tar(
      { name: 'pax_global_header', type: 'g', data: paxRecord('path', 'global-not-a-name') },
      { name: 'PaxHeaders/x', type: 'x', data: paxRecord('mtime', '1.5') + paxRecord('path', path) },
      { name: 'truncated-name', data: 'p' },
      { name: 'plain.fits', data: 'q' },
    );
    expect(names(bytes)).toEqual([path, 'plain.fits']);
  });

  it("uses a pax size for the next file's data length", () => {
    // The header says 0 bytes; the pax record says 600, which must be honoured to stay aligned.
    const data = 'y'.repeat(600);
    const bytes = concat(
      entry({ name: 'PaxHeaders/big', type: 'x', data: paxRecord('size', '600') }),
      header({ name: 'big.fits', size: 0 }),
      padded(strToU8(data)),
      entry({ name: 'next.fits', data: 'n' }),
      END,
    );
    const entries = readTar(bytes, LIMITS);
    expect(entries.map((e) => [e.name, e.data.length])).toEqual([
      ['big.fits', 600],
      ['next.fits', 1],
    ]);
  });

  it('applies a pax size across a following GNU long-name header, not to it', () => {
    const long = `${'x'.repeat(120)}.fits`;
    const bytes = concat(
      entry({ name: 'PaxHeaders/big', type: 'x', data: paxRecord('size', '600') }),
      entry({ name: '././@LongLink', type: 'L', data: long }),
      header({ name: 'ignored', size: 0 }),
      padded(new Uint8Array(600).fill(7)),
      END,
    );
    const entries = readTar(bytes, LIMITS);
    expect(entries.map((e) => [e.name, e.data.length, e.data[599]])).toEqual([[long, 600, 7]]);
  });

  it('rejects malformed pax records', () => {
    const bad = tar({ name: 'PaxHeaders/x', type: 'x', data: '99 path=a\n' }, { name: 'a', data: '1' });
    expectError(() => readTar(bad, LIMITS), 'bad_header', /tar entry 1/, /pax/);
    const noEquals = tar({ name: 'PaxHeaders/x', type: 'x', data: '9 pathab\n' }, { name: 'a', data: '1' });
    expectError(() => readTar(noEquals, LIMITS), 'bad_header', /without '='/);
    const badSize = tar({ name: 'PaxHeaders/x', type: 'x', data: paxRecord('size', '12x') }, { name: 'a', data: '1' });
    expectError(() => readTar(badSize, LIMITS), 'bad_header', /tar entry 2/, /pax size "12x"/);
  });

  it('reads GNU base-256 sizes and refuses ones beyond 2^53', () => {
    const small = new Uint8Array(12);
    small[0] = 0x80;
    small[11] = 5;
    const bytes = concat(header({ name: 'b256.fits', sizeField: small }), padded(strToU8('12345')), END);
    const entries = readTar(bytes, LIMITS);
    expect(entries.map((e) => [e.name, textOf(e.data)])).toEqual([['b256.fits', '12345']]);

    const huge = new Uint8Array(12);
    huge[0] = 0x80;
    huge[5] = 0x20; // field bytes 1..11 are big-endian, so byte 5 weighs 256^6 = 2^48: 0x20 × 2^48 = 2^53
    expectError(() => readTar(concat(header({ name: 'huge', sizeField: huge }), END), LIMITS), 'too_large', /tar entry 1/, /2\^53/);
    const justUnder = new Uint8Array(12);
    justUnder[0] = 0x80;
    justUnder.fill(0xff, 6);
    justUnder[5] = 0x1f; // 2^53 - 1: a valid size, so the archive is merely truncated
    expect(codeOf(() => readTar(concat(header({ name: 'big', sizeField: justUnder }), END), LIMITS))).toBe('truncated');
    const negative = new Uint8Array(12).fill(0xff);
    expectError(() => readTar(concat(header({ name: 'neg', sizeField: negative }), END), LIMITS), 'bad_header', /negative/);
  });

  it('refuses a size field that is not octal', () => {
    expectError(() => readTar(concat(header({ name: 'x', sizeField: strToU8('00000000009\0') }), END), LIMITS), 'bad_header', /not octal/);
    expectError(() => readTar(concat(header({ name: 'x', sizeField: strToU8('12 34\0\0\0\0\0\0\0') }), END), LIMITS), 'bad_header', /not octal/);
  });

  it('verifies header checksums, naming the entry', () => {
    const bytes = tar({ name: 'a.fits', data: 'a' }, { name: 'b.fits', data: 'b' });
    const bad = bytes.slice();
    bad[1024 + 5] = 0x5f; // a byte of the second header's name (was "s")
    expectError(() => readTar(bad, LIMITS), 'bad_header', /tar entry 2 \(header at byte 1024\)/, /checksum/);
    expectError(() => readTar(new Uint8Array(600).fill(0x41), LIMITS), 'bad_header', /tar entry 1/);
  });

  it('accepts checksums written as a signed byte sum', () => {
    const bytes = tar({ name: 'caf\u00e9-\u00ff.fits', data: 'e', signedChecksum: true });
    expect(readTar(bytes, LIMITS)).toHaveLength(1);
  });

  it('stops at the end-of-archive zero blocks, or at the end of the bytes', () => {
    const withTrailer = concat(entry({ name: 'a', data: 'a' }), END, entry({ name: 'after-end', data: 'b' }));
    expect(names(withTrailer)).toEqual(['a']);
    const lone = concat(entry({ name: 'a', data: 'a' }), new Uint8Array(512), entry({ name: 'b', data: 'b' }));
    expect(names(lone)).toEqual(['a']);
    expect(names(concat(entry({ name: 'a', data: 'a' }), entry({ name: 'b', data: 'b' })))).toEqual(['a', 'b']);
    expect(names(new Uint8Array(0))).toEqual([]);
    expect(names(END)).toEqual([]);
  });

  it('reports truncation inside any header or data block, and accepts cuts between entries', () => {
    const bytes = tar({ name: 'a', data: 'x'.repeat(700) }, { name: 'b', data: 'y' });
    // Entries end at 1536 (header + 2 data blocks) and 2560; any other cut is inside a block.
    for (let cut = 1; cut < 2560; cut++) {
      const code = codeOf(() => readTar(bytes.subarray(0, cut), LIMITS));
      expect(code, `cut at ${cut}`).toBe(cut === 1536 ? 'no error' : 'truncated');
    }
    expect(names(bytes.subarray(0, 1536))).toEqual(['a']);
    expectError(() => readTar(bytes.subarray(0, 1000), LIMITS), 'truncated', /inside the data of tar entry 1/, /700 bytes from byte 512/);
    expectError(() => readTar(bytes.subarray(0, 1600), LIMITS), 'truncated', /inside the header of tar entry 2/);
  });

  it('refuses more than maxEntries regular files', () => {
    const files = Array.from({ length: 4 }, (_, i) => ({ name: `f${i}.fits`, data: String(i) }));
    const bytes = tar({ name: 'dir/', type: '5' }, ...files);
    expect(names(bytes, { maxEntries: 4 })).toHaveLength(4); // the directory does not count
    expectError(() => readTar(bytes, { maxEntries: 3 }), 'too_large', /more than 3 files/);
  });

  it('validates maxEntries', () => {
    expectInvalid(() => readTar(END, { maxEntries: 0 }), /maxEntries/);
    expectInvalid(() => readTar(END, { maxEntries: 1.5 }), /maxEntries/);
  });
});

describe('readTar on an archive written by GNU tar', () => {
  // Made by core/test-fixtures/tar/make-gnu-fixture.sh (GNU tar 1.34, --format=gnu).
  const bytes = fixture('tar/gnu-longname.tar');
  const long = 'batch/a-directory-name-long-enough-to-need-the-gnu-long-name-extension/lens-000123-hst-f814w-cutout.npy';

  it('lists the files under their full names, skipping directories and AppleDouble files', () => {
    expect(looksLikeTar(bytes)).toBe(true);
    const entries = readTar(bytes, LIMITS);
    expect(entries.map((e) => e.name)).toEqual([long, 'batch/notes.txt']);
    expect(textOf(entries[1]!.data)).toBe('hello tar\n');
  });

  it('returns file data that decodes as the original cutout', () => {
    const [npy] = readTar(bytes, LIMITS);
    const original = fixture('npy/shape-hw.npy');
    expect([...npy!.data]).toEqual([...original]);
    const cutout = decodeCutout(npy!.data);
    expect([cutout.width, cutout.height]).toEqual([7, 5]);
  });

  it('survives a gzip layer via gunzip', () => {
    const unpacked = gunzip(gzipSync(bytes), 1 << 20);
    expect(readTar(unpacked, LIMITS).map((e) => e.name)).toEqual([long, 'batch/notes.txt']);
    expectError(() => gunzip(gzipSync(bytes), 4096), 'too_large', /more than 4096 bytes/);
  });

  it('gunzip refuses non-gzip bytes and a limit that is not a positive number', () => {
    expectError(() => gunzip(bytes, 1 << 20), 'unsupported_format', /not a gzip file \(it starts with 62 61 74 63/);
    expectError(() => gunzip(new Uint8Array(0), 1 << 20), 'truncated');
    expectInvalid(() => gunzip(gzipSync(bytes), NaN), /maxBytes/);
    expectInvalid(() => gunzip(gzipSync(bytes), 0), /maxBytes/);
  });
});

describe('looksLikeTar', () => {
  it('recognises the ustar magic and, without it, a valid header checksum', () => {
    expect(looksLikeTar(tar({ name: 'a', data: 'a' }))).toBe(true);
    expect(looksLikeTar(tar({ name: 'a', data: 'a', magic: 'gnu' }))).toBe(true);
    expect(looksLikeTar(tar({ name: 'a', data: 'a', magic: 'v7' }))).toBe(true);
    // The magic alone is enough, even where the block is short or the checksum wrong.
    const magicOnly = new Uint8Array(300);
    put(magicOnly, 257, 'ustar');
    expect(looksLikeTar(magicOnly)).toBe(true);
  });

  it('rejects other content', () => {
    const v7 = tar({ name: 'a', data: 'a', magic: 'v7' });
    v7[0] = 0x62; // "a" -> "b" without updating the checksum
    expect(looksLikeTar(v7)).toBe(false);
    expect(looksLikeTar(new Uint8Array(0))).toBe(false);
    expect(looksLikeTar(new Uint8Array(1024))).toBe(false); // zero blocks: an empty archive, nothing to read
    expect(looksLikeTar(new Uint8Array(511).fill(0x20))).toBe(false);
    expect(looksLikeTar(fixture('npy/shape-hw.npy'))).toBe(false);
    expect(looksLikeTar(fixture('fits/float32_nan.fits'))).toBe(false);
    expect(looksLikeTar(gzipSync(fixture('tar/gnu-longname.tar')))).toBe(false);
  });
});
