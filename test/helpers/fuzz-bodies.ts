/**
 * Deterministic hostile request bodies for the service fuzz suite (test/service/fuzz.test.ts): valid
 * cutouts made with core's writers, then truncated, bit-flipped, given absurd headers, NaN/Inf pixels,
 * decompression bombs, broken containers, wrong content types and malformed Open Inference Protocol
 * requests. Every case says what the service must answer (see Expectation). All randomness comes from
 * core's SeededRng, so a failing case is reproduced by its family, index and seed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { encode as encodeJpeg } from 'jpeg-js';
import { encodePngGray, SeededRng, writeFits, writeNpy } from '@darklens/core';
import { crc32 } from '../../core/src/io/crc32.js';
import { concat } from './bytes.js';
import { ROOT } from './cli.js';

export const SCORE = '/v1/score';
export const BATCH = '/v1/score/batch';
export const INFER = '/v2/models/dcae/infer';
export type Route = typeof SCORE | typeof BATCH | typeof INFER | `/v2/models/dcae/versions/${string}/infer`;

/**
 * What a case must get back (whatever it is, never a 5xx, a hang or a stack trace):
 * - ok: scored. /v1/score: 200 with finite scores (and `masked` masked pixels when given); batch: 200
 *   with every line scored (`lines` of them when given); /v2: 200 with finite outputs.
 * - refused: nothing scored. /v1/score and /v2: a 4xx (one of `status` when given); batch: a 4xx, or
 *   200 where every NDJSON line is an error (a raw body that is no container is one item that fails),
 *   except with `request` (the request itself is wrong, e.g. a bad parameter): a 4xx there too.
 * - mixed (batch only): 200 with `lines` lines, errors exactly at the indices `errors` (with the error
 *   codes `codes` when given).
 * - either: damaged or odd input that may still be valid: a 200 checked as for ok, or a 4xx.
 */
export type Expectation =
  | { kind: 'ok'; lines?: number; masked?: number }
  | { kind: 'refused'; status?: readonly number[]; request?: boolean }
  | { kind: 'mixed'; lines: number; errors: readonly number[]; codes?: readonly string[] }
  | { kind: 'either' };

export interface FuzzCase {
  /** Short description of the body, for failure messages. */
  what: string;
  route: Route;
  /** Query string without the '?'. */
  query?: string;
  body: Uint8Array | string | FormData;
  headers?: Record<string, string>;
  expect: Expectation;
}

const OK: Expectation = { kind: 'ok' };
const REFUSED: Expectation = { kind: 'refused' };
const EITHER: Expectation = { kind: 'either' };
const refused = (...status: number[]): Expectation => ({ kind: 'refused', status });
const JSON_TYPE = { 'content-type': 'application/json' };
/** Scoring with one model keeps the suite fast; some cases use every model. */
const ONE = 'models=dcae';

// ---------------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------------

const enc = new TextEncoder();
export const ascii = (s: string): Uint8Array => enc.encode(s);

function pick<T>(rng: SeededRng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function randomBytes(rng: SeededRng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.nextU32() & 0xff;
  return out;
}

/** `bytes` with 1..maxFlips bytes XORed with a random non-zero value (never in place). */
function flip(rng: SeededRng, bytes: Uint8Array, maxFlips = 8, from = 0): Uint8Array {
  const out = bytes.slice();
  const n = 1 + rng.int(maxFlips);
  for (let k = 0; k < n && out.length > from; k++) out[from + rng.int(out.length - from)]! ^= 1 + rng.int(255);
  return out;
}

function u32be(v: number): Uint8Array {
  return new Uint8Array([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

// ---------------------------------------------------------------------------------------------
// Valid cutouts
// ---------------------------------------------------------------------------------------------

/** A lens-like ring plus a core and a little noise: an ordinary image the models can score. */
export function lensImage(rng: SeededRng, width = 64, height = 64): Float32Array {
  const out = new Float32Array(width * height);
  const s = Math.min(width, height);
  const cx = width / 2 + rng.range(-1, 1);
  const cy = height / 2 + rng.range(-1, 1);
  const r0 = rng.range(0.2, 0.35) * s;
  const ring = 2 * (0.06 * s) ** 2;
  const core = 2 * (0.05 * s) ** 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - cx, y - cy);
      out[y * width + x] = Math.exp(-((r - r0) ** 2) / ring) + 0.3 * Math.exp(-(r * r) / core) + 0.02 * rng.normal();
    }
  }
  return out;
}

/** A 64x64 lens at the models' own 0.1 arcsec/pixel as FITS (written by core's writer). */
export function lensFits(rng: SeededRng, width = 64, height = 64, pixelScale: number | undefined = 0.1): Uint8Array {
  return writeFits({ width, height, data: lensImage(rng, width, height) }, pixelScale === undefined ? {} : { pixelScale });
}

export function lensNpy(rng: SeededRng, count = 1, width = 64, height = 64): Uint8Array {
  const data = new Float32Array(count * width * height);
  for (let i = 0; i < count; i++) data.set(lensImage(rng, width, height), i * width * height);
  return writeNpy(data, count === 1 ? [height, width] : [count, height, width]);
}

function toBytes(image: Float32Array): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of image) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return Uint8Array.from(image, (v) => Math.round((255 * (v - lo)) / (hi - lo || 1)));
}

export function lensPng(rng: SeededRng, width = 64, height = 64): Uint8Array {
  return encodePngGray(width, height, toBytes(lensImage(rng, width, height)));
}

export function lensJpeg(rng: SeededRng, width = 64, height = 64): Uint8Array {
  const grey = toBytes(lensImage(rng, width, height));
  const rgba = new Uint8Array(width * height * 4);
  grey.forEach((g, i) => rgba.set([g, g, g, 255], 4 * i));
  return new Uint8Array(encodeJpeg({ width, height, data: rgba }, 85).data);
}

let jpegPool: Uint8Array[] | undefined;

/** A copy of one of 8 pre-encoded 64x64 lens JPEGs (jpeg-js takes ~100 ms per encode). */
export function pooledJpeg(rng: SeededRng): Uint8Array {
  jpegPool ??= Array.from({ length: 8 }, (_, i) => lensJpeg(new SeededRng(1000 + i)));
  return jpegPool[rng.int(jpegPool.length)]!.slice();
}

export const gzip = (bytes: Uint8Array): Uint8Array => new Uint8Array(gzipSync(bytes));

type Maker = { name: string; make: (rng: SeededRng) => Uint8Array };

/** Valid single cutouts in every accepted format, 64x64 so they score as they are. */
const VALID_MAKERS: Maker[] = [
  { name: 'fits', make: (rng) => lensFits(rng) },
  { name: 'fits-no-scale', make: (rng) => lensFits(rng, 64, 64, undefined) },
  { name: 'npy', make: (rng) => lensNpy(rng) },
  { name: 'png', make: (rng) => lensPng(rng) },
  { name: 'jpeg', make: (rng) => pooledJpeg(rng) },
  { name: 'fits.gz', make: (rng) => gzip(lensFits(rng)) },
  { name: 'npy.gz', make: (rng) => gzip(lensNpy(rng)) },
];

/** The checked-in decoder fixtures (real numpy, astropy, Pillow and libjpeg files), as extra seeds. */
function fixtures(): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const dir of ['fits', 'npy', 'raster', 'tar']) {
    const path = join(ROOT, 'core', 'test-fixtures', dir);
    for (const f of readdirSync(path).sort()) {
      if (f.endsWith('.json') || f.endsWith('.sh')) continue;
      out.push({ name: `${dir}/${f}`, bytes: new Uint8Array(readFileSync(join(path, f))) });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Containers: tar and multipart
// ---------------------------------------------------------------------------------------------

export interface TarSpec {
  name: string;
  data?: Uint8Array;
  /** Typeflag (default '0', a regular file). */
  type?: string;
  /** Raw 12-byte size field instead of the octal length of data. */
  sizeField?: Uint8Array;
  badChecksum?: boolean;
}

function putText(h: Uint8Array, at: number, length: number, s: string): void {
  const b = ascii(s);
  h.set(b.subarray(0, length), at);
}

export function tarHeader(e: TarSpec): Uint8Array {
  const h = new Uint8Array(512);
  const size = e.data?.length ?? 0;
  putText(h, 0, 100, e.name);
  putText(h, 100, 8, '0000644\0');
  putText(h, 108, 8, '0000000\0');
  putText(h, 116, 8, '0000000\0');
  if (e.sizeField) h.set(e.sizeField.subarray(0, 12), 124);
  else putText(h, 124, 12, `${size.toString(8).padStart(11, '0')}\0`);
  putText(h, 136, 12, '00000000000\0');
  putText(h, 148, 8, '        ');
  putText(h, 156, 1, e.type ?? '0');
  putText(h, 257, 8, 'ustar\x0000');
  let sum = 0;
  for (const b of h) sum += b;
  if (e.badChecksum) sum += 1;
  putText(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

export interface Tar {
  bytes: Uint8Array;
  /** Byte offset of each entry's header, and where its padded data ends. */
  headers: number[];
  dataEnds: number[];
}

export function tar(entries: TarSpec[]): Tar {
  const parts: Uint8Array[] = [];
  const headers: number[] = [];
  const dataEnds: number[] = [];
  let pos = 0;
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    headers.push(pos);
    parts.push(tarHeader(e), padded);
    pos += 512 + padded.length;
    dataEnds.push(pos);
  }
  parts.push(new Uint8Array(1024));
  return { bytes: concat(...parts), headers, dataEnds };
}

function blob(bytes: Uint8Array): Blob {
  return new Blob([bytes as Uint8Array<ArrayBuffer>]);
}

function form(files: { name: string; bytes: Uint8Array }[], fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const file of files) f.append('file', blob(file.bytes), file.name);
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

/** A hand-written multipart body (for the broken ones FormData cannot make). */
function multipart(boundary: string, parts: { headers: string; body: Uint8Array }[], close = true): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const p of parts) chunks.push(ascii(`--${boundary}\r\n${p.headers}\r\n\r\n`), p.body, ascii('\r\n'));
  if (close) chunks.push(ascii(`--${boundary}--\r\n`));
  return concat(...chunks);
}

const filePart = (name: string, filename: string, body: Uint8Array) => ({
  headers: `Content-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/octet-stream`,
  body,
});

// ---------------------------------------------------------------------------------------------
// FITS, PNG and JPEG by hand
// ---------------------------------------------------------------------------------------------

/** One 80-column FITS card; `value` is written right-aligned in columns 11-30 like fixed-format numbers. */
export function card(keyword: string, value?: string): string {
  if (value === undefined) return keyword.padEnd(80).slice(0, 80);
  return `${keyword.padEnd(8)}= ${value.padStart(20)}`.padEnd(80).slice(0, 80);
}

/** Header cards (END appended unless `end` is false), padded to 2880 bytes, then data padded with zeros. */
export function fitsRaw(cards: string[], data: Uint8Array = new Uint8Array(0), end = true): Uint8Array {
  let text = cards.join('') + (end ? card('END') : '');
  text = text.padEnd(Math.ceil(text.length / 2880) * 2880, ' ');
  const padded = new Uint8Array(Math.ceil(data.length / 2880) * 2880);
  padded.set(data);
  return concat(ascii(text), padded);
}

/** 64x64 float32 big-endian pixels of a lens. */
function fitsPixels(rng: SeededRng, values?: Float32Array): Uint8Array {
  const v = values ?? lensImage(rng);
  const out = new Uint8Array(v.length * 4);
  const view = new DataView(out.buffer);
  v.forEach((x, i) => view.setFloat32(4 * i, x, false));
  return out;
}

const BASE_CARDS: [string, string][] = [
  ['SIMPLE', 'T'],
  ['BITPIX', '-32'],
  ['NAXIS', '2'],
  ['NAXIS1', '64'],
  ['NAXIS2', '64'],
  ['PIXSCALE', '0.1'],
];

function pngChunk(type: string, data: Uint8Array, badCrc = false): Uint8Array {
  const body = concat(ascii(type), data);
  return concat(u32be(data.length), body, u32be((crc32(body) ^ (badCrc ? 1 : 0)) >>> 0));
}

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Ihdr {
  width: number;
  height: number;
  depth?: number;
  color?: number;
  compression?: number;
  filter?: number;
  interlace?: number;
}

function ihdr(h: Ihdr): Uint8Array {
  return concat(
    u32be(h.width),
    u32be(h.height),
    new Uint8Array([h.depth ?? 8, h.color ?? 0, h.compression ?? 0, h.filter ?? 0, h.interlace ?? 0]),
  );
}

function png(h: Ihdr, chunks: Uint8Array[], iend = true): Uint8Array {
  return concat(PNG_SIGNATURE, pngChunk('IHDR', ihdr(h)), ...chunks, iend ? pngChunk('IEND', new Uint8Array(0)) : new Uint8Array(0));
}

/** Scanlines of a grey 8-bit image: filter byte `filter` then the row. */
function greyRows(width: number, height: number, fill: (x: number, y: number) => number, filter = 0): Uint8Array {
  const out = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    out[y * (width + 1)] = filter;
    for (let x = 0; x < width; x++) out[y * (width + 1) + 1 + x] = fill(x, y);
  }
  return out;
}

const idat = (raw: Uint8Array): Uint8Array => pngChunk('IDAT', new Uint8Array(deflateSync(raw)));

/** Offset of the SOF0 segment's marker in a JPEG written by jpeg-js (markers walked, not searched). */
function sofOffset(j: Uint8Array): number {
  let pos = 2;
  while (pos + 4 <= j.length) {
    const marker = j[pos + 1]!;
    if (marker === 0xc0) return pos;
    pos += 2 + ((j[pos + 2]! << 8) | j[pos + 3]!);
  }
  throw new Error('no SOF0 in the JPEG');
}

// ---------------------------------------------------------------------------------------------
// Families
// ---------------------------------------------------------------------------------------------

export type Family = (rng: SeededRng) => FuzzCase[];

/** Valid inputs of every kind, some with the wrong Content-Type (the body is sniffed): all scored. */
const valid: Family = (rng) => {
  const cases: FuzzCase[] = [];
  const types = ['application/json', 'text/plain', 'image/png', 'application/x-www-form-urlencoded', 'application/fits', 'application/octet-stream', 'application/x-npy', 'image/jpeg'];
  for (let i = 0; i < 84; i++) {
    const m = VALID_MAKERS[i % VALID_MAKERS.length]!;
    const headers = i % 3 === 0 ? { 'content-type': pick(rng, types) } : undefined;
    const c: FuzzCase = { what: `valid ${m.name}${headers ? ` as ${headers['content-type']}` : ''}`, route: SCORE, query: i % 6 === 0 ? '' : ONE, body: m.make(rng), expect: OK };
    if (headers) c.headers = headers;
    cases.push(c);
  }
  for (let i = 0; i < 16; i++) {
    const n = 1 + rng.int(8);
    cases.push({ what: `NPY stack of ${n}`, route: BATCH, query: ONE, body: lensNpy(rng, n), expect: { kind: 'ok', lines: n } });
  }
  for (let i = 0; i < 16; i++) {
    const n = 1 + rng.int(5);
    const entries = Array.from({ length: n }, (_, k) => ({ name: `c${k}.bin`, data: pick(rng, VALID_MAKERS).make(rng) }));
    const t = tar(entries).bytes;
    const gz = i % 2 === 1;
    cases.push({ what: `tar${gz ? '.gz' : ''} of ${n} cutouts`, route: BATCH, query: ONE, body: gz ? gzip(t) : t, expect: { kind: 'ok', lines: n } });
  }
  for (let i = 0; i < 12; i++) {
    const n = 1 + rng.int(4);
    const files = Array.from({ length: n }, (_, k) => ({ name: `f${k}`, bytes: pick(rng, VALID_MAKERS).make(rng) }));
    cases.push({ what: `multipart of ${n} files`, route: BATCH, body: form(files, { models: 'dcae' }), expect: { kind: 'ok', lines: n } });
  }
  for (let i = 0; i < 6; i++) {
    cases.push({ what: 'multipart of one file and a field', route: SCORE, body: form([{ name: 'lens.fits', bytes: lensFits(rng) }], { models: 'dcae,rbm', outputs: 'residual', encoding: pick(rng, ['png', 'array', 'both']) }), expect: OK });
  }
  for (let i = 0; i < 10; i++) {
    const n = 1 + rng.int(3);
    const data = Array.from({ length: n * 4096 }, () => Math.round(rng.uniform() * 1e6) / 1e6);
    cases.push({ what: `infer N=${n}`, route: INFER, body: JSON.stringify({ id: `r${i}`, inputs: [{ name: 'input', shape: [n, 1, 64, 64], datatype: 'FP32', data }] }), headers: JSON_TYPE, expect: OK });
  }
  return cases;
};

/** Valid files of odd geometry: tiny, huge, far-off pixel scales. Scored or refused, never a crash. */
const geometry: Family = (rng) => {
  const cases: FuzzCase[] = [];
  const scales = [undefined, 0.1, 0.05, 0.2, 0.5, 1, 0.0999999, 1e-30, 1e30, 3.7, 0.013];
  for (let i = 0; i < 120; i++) {
    const w = 1 + rng.int(160);
    const h = 1 + rng.int(160);
    const s = pick(rng, scales);
    const kind = rng.int(3);
    const body = kind === 0 ? lensFits(rng, w, h, s) : kind === 1 ? lensNpy(rng, 1, w, h) : lensPng(rng, w, h);
    // Under 8 pixels a side there is nothing to score: that much is certain.
    const expect = w < 8 || h < 8 ? REFUSED : EITHER;
    cases.push({ what: `${['fits', 'npy', 'png'][kind]} ${w}x${h} at ${String(kind === 0 ? s : 'no scale')}`, route: i % 4 === 0 ? BATCH : SCORE, query: ONE, body, expect });
  }
  cases.push({ what: 'fits 128x128 at 0.05 (resampled)', route: SCORE, query: ONE, body: lensFits(rng, 128, 128, 0.05), expect: OK });
  // 0.2"/px goes to the lsst set (64 px at 0.2" = 12.8"): 48 px cover more than half its field, padded.
  cases.push({ what: 'fits 48x48 at 0.2 (routed by scale, padded)', route: SCORE, query: ONE, body: lensFits(rng, 48, 48, 0.2), expect: OK });
  cases.push({ what: 'fits 7x64', route: SCORE, query: ONE, body: lensFits(rng, 7, 64), expect: refused(422) });
  cases.push({ what: 'fits 4096x1 (a single row)', route: SCORE, query: ONE, body: lensFits(rng, 4096, 1), expect: refused(422) });
  cases.push({ what: 'npy 4097x8 (over maxSide)', route: SCORE, body: writeNpy(new Float32Array(4097 * 8), [4097, 8]), expect: refused(413) });
  return cases;
};

/** Valid files cut short at random points. */
const truncated: Family = (rng) => {
  const cases: FuzzCase[] = [];
  for (let i = 0; i < 420; i++) {
    const m = VALID_MAKERS[i % VALID_MAKERS.length]!;
    const file = m.make(rng);
    const cut = rng.int(file.length);
    let expect: Expectation = REFUSED;
    // writeFits: a 2880-byte header, then 64*64*4 data bytes, then zero padding that may be missing.
    if ((m.name === 'fits' || m.name === 'fits-no-scale') && cut >= 2880 + 64 * 64 * 4) expect = OK;
    cases.push({ what: `${m.name} cut to ${cut} of ${file.length} bytes`, route: i % 5 === 0 ? BATCH : SCORE, query: ONE, body: file.subarray(0, cut), expect });
  }
  // NPY stacks in a batch: any cut leaves the stack unreadable.
  for (let i = 0; i < 40; i++) {
    const file = lensNpy(rng, 1 + rng.int(6));
    const cut = rng.int(file.length);
    cases.push({ what: `NPY stack cut to ${cut} of ${file.length}`, route: BATCH, query: ONE, body: file.subarray(0, cut), expect: REFUSED });
  }
  // Tars: a cut inside a header or data block is 'truncated'; a cut exactly between entries (or
  // past the first end block) leaves a shorter archive that is still valid.
  for (let i = 0; i < 80; i++) {
    const n = 1 + rng.int(4);
    const t = tar(Array.from({ length: n }, (_, k) => ({ name: `c${k}.fits`, data: lensFits(rng) })));
    const boundaries = [...t.headers.slice(1), t.dataEnds[n - 1]! + 512];
    const cut = i % 4 === 0 ? pick(rng, boundaries) : rng.int(t.bytes.length);
    let expect: Expectation = REFUSED;
    const k = t.headers.indexOf(cut);
    if (k > 0) expect = { kind: 'ok', lines: k };
    else if (cut >= t.dataEnds[n - 1]! + 512) expect = { kind: 'ok', lines: n };
    const gz = i % 5 === 4;
    const body = gz ? gzip(t.bytes.subarray(0, cut)) : t.bytes.subarray(0, cut);
    cases.push({ what: `tar${gz ? ' (then gzipped)' : ''} of ${n} cut to ${cut} of ${t.bytes.length}`, route: BATCH, query: ONE, body, expect });
  }
  // Real-world fixtures, cut anywhere: refused or (for a cut in trailing padding or unused HDUs) scored.
  const fx = fixtures();
  for (let i = 0; i < 60; i++) {
    const f = pick(rng, fx);
    const cut = rng.int(f.bytes.length);
    cases.push({ what: `fixture ${f.name} cut to ${cut}`, route: pick(rng, [SCORE, BATCH]), query: ONE, body: f.bytes.subarray(0, cut), expect: EITHER });
  }
  return cases;
};

/** Valid files, tars, fixtures and infer requests with random bytes flipped. */
const byteflip: Family = (rng) => {
  const cases: FuzzCase[] = [];
  for (let i = 0; i < 350; i++) {
    const m = VALID_MAKERS[i % VALID_MAKERS.length]!;
    const file = m.make(rng);
    // Half the flips hit the first 100 bytes, where the headers are.
    const headerOnly = i % 2 === 0;
    const flipped = headerOnly ? concat(flip(rng, file.subarray(0, 100), 4), file.subarray(100)) : flip(rng, file, 16);
    cases.push({ what: `${m.name} with flipped bytes${headerOnly ? ' in its header' : ''}`, route: i % 4 === 0 ? BATCH : SCORE, query: ONE, body: flipped, expect: EITHER });
  }
  const fx = fixtures();
  for (let i = 0; i < 120; i++) {
    const f = pick(rng, fx);
    cases.push({ what: `fixture ${f.name} with flipped bytes`, route: pick(rng, [SCORE, BATCH]), query: ONE, body: flip(rng, f.bytes, 8), expect: EITHER });
  }
  for (let i = 0; i < 50; i++) {
    const t = tar([{ name: 'a.fits', data: lensFits(rng) }, { name: 'b.npy', data: lensNpy(rng) }]).bytes;
    cases.push({ what: 'tar with flipped bytes', route: BATCH, query: ONE, body: flip(rng, t, 6), expect: EITHER });
  }
  for (let i = 0; i < 60; i++) {
    const text = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1, 64, 64], datatype: 'FP32', data: Array.from({ length: 4096 }, (_, k) => (k % 97) / 97) }] });
    cases.push({ what: 'infer request with flipped bytes', route: INFER, body: flip(rng, ascii(text), 6), headers: JSON_TYPE, expect: EITHER });
  }
  return cases;
};

/** FITS headers with absurd or missing structural keywords, one mutation of a valid file at a time. */
const fitsHeader: Family = (rng) => {
  const cases: FuzzCase[] = [];
  // [keyword, value, still valid?]; undefined value removes the card.
  const mutations: [string, string | undefined, Expectation][] = [
    ['NAXIS1', '2147483648', refused(413)],
    ['NAXIS1', '4294967296', refused(413)],
    ['NAXIS1', '9007199254740993', refused(422)],
    ['NAXIS1', '99999999999999999999999', refused(422)],
    ['NAXIS2', '2147483648', refused(413)],
    ['NAXIS1', '-1', refused(422)],
    ['NAXIS1', '-2147483648', refused(422)],
    ['NAXIS1', '0', REFUSED],
    ['NAXIS2', '0', REFUSED],
    ['NAXIS1', '1.5', refused(422)],
    ['NAXIS1', '1E3', refused(422)],
    ['NAXIS1', "'64'", refused(422)],
    ['NAXIS1', 'T', refused(422)],
    ['NAXIS1', '', refused(422)],
    ['NAXIS1', '0x40', refused(422)],
    ['NAXIS1', '4097', refused(413)],
    ['NAXIS1', '4096', refused(422)],
    ['NAXIS1', '7', refused(422)],
    ['NAXIS1', '1', refused(422)],
    ['NAXIS1', undefined, refused(422)],
    ['NAXIS2', undefined, refused(422)],
    ['NAXIS', '0', REFUSED],
    ['NAXIS', '1', refused(422)],
    ['NAXIS', '3', refused(422)],
    ['NAXIS', '1000', refused(422)],
    ['NAXIS', '-1', refused(422)],
    ['NAXIS', '2147483648', refused(422)],
    ['NAXIS', undefined, refused(422)],
    ['BITPIX', '0', refused(415)],
    ['BITPIX', '7', refused(415)],
    ['BITPIX', '-16', refused(415)],
    ['BITPIX', '128', refused(415)],
    ['BITPIX', '-128', refused(415)],
    ['BITPIX', "'X'", refused(422)],
    ['BITPIX', undefined, refused(422)],
    ['BITPIX', '64', refused(422)],
    ['BITPIX', '-64', refused(422)],
    ['BITPIX', '8', EITHER],
    ['BITPIX', '16', EITHER],
    ['BITPIX', '32', EITHER],
    ['BSCALE', 'NaN', refused(422)],
    ['BSCALE', 'INF', refused(422)],
    ['BSCALE', "'x'", refused(422)],
    ['BSCALE', '1E308', EITHER],
    ['BSCALE', '1E-308', EITHER],
    ['BSCALE', '0', EITHER],
    ['BSCALE', '-1D0', OK],
    ['BZERO', '1E38', EITHER],
    ['BZERO', '-3.4E38', EITHER],
    ['BZERO', 'NaN', refused(422)],
    ['BLANK', '1.5', OK],
    ['PIXSCALE', '-0.1', EITHER],
    ['PIXSCALE', '0', EITHER],
    ['PIXSCALE', '1E308', EITHER],
    ['PIXSCALE', '1E-320', EITHER],
    ['PIXSCALE', 'NaN', EITHER],
    ['SIMPLE', 'F', refused(422)],
    ['SIMPLE', "'T'", refused(422)],
  ];
  const data = (): Uint8Array => fitsPixels(rng);
  const build = (mut: [string, string | undefined]): Uint8Array => {
    const cards: string[] = [];
    for (const [k, v] of BASE_CARDS) {
      if (k === mut[0]) {
        if (mut[1] !== undefined) cards.push(card(k, mut[1]));
      } else cards.push(card(k, v));
    }
    if (!BASE_CARDS.some(([k]) => k === mut[0]) && mut[1] !== undefined) cards.push(card(mut[0], mut[1]));
    return fitsRaw(cards, data());
  };
  for (let rep = 0; rep < 3; rep++) {
    for (const [k, v, expect] of mutations) {
      cases.push({ what: `FITS ${k} = ${String(v)}`, route: rep === 2 ? BATCH : SCORE, query: ONE, body: build([k, v]), expect: rep === 2 && expect.kind === 'ok' ? { kind: 'ok', lines: 1 } : expect });
    }
  }
  const std = (extra: string[] = [], naxis: [string, string][] = [['NAXIS1', '64'], ['NAXIS2', '64']]) => [card('SIMPLE', 'T'), card('BITPIX', '-32'), card('NAXIS', String(naxis.length)), ...naxis.map(([k, v]) => card(k, v)), ...extra];
  const special: [string, Uint8Array, Expectation][] = [
    ['no END card', fitsRaw(std(), data(), false), refused(422)],
    ['header of 400 cards without END', fitsRaw(Array.from({ length: 400 }, (_, i) => card(`KEY${i}`, String(i))), new Uint8Array(0), false), REFUSED],
    ['header only, no data', fitsRaw(std()), refused(422)],
    ['SIMPLE card only', ascii(card('SIMPLE', 'T')), refused(422)],
    ['magic only', ascii('SIMPLE  ='), refused(422)],
    ['NAXIS = 999, NAXISn = 1 beyond 2', fitsRaw(std([], [['NAXIS1', '64'], ['NAXIS2', '64'], ...Array.from({ length: 997 }, (_, i): [string, string] => [`NAXIS${i + 3}`, '1'])]), data()), EITHER],
    ['NAXIS = 999, every axis 2^31', fitsRaw(std([], Array.from({ length: 999 }, (_, i): [string, string] => [`NAXIS${i + 1}`, '2147483648'])), data()), REFUSED],
    ['NAXIS = 3, 64x64x2 cube', fitsRaw(std([], [['NAXIS1', '64'], ['NAXIS2', '64'], ['NAXIS3', '2']]), concat(data(), data())), refused(422)],
    ['empty primary, IMAGE extension 2^31 x 2^31', concat(fitsRaw([card('SIMPLE', 'T'), card('BITPIX', '8'), card('NAXIS', '0'), card('EXTEND', 'T')]), fitsRaw([card('XTENSION', "'IMAGE'"), card('BITPIX', '-32'), card('NAXIS', '2'), card('NAXIS1', '2147483648'), card('NAXIS2', '2147483648'), card('PCOUNT', '0'), card('GCOUNT', '1')], data())), refused(413)],
    ['empty primary, BINTABLE claiming 2^60 bytes, then an image', concat(fitsRaw([card('SIMPLE', 'T'), card('BITPIX', '8'), card('NAXIS', '0')]), fitsRaw([card('XTENSION', "'BINTABLE'"), card('BITPIX', '8'), card('NAXIS', '2'), card('NAXIS1', '1073741824'), card('NAXIS2', '1073741824'), card('PCOUNT', '0'), card('GCOUNT', '1')]), lensFits(rng).subarray(0)), refused(422)],
    ['extension with PCOUNT -1', concat(fitsRaw([card('SIMPLE', 'T'), card('BITPIX', '8'), card('NAXIS', '0')]), fitsRaw([card('XTENSION', "'IMAGE'"), card('BITPIX', '-32'), card('NAXIS', '2'), card('NAXIS1', '64'), card('NAXIS2', '64'), card('PCOUNT', '-1'), card('GCOUNT', '1')], data())), refused(422)],
    ['extension without XTENSION value', concat(fitsRaw([card('SIMPLE', 'T'), card('BITPIX', '8'), card('NAXIS', '0')]), fitsRaw([card('XTENSION'), card('BITPIX', '-32'), card('NAXIS', '2'), card('NAXIS1', '64'), card('NAXIS2', '64')], data())), REFUSED],
    ['random groups', fitsRaw([card('SIMPLE', 'T'), card('BITPIX', '-32'), card('NAXIS', '3'), card('NAXIS1', '0'), card('NAXIS2', '64'), card('NAXIS3', '64'), card('GROUPS', 'T'), card('PCOUNT', '0'), card('GCOUNT', '1')], data()), REFUSED],
    ['BLANK on float data and BITPIX 16 BLANK everywhere', fitsRaw([card('SIMPLE', 'T'), card('BITPIX', '16'), card('NAXIS', '2'), card('NAXIS1', '64'), card('NAXIS2', '64'), card('BLANK', '-1')], new Uint8Array(8192).fill(0xff)), refused(422)],
    ['int64 extremes with BZERO 2^63', fitsRaw([card('SIMPLE', 'T'), card('BITPIX', '64'), card('NAXIS', '2'), card('NAXIS1', '64'), card('NAXIS2', '64'), card('BZERO', '9223372036854775808')], randomBytes(rng, 32768)), EITHER],
    ['header of 2880 NUL bytes after SIMPLE', concat(ascii(card('SIMPLE', 'T')), new Uint8Array(2800)), refused(422)],
    ['hdu index into a one-HDU file', lensFits(rng), refused(404)],
  ];
  for (const [what, body, expect] of special) {
    cases.push({ what: `FITS ${what}`, route: SCORE, query: what.startsWith('hdu') ? `${ONE}&hdu=7` : ONE, body, expect });
    cases.push({ what: `FITS ${what} (gzipped)`, route: SCORE, query: what.startsWith('hdu') ? `${ONE}&hdu=7` : ONE, body: gzip(body), expect });
  }
  // Random cards: random keywords and values from the hostile set, around the valid base.
  const values = ['2147483648', '-1', '0', '1E999', "'unterminated", "''", 'T', 'F', '(1, 2)', '9999999999999999999999', '64', '-32', ''];
  for (let i = 0; i < 60; i++) {
    const cards = BASE_CARDS.map(([k, v]) => card(k, v));
    const n = 1 + rng.int(4);
    for (let j = 0; j < n; j++) cards.splice(1 + rng.int(cards.length - 1), 0, card(pick(rng, ['NAXIS3', 'BSCALE', 'BZERO', 'BLANK', 'CDELT1', 'CDELT2', 'CD1_1', 'CUNIT1', 'EXTNAME', 'HIERARCH X', 'CONTINUE', 'PC1_1', 'PIXSCAL1']), pick(rng, values)));
    cases.push({ what: `FITS with random extra cards #${i}`, route: SCORE, query: ONE, body: fitsRaw(cards, data()), expect: EITHER });
  }
  return cases;
};

function npyRaw(header: string, data: Uint8Array, version: [number, number] = [1, 0], lengthOverride?: number): Uint8Array {
  const h = ascii(header);
  if (version[0] === 1) {
    const len = lengthOverride ?? h.length;
    return concat(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version[0], version[1], len & 0xff, (len >> 8) & 0xff]), h, data);
  }
  const len = lengthOverride ?? h.length;
  return concat(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version[0], version[1], len & 0xff, (len >>> 8) & 0xff, (len >>> 16) & 0xff, (len >>> 24) & 0xff]), h, data);
}

const npyDict = (descr: string, fortran: string, shape: string): string => `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;

/** NPY headers: huge, empty and negative shapes, unsupported dtypes and layouts, broken dicts. */
const npyHeader: Family = (rng) => {
  const cases: FuzzCase[] = [];
  const f4 = (): Uint8Array => new Uint8Array(lensImage(rng).buffer);
  const shapes: [string, Expectation, Expectation][] = [
    // shape, /v1/score, /v1/score/batch
    ['(100000, 100000)', refused(413), REFUSED],
    ['(2147483648, 2147483648)', refused(413), REFUSED],
    ['(10000, 4096, 4096)', refused(413), REFUSED],
    ['(16, 4096, 4096)', refused(422), REFUSED],
    ['(10001, 64, 64)', refused(422), REFUSED],
    ['(99999999999999999999, 64)', REFUSED, REFUSED],
    ['(0, 64)', refused(422), REFUSED],
    ['(64, 0)', refused(422), REFUSED],
    ['(0, 64, 64)', refused(422), REFUSED],
    ['(-1, 64)', refused(422), REFUSED],
    ['(64,)', refused(422), REFUSED],
    ['()', refused(422), REFUSED],
    ['(1, 2, 3, 4, 5, 6)', refused(422), REFUSED],
    ['(1, 3, 64, 64)', refused(422), REFUSED],
    ['(64, 64.0)', refused(422), REFUSED],
    ["('64', 64)", refused(422), REFUSED],
    ['(True, 64)', refused(422), REFUSED],
    ['[64, 64]', refused(422), REFUSED],
    ['(65, 64)', refused(422), REFUSED],
    ['(32, 64)', refused(422), REFUSED],
    ['(64, 64, )', OK, { kind: 'ok', lines: 1 }],
    ['(1, 64, 64)', OK, { kind: 'ok', lines: 1 }],
    ['(1, 1, 64, 64)', OK, { kind: 'ok', lines: 1 }],
    // Two 32x64 images cover exactly half the model's field: the batch may score them.
    ['(2, 32, 64)', refused(422), EITHER],
  ];
  const descrs: [string, Expectation][] = [
    ["'|O'", refused(415)],
    ["'<c8'", refused(415)],
    ["'<f2'", refused(415)],
    ["'<U8'", refused(415)],
    ["'<i8'", refused(415)],
    ["'f4'", refused(415)],
    ["'=f4'", refused(415)],
    ["''", refused(415)],
    ['5', refused(415)],
    ["[('a', '<f4')]", refused(415)],
    ["'<f4x'", refused(415)],
    ["'>f4'", EITHER],
  ];
  for (let rep = 0; rep < 4; rep++) {
    for (const [shape, single, batch] of shapes) {
      const route = rep % 2 === 0 ? SCORE : BATCH;
      cases.push({ what: `NPY shape ${shape}`, route, query: ONE, body: npyRaw(npyDict("'<f4'", 'False', shape), f4()), expect: route === SCORE ? single : batch });
    }
    for (const [descr, expect] of descrs) {
      const route = rep % 2 === 0 ? SCORE : BATCH;
      cases.push({ what: `NPY descr ${descr}`, route, query: ONE, body: npyRaw(npyDict(descr, 'False', '(64, 64)'), f4()), expect: route === BATCH && expect.kind !== 'refused' ? EITHER : expect });
    }
  }
  const broken: [string, Uint8Array, Expectation][] = [
    ['fortran_order True', npyRaw(npyDict("'<f4'", 'True', '(64, 64)'), f4()), refused(415)],
    ["fortran_order 'False'", npyRaw(npyDict("'<f4'", "'False'", '(64, 64)'), f4()), refused(422)],
    ['fortran_order 1', npyRaw(npyDict("'<f4'", '1', '(64, 64)'), f4()), refused(422)],
    ['no shape key', npyRaw("{'descr': '<f4', 'fortran_order': False}\n", f4()), refused(422)],
    ['duplicate keys', npyRaw("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (64, 64)}\n", f4()), refused(422)],
    ['header is a list', npyRaw('[1, 2, 3]\n', f4()), refused(422)],
    ['header is a call', npyRaw("__import__('os').system('true')\n", f4()), refused(422)],
    ['unterminated string', npyRaw("{'descr': '<f4, 'fortran_order': False, 'shape': (64, 64)}\n", f4()), refused(422)],
    ['nested 40 deep', npyRaw(`{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(40)}64${')'.repeat(40)}}\n`, f4()), refused(422)],
    ['nested 50000 deep (v2 header)', npyRaw(`{'x': ${'['.repeat(50000)}${']'.repeat(50000)}}`, f4(), [2, 0]), refused(422)],
    ['header of 1 MB spaces (v2)', npyRaw(`${npyDict("'<f4'", 'False', '(64, 64)')}${' '.repeat(1 << 20)}`, f4(), [2, 0]), OK],
    ['header length past the end (v1)', npyRaw(npyDict("'<f4'", 'False', '(64, 64)'), new Uint8Array(8), [1, 0], 0xffff), refused(422)],
    ['header length 4 GB (v2)', npyRaw(npyDict("'<f4'", 'False', '(64, 64)'), f4(), [2, 0], 0xffffffff), refused(422)],
    ['header length 0', npyRaw('', f4(), [1, 0], 0), refused(422)],
    ['version 4.0', npyRaw(npyDict("'<f4'", 'False', '(64, 64)'), f4(), [4, 0]), refused(422)],
    ['version 1.1', npyRaw(npyDict("'<f4'", 'False', '(64, 64)'), f4(), [1, 1]), refused(422)],
    ['magic only', new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]), refused(422)],
    ['non-ASCII header', npyRaw("{'descr': '<f4', 'fortran_order': False, 'shape': (64, 64), 'é': '\u{1F600}'}\n", f4()), EITHER],
    ['one extra data byte', npyRaw(npyDict("'<f4'", 'False', '(64, 64)'), concat(f4(), new Uint8Array(1))), refused(422)],
    ['float64 pixels beyond float32 (all masked)', npyRaw(npyDict("'<f8'", 'False', '(64, 64)'), new Uint8Array(new Float64Array(4096).fill(1e300).buffer)), refused(422)],
  ];
  for (const [what, body, expect] of broken) {
    cases.push({ what: `NPY ${what}`, route: SCORE, query: ONE, body, expect });
    cases.push({ what: `NPY ${what}`, route: BATCH, query: ONE, body, expect: expect.kind === 'ok' ? { kind: 'ok', lines: 1 } : expect.kind === 'either' ? EITHER : REFUSED });
  }
  // Random dict soup.
  const atoms = ["'descr'", "'shape'", "'fortran_order'", "'<f4'", 'False', 'True', 'None', '(64, 64)', '(', ')', '[', ']', '{', '}', ':', ',', '64', '-1', "'", '"', '\\', '3L', '1e5', '0x10'];
  for (let i = 0; i < 80; i++) {
    const n = 1 + rng.int(20);
    const header = `{${Array.from({ length: n }, () => pick(rng, atoms)).join(rng.int(2) ? ' ' : '')}}\n`;
    cases.push({ what: `NPY random header ${JSON.stringify(header)}`, route: pick(rng, [SCORE, BATCH]), query: ONE, body: npyRaw(header, f4()), expect: REFUSED });
  }
  return cases;
};

/** NaN and ±Inf pixels: up to half masked is scored (the masked-pixel rule), more is refused. */
const nanInf: Family = (rng) => {
  const cases: FuzzCase[] = [];
  const masks = [NaN, Infinity, -Infinity];
  const maskedImage = (k: number): Float32Array => {
    const img = lensImage(rng);
    // k distinct positions (partial Fisher-Yates).
    const idx = Array.from({ length: 4096 }, (_, i) => i);
    for (let j = 0; j < k; j++) {
      const r = j + rng.int(4096 - j);
      [idx[j], idx[r]] = [idx[r]!, idx[j]!];
      img[idx[j]!] = pick(rng, masks);
    }
    return img;
  };
  const counts = [0, 1, 2, 7, 100, 1000, 2047, 2048, 2049, 3000, 4095, 4096];
  for (let i = 0; i < 140; i++) {
    const k = i < counts.length * 2 ? counts[i % counts.length]! : rng.int(4097);
    const img = maskedImage(k);
    const asFits = i % 2 === 0;
    const body = asFits ? writeFits({ width: 64, height: 64, data: img }, { pixelScale: 0.1 }) : writeNpy(img, [64, 64]);
    const expect: Expectation = k <= 2048 ? { kind: 'ok', masked: k } : refused(422);
    cases.push({ what: `${asFits ? 'FITS' : 'NPY'} with ${k} NaN/Inf pixels`, route: SCORE, query: i % 7 === 0 ? 'outputs=input,reconstruction,residual&encoding=both' : ONE, body, expect });
  }
  // Every pixel NaN, in every format that can carry it, and through gzip.
  const allNan = new Float32Array(4096).fill(NaN);
  for (const [what, body] of [
    ['FITS all NaN', writeFits({ width: 64, height: 64, data: allNan })],
    ['FITS all +Inf', writeFits({ width: 64, height: 64, data: new Float32Array(4096).fill(Infinity) })],
    ['NPY all NaN', writeNpy(allNan, [64, 64])],
    ['NPY all -Inf', writeNpy(new Float32Array(4096).fill(-Infinity), [64, 64])],
    ['FITS.gz all NaN', gzip(writeFits({ width: 64, height: 64, data: allNan }))],
  ] as const) {
    cases.push({ what, route: SCORE, query: ONE, body, expect: refused(422) });
    cases.push({ what, route: BATCH, query: ONE, body, expect: REFUSED });
  }
  // Stacks with some bad images: only those get error lines.
  for (let i = 0; i < 30; i++) {
    const n = 2 + rng.int(6);
    const data = new Float32Array(n * 4096);
    const errors: number[] = [];
    for (let j = 0; j < n; j++) {
      const k = pick(rng, [0, 5, 2048, 2049, 4096]);
      if (k > 2048) errors.push(j);
      data.set(maskedImage(k), j * 4096);
    }
    cases.push({ what: `NPY stack of ${n}, errors at [${errors.join(',')}]`, route: BATCH, query: ONE, body: writeNpy(data, [n, 64, 64]), expect: { kind: 'mixed', lines: n, errors } });
  }
  // Huge finite values and denormals: valid, scored with finite numbers.
  for (const v of [3.4e38, -3.4e38, 1e-45, -1e-45, 1e30]) {
    const img = lensImage(rng).map((x, i) => (i % 3 === 0 ? v : x));
    cases.push({ what: `FITS with every third pixel ${v}`, route: SCORE, query: ONE, body: writeFits({ width: 64, height: 64, data: img }, { pixelScale: 0.1 }), expect: OK });
  }
  cases.push({ what: 'FITS constant image', route: SCORE, query: ONE, body: writeFits({ width: 64, height: 64, data: new Float32Array(4096).fill(7) }), expect: OK });
  // NaN in infer requests: JSON has no NaN, so every spelling of it is refused.
  for (const v of ['"NaN"', 'NaN', 'null', '"Infinity"', '1e999', '-1e999', 'Infinity', 'true', '"1"', '{}', '[]']) {
    const data = Array.from({ length: 4096 }, () => '0.5');
    data[rng.int(4096)] = v;
    cases.push({ what: `infer data holding ${v}`, route: INFER, body: `{"inputs":[{"name":"input","shape":[1,1,64,64],"datatype":"FP32","data":[${data.join(',')}]}]}`, headers: JSON_TYPE, expect: refused(400) });
  }
  return cases;
};

/** PNG: IHDR claiming 60000x60000 (a bomb), IDAT inflating past the image, broken chunks. */
const pngHostile: Family = (rng) => {
  const cases: FuzzCase[] = [];
  const rows64 = greyRows(64, 64, (x, y) => (x * y) & 0xff);
  const zeros1M = idat(new Uint8Array(1 << 20));
  const list: [string, Uint8Array, Expectation][] = [
    ['IHDR 60000x60000, 1 MB of zeros deflated', png({ width: 60000, height: 60000 }, [zeros1M]), refused(413)],
    ['IHDR 60000x60000 RGBA16', png({ width: 60000, height: 60000, depth: 16, color: 6 }, [zeros1M]), refused(413)],
    ['IHDR 65535x1', png({ width: 65535, height: 1 }, [zeros1M]), refused(413)],
    ['IHDR 4097x4097', png({ width: 4097, height: 4097 }, [zeros1M]), refused(413)],
    ['IHDR 2^31 x 1', png({ width: 2 ** 31, height: 1 }, [zeros1M]), refused(422)],
    ['IHDR 2^32-1 x 2^32-1', png({ width: 2 ** 32 - 1, height: 2 ** 32 - 1 }, [zeros1M]), refused(422)],
    ['IHDR 0x64', png({ width: 0, height: 64 }, [idat(rows64)]), refused(422)],
    ['IHDR 64x64, IDAT inflating to 64 MB', png({ width: 64, height: 64 }, [idat(new Uint8Array(64 << 20))]), refused(422)],
    ['IHDR 64x64, IDAT one byte short', png({ width: 64, height: 64 }, [idat(rows64.subarray(1))]), refused(422)],
    ['IHDR 64x64, IDAT not zlib', png({ width: 64, height: 64 }, [pngChunk('IDAT', randomBytes(rng, 300))]), refused(422)],
    ['no IDAT', png({ width: 64, height: 64 }, []), refused(422)],
    ['no IEND', png({ width: 64, height: 64 }, [idat(rows64)], false), refused(422)],
    ['IDAT with a bad CRC', png({ width: 64, height: 64 }, [pngChunk('IDAT', new Uint8Array(deflateSync(rows64)), true)]), refused(422)],
    ['chunk length 0xFFFFFFFF', concat(png({ width: 64, height: 64 }, [], false), u32be(0xffffffff), ascii('IDAT'), new Uint8Array(16)), refused(422)],
    ['chunk length 2^31-1 past the end', concat(png({ width: 64, height: 64 }, [], false), u32be(0x7fffffff), ascii('IDAT'), new Uint8Array(16)), refused(422)],
    ['chunk type with digits', png({ width: 64, height: 64 }, [pngChunk('ID4T', rows64), idat(rows64)]), refused(422)],
    ['unknown critical chunk', png({ width: 64, height: 64 }, [pngChunk('ABCD', new Uint8Array(4)), idat(rows64)]), refused(415)],
    ['unknown ancillary chunk', png({ width: 64, height: 64 }, [pngChunk('abCd', new Uint8Array(4)), idat(rows64)]), OK],
    ['second IHDR', png({ width: 64, height: 64 }, [pngChunk('IHDR', ihdr({ width: 8, height: 8 })), idat(rows64)]), refused(422)],
    ['palette image without PLTE', png({ width: 64, height: 64, color: 3 }, [idat(rows64)]), refused(422)],
    ['palette index out of range', png({ width: 64, height: 64, color: 3 }, [pngChunk('PLTE', new Uint8Array(6)), idat(rows64)]), refused(422)],
    ['PLTE of 769 bytes', png({ width: 64, height: 64, color: 3 }, [pngChunk('PLTE', new Uint8Array(769)), idat(rows64)]), refused(422)],
    ['filter type 5', png({ width: 64, height: 64 }, [idat(greyRows(64, 64, () => 1, 5))]), refused(422)],
    ['bit depth 3', png({ width: 64, height: 64, depth: 3 }, [idat(rows64)]), refused(422)],
    ['RGB of depth 4', png({ width: 64, height: 64, depth: 4, color: 2 }, [idat(rows64)]), refused(422)],
    ['colour type 7', png({ width: 64, height: 64, color: 7 }, [idat(rows64)]), refused(422)],
    ['compression method 1', png({ width: 64, height: 64, compression: 1 }, [idat(rows64)]), refused(422)],
    ['interlace method 2', png({ width: 64, height: 64, interlace: 2 }, [idat(rows64)]), refused(422)],
    ['signature only', PNG_SIGNATURE, refused(422)],
    ['IHDR with a bad CRC', (() => {
      const p = png({ width: 64, height: 64 }, [idat(rows64)]);
      p[29] = p[29]! ^ 0xff;
      return p;
    })(), refused(422)],
    ['every filter type, valid', png({ width: 64, height: 64 }, [idat((() => {
      const r = greyRows(64, 64, (x, y) => (x + y) & 0xff);
      for (let y = 0; y < 64; y++) r[y * 65] = y % 5;
      return r;
    })())]), OK],
  ];
  for (let rep = 0; rep < 4; rep++) {
    for (const [what, body, expect] of list) {
      const route = rep === 3 ? BATCH : SCORE;
      cases.push({ what: `PNG ${what}`, route, query: ONE, body, expect: route === BATCH ? (expect.kind === 'ok' ? { kind: 'ok', lines: 1 } : REFUSED) : expect });
    }
  }
  // Random IHDR fields with valid-looking data.
  for (let i = 0; i < 30; i++) {
    const h: Ihdr = { width: 1 + rng.int(5000), height: 1 + rng.int(5000), depth: pick(rng, [1, 2, 4, 8, 16, 0, 32]), color: pick(rng, [0, 2, 3, 4, 6, 1]), interlace: rng.int(2) };
    cases.push({ what: `PNG random IHDR ${JSON.stringify(h)}`, route: SCORE, query: ONE, body: png(h, [idat(rows64)]), expect: REFUSED });
  }
  return cases;
};

/** The largest image the limits allow, as a tiny PNG: 4096x4096 RGBA16 of zeros (~130 KB). Valid. */
export function pngAtTheLimit(): Uint8Array {
  return png({ width: 4096, height: 4096, depth: 16, color: 6 }, [pngChunk('IDAT', new Uint8Array(deflateSync(new Uint8Array(4096 * (1 + 4096 * 8)), { level: 9 })))]);
}

/** JPEG: frame headers claiming huge or zero sizes, unsupported processes, missing markers. */
const jpegHostile: Family = (rng) => {
  const cases: FuzzCase[] = [];
  const patch = (f: (j: Uint8Array, sof: number) => void): Uint8Array => {
    const j = pooledJpeg(rng);
    f(j, sofOffset(j));
    return j;
  };
  const twoFrames = (): Uint8Array => {
    const j = pooledJpeg(rng);
    const s = sofOffset(j);
    const len = (j[s + 2]! << 8) | j[s + 3]!;
    return concat(j.subarray(0, s + 2 + len), j.subarray(s, s + 2 + len), j.subarray(s + 2 + len));
  };
  const size = (h: number, w: number) => (j: Uint8Array, s: number) => j.set([h >> 8, h & 0xff, w >> 8, w & 0xff], s + 5);
  const list: [string, () => Uint8Array, Expectation][] = [
    ['frame 65535x65535', () => patch(size(65535, 65535)), refused(413)],
    ['frame 8192x8192', () => patch(size(8192, 8192)), refused(413)],
    ['frame 4097x64', () => patch(size(4097, 64)), refused(413)],
    ['frame height 0 (DNL)', () => patch(size(0, 64)), refused(415)],
    ['frame width 0', () => patch(size(64, 0)), refused(422)],
    ['frame 64x4096, data for 64x64', () => patch(size(64, 4096)), REFUSED],
    ['precision 12', () => patch((j, s) => (j[s + 4] = 12)), refused(415)],
    ['2 components', () => patch((j, s) => (j[s + 9] = 2)), REFUSED],
    ['lossless (SOF3)', () => patch((j, s) => (j[s + 1] = 0xc3)), refused(415)],
    ['arithmetic (SOF9)', () => patch((j, s) => (j[s + 1] = 0xc9)), refused(415)],
    ['segment length 0', () => patch((j, s) => j.set([0, 0], s + 2)), refused(422)],
    ['segment length 65535', () => patch((j, s) => j.set([0xff, 0xff], s + 2)), refused(422)],
    ['no EOI', () => pooledJpeg(rng).subarray(0, -2), refused(422)],
    ['SOI only', () => new Uint8Array([0xff, 0xd8, 0xff]), refused(422)],
    ['SOI then EOI', () => new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), refused(422)],
    ['two SOI', () => concat(new Uint8Array([0xff, 0xd8]), pooledJpeg(rng)), refused(422)],
    ['two frames', () => twoFrames(), refused(422)],
    ['huffman tables zeroed', () => patch((j) => {
      for (let p = 2; p + 4 <= j.length; ) {
        const len = (j[p + 2]! << 8) | j[p + 3]!;
        if (j[p + 1] === 0xc4) j.fill(0, p + 5, p + 2 + len);
        if (j[p + 1] === 0xda) break;
        p += 2 + len;
      }
    }), REFUSED],
  ];
  for (let rep = 0; rep < 4; rep++) {
    for (const [what, make, expect] of list) {
      cases.push({ what: `JPEG ${what}`, route: rep === 3 ? BATCH : SCORE, query: ONE, body: make(), expect: rep === 3 ? REFUSED : expect });
    }
  }
  // Flips in the entropy-coded data only: the decoder must not loop or crash.
  for (let i = 0; i < 40; i++) {
    const j = pooledJpeg(rng);
    cases.push({ what: 'JPEG with flipped scan bytes', route: SCORE, query: ONE, body: flip(rng, j, 10, Math.max(0, j.length - 800)), expect: EITHER });
  }
  return cases;
};

/** A frame header claiming 4096x4096 in front of a 64x64 scan: tiny body, largest decode the limits allow. */
export function jpegClaiming4096(rng: SeededRng): Uint8Array {
  const j = pooledJpeg(rng);
  j.set([0x10, 0x00, 0x10, 0x00], sofOffset(j) + 5);
  return j;
}

/**
 * Decompression bombs. Multi-member: 300 copies of the gzip of 1 MiB of zeros (~1 KB each) is a
 * ~310 KB file inflating to 300 MiB; single-member: zlib's gzip of 300 MiB of zeros (~300 KB).
 * Both pass the 256 MiB maxGunzipBytes limit.
 */
export function gzipBombs(): { multi: Uint8Array; single: Uint8Array } {
  const member = gzipSync(new Uint8Array(1 << 20), { level: 9 });
  const multi = new Uint8Array(member.length * 300);
  for (let i = 0; i < 300; i++) multi.set(member, i * member.length);
  const single = new Uint8Array(gzipSync(new Uint8Array(300 << 20), { level: 9 }));
  return { multi, single };
}

/** gzip: nested, corrupt, truncated trailers, lying headers. */
const gzipHostile: Family = (rng) => {
  const cases: FuzzCase[] = [];
  const fits = lensFits(rng);
  const gz = gzip(fits);
  const withByte = (at: number, v: number) => {
    const g = gz.slice();
    g[at] = v;
    return g;
  };
  const list: [string, Uint8Array, Expectation, Expectation][] = [
    // what, body, /v1/score, /v1/score/batch
    ['gzip inside gzip', gzip(gz), refused(415), REFUSED],
    ['gzip inside gzip inside gzip', gzip(gzip(gz)), refused(415), REFUSED],
    ['gzip of garbage', gzip(randomBytes(rng, 5000)), refused(415), REFUSED],
    ['gzip of nothing', gzip(new Uint8Array(0)), refused(415), REFUSED],
    // A gzipped stack is not unpacked by the batch route (it becomes one item that holds 2 images).
    ['gzip of an NPY stack of 2', gzip(lensNpy(rng, 2)), refused(422), EITHER],
    ['bad CRC', (() => {
      const g = gz.slice();
      g[g.length - 8] = g[g.length - 8]! ^ 1;
      return g;
    })(), refused(422), REFUSED],
    ['bad ISIZE', (() => {
      const g = gz.slice();
      g[g.length - 1] = g[g.length - 1]! ^ 1;
      return g;
    })(), refused(422), REFUSED],
    ['method 7', withByte(2, 7), refused(422), REFUSED],
    ['FEXTRA of 65535 bytes past the end', concat(new Uint8Array([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 3, 0xff, 0xff]), gz.subarray(10, 60)), refused(422), REFUSED],
    ['FNAME never terminated', concat(new Uint8Array([0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3]), new Uint8Array(4000).fill(0x41)), refused(422), REFUSED],
    ['magic only', new Uint8Array([0x1f, 0x8b]), refused(422), REFUSED],
    ['header only', gz.subarray(0, 10), refused(422), REFUSED],
    ['trailing garbage', concat(gz, randomBytes(rng, 100)), REFUSED, REFUSED],
    ['two members (valid)', concat(gzip(fits.subarray(0, 5000)), gzip(fits.subarray(5000))), OK, { kind: 'ok', lines: 1 }],
    ['a valid member then a broken one', concat(gz, gz.subarray(0, 40)), refused(422), REFUSED],
  ];
  for (let rep = 0; rep < 2; rep++) {
    for (const [what, body, single, batch] of list) {
      cases.push({ what: `gzip: ${what}`, route: rep === 0 ? SCORE : BATCH, query: ONE, body, expect: rep === 0 ? single : batch });
    }
  }
  for (let i = 0; i < 40; i++) {
    const cut = 1 + rng.int(gz.length - 1);
    cases.push({ what: `gzip cut to ${cut}`, route: pick(rng, [SCORE, BATCH]), query: ONE, body: gz.subarray(0, cut), expect: REFUSED });
    cases.push({ what: 'gzip with flipped deflate bytes', route: SCORE, query: ONE, body: flip(rng, gz, 4, 10), expect: EITHER });
  }
  return cases;
};

/** Wrong Content-Types, broken multipart forms, and the OIP route's own content rules. */
const contentTypes: Family = (rng) => {
  const cases: FuzzCase[] = [];
  const garbage = (): string => Array.from({ length: 1 + rng.int(400) }, () => String.fromCharCode(32 + rng.int(95))).join('');
  for (let i = 0; i < 40; i++) {
    const type = pick(rng, ['application/json', 'text/plain', 'application/fits', 'image/png', 'application/x-npy', 'application/gzip', 'application/x-tar', 'text/html; charset=utf-8']);
    const body = i % 4 === 0 ? JSON.stringify({ image: [[1, 2], [3, 4]], hello: garbage() }) : garbage();
    cases.push({ what: `${type} garbage`, route: i % 2 === 0 ? SCORE : BATCH, query: ONE, body, headers: { 'content-type': type }, expect: i % 2 === 0 ? refused(415) : REFUSED });
  }
  const B = 'fuzzBoundary42';
  const mp = `multipart/form-data; boundary=${B}`;
  const fits = lensFits(rng);
  const broken: [string, Uint8Array, string, Expectation, Expectation][] = [
    // what, body, content type, /v1/score, /v1/score/batch
    ['no closing boundary', multipart(B, [filePart('file', 'a.fits', fits)], false), mp, refused(422), refused(422)],
    ['wrong boundary', multipart(B, [filePart('file', 'a.fits', fits)]), 'multipart/form-data; boundary=other', refused(422), refused(422)],
    ['no boundary parameter', multipart(B, [filePart('file', 'a.fits', fits)]), 'multipart/form-data', refused(422), refused(422)],
    ['empty boundary parameter', multipart(B, [filePart('file', 'a.fits', fits)]), 'multipart/form-data; boundary=', refused(422), refused(422)],
    ['300-character boundary', multipart('b'.repeat(300), [filePart('file', 'a.fits', fits)]), `multipart/form-data; boundary=${'b'.repeat(300)}`, EITHER, EITHER],
    ['part without headers', concat(ascii(`--${B}\r\n\r\n`), fits, ascii(`\r\n--${B}--\r\n`)), mp, refused(422), refused(422)],
    ['part headers without a blank line', concat(ascii(`--${B}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n`), fits, ascii(`\r\n--${B}--\r\n`)), mp, refused(422), refused(422)],
    ['no parts', ascii(`--${B}--\r\n`), mp, refused(400), refused(400)],
    ['only a string field', multipart(B, [{ headers: 'Content-Disposition: form-data; name="models"', body: ascii('dcae') }]), mp, refused(400), refused(400)],
    ['empty file', multipart(B, [filePart('file', 'a.fits', new Uint8Array(0))]), mp, refused(415), REFUSED],
    ['unknown field', multipart(B, [filePart('file', 'a.fits', fits), { headers: 'Content-Disposition: form-data; name="bogus"', body: ascii('1') }]), mp, refused(400), refused(400)],
    ['two files', multipart(B, [filePart('file', 'a.fits', fits), filePart('file', 'b.fits', fits)]), mp, refused(400), { kind: 'ok', lines: 2 }],
    ['one good, one garbage file', multipart(B, [filePart('file', 'a.fits', fits), filePart('file', 'b.bin', randomBytes(rng, 999))]), mp, refused(400), { kind: 'mixed', lines: 2, errors: [1] }],
    ['garbage body', randomBytes(rng, 2000), mp, refused(422), refused(422)],
    ['empty body', new Uint8Array(0), mp, refused(422), refused(422)],
    // undici's form parser decodes a base64 Content-Transfer-Encoding: the file may be scored.
    ['base64 transfer encoding', multipart(B, [{ headers: 'Content-Disposition: form-data; name="file"; filename="a"\r\nContent-Transfer-Encoding: base64', body: ascii(Buffer.from(fits).toString('base64')) }]), mp, EITHER, EITHER],
    ['nested multipart', multipart(B, [{ headers: `Content-Disposition: form-data; name="file"; filename="a"\r\nContent-Type: multipart/mixed; boundary=inner`, body: multipart('inner', [filePart('file', 'x', fits)]) }]), mp, REFUSED, REFUSED],
  ];
  for (let rep = 0; rep < 3; rep++) {
    for (const [what, body, type, single, batch] of broken) {
      cases.push({ what: `multipart: ${what}`, route: SCORE, query: '', body, headers: { 'content-type': type }, expect: single });
      cases.push({ what: `multipart: ${what}`, route: BATCH, query: '', body, headers: { 'content-type': type }, expect: batch });
    }
  }
  // The OIP route takes application/json only.
  const inferBody = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1, 64, 64], datatype: 'FP32', data: new Array<number>(4096).fill(0.5) }] });
  const oip: [string, Record<string, string>, Expectation][] = [
    ['application/octet-stream', { 'content-type': 'application/octet-stream' }, refused(415)],
    ['text/plain', { 'content-type': 'text/plain' }, refused(415)],
    ['multipart/form-data', { 'content-type': `multipart/form-data; boundary=${B}` }, refused(415)],
    ['application/x-www-form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }, refused(415)],
    ['binary extension header', { 'content-type': 'application/json', 'inference-header-content-length': '10' }, refused(415)],
    ['application/json; charset=utf-8', { 'content-type': 'application/json; charset=utf-8' }, OK],
    ['APPLICATION/JSON', { 'content-type': 'APPLICATION/JSON' }, OK],
    ['application/json with parameters', { 'content-type': 'application/json;foo=bar;;' }, OK],
    ['application/jsonx', { 'content-type': 'application/jsonx' }, refused(415)],
  ];
  for (let rep = 0; rep < 3; rep++) {
    for (const [what, headers, expect] of oip) cases.push({ what: `infer as ${what}`, route: INFER, body: inferBody, headers, expect });
    cases.push({ what: 'infer with no content type', route: INFER, body: ascii(inferBody), expect: refused(415) });
  }
  return cases;
};

/** Empty bodies on every route with every kind of Content-Type. */
const empty: Family = () => {
  const cases: FuzzCase[] = [];
  for (const type of [undefined, 'application/octet-stream', 'application/json', 'application/fits', 'text/plain', 'application/x-tar', 'application/gzip']) {
    const headers = type === undefined ? undefined : { 'content-type': type };
    for (const [route, expect] of [[SCORE, refused(415)], [BATCH, REFUSED], [INFER, type === 'application/json' ? refused(400) : refused(415)]] as const) {
      const c: FuzzCase = { what: `empty body as ${type ?? 'no type'}`, route, body: new Uint8Array(0), expect };
      if (headers) c.headers = headers;
      cases.push(c);
    }
  }
  return cases;
};

/** tar archives: bad checksums, lying size fields, bad pax and GNU records, too many entries. */
const tarHostile: Family = (rng) => {
  const cases: FuzzCase[] = [];
  const fits = (): Uint8Array => lensFits(rng);
  const t = (entries: TarSpec[]): Uint8Array => tar(entries).bytes;
  const sizeField = (s: string): Uint8Array => {
    const b = new Uint8Array(12);
    b.set(ascii(s).subarray(0, 12));
    return b;
  };
  const list: [string, () => Uint8Array, Expectation][] = [
    ['bad checksum in the first header', () => t([{ name: 'a.fits', data: fits(), badChecksum: true }]), refused(422)],
    ['bad checksum in the second header', () => t([{ name: 'a.fits', data: fits() }, { name: 'b.fits', data: fits(), badChecksum: true }]), refused(422)],
    ['size field 077777777777 (8 GiB)', () => t([{ name: 'a.fits', data: fits(), sizeField: sizeField('77777777777\0') }]), refused(422)],
    ['size field not octal', () => t([{ name: 'a.fits', data: fits(), sizeField: sizeField('12345678901x') }]), refused(422)],
    ['negative base-256 size', () => t([{ name: 'a.fits', data: fits(), sizeField: new Uint8Array([0xff, ...new Array<number>(11).fill(0xff)]) }]), refused(422)],
    ['base-256 size of 2^72', () => t([{ name: 'a.fits', data: fits(), sizeField: new Uint8Array([0x80, 0, 1, ...new Array<number>(9).fill(0)]) }]), refused(413)],
    ['base-256 size of 2^40', () => t([{ name: 'a.fits', data: fits(), sizeField: new Uint8Array([0x80, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]) }]), refused(422)],
    ['pax record without =', () => t([{ name: 'pax', type: 'x', data: ascii('12 pathname\n') }, { name: 'a.fits', data: fits() }]), refused(422)],
    ['pax record with a lying length', () => t([{ name: 'pax', type: 'x', data: ascii('99 path=a\n') }, { name: 'a.fits', data: fits() }]), refused(422)],
    ['pax size not a number', () => t([{ name: 'pax', type: 'x', data: ascii('13 size=abcd\n') }, { name: 'a.fits', data: fits() }]), refused(422)],
    ['pax size of 10^30', () => t([{ name: 'pax', type: 'x', data: ascii('40 size=1000000000000000000000000000000\n') }, { name: 'a.fits', data: fits() }]), refused(413)],
    ['pax size past the end', () => t([{ name: 'pax', type: 'x', data: ascii('16 size=9999999\n') }, { name: 'a.fits', data: fits() }]), refused(422)],
    ['GNU long name over 1 MiB', () => t([{ name: '././@LongLink', type: 'L', data: new Uint8Array((1 << 20) + 1).fill(0x61) }, { name: 'a.fits', data: fits() }]), refused(413)],
    ['10001 empty files', () => t(Array.from({ length: 10001 }, (_, i) => ({ name: `e${i}` }))), refused(413)],
    ['only directories and links', () => t([{ name: 'd/', type: '5' }, { name: 'l', type: '2' }, { name: 'h', type: '1' }]), refused(400)],
    ['only macOS metadata', () => t([{ name: '._a.fits', data: fits() }, { name: '__MACOSX/a.fits', data: fits() }]), refused(400)],
    ['header of random bytes after a valid entry', () => concat(t([{ name: 'a.fits', data: fits() }]).subarray(0, 512 * 41), randomBytes(rng, 512)), refused(422)],
  ];
  for (let rep = 0; rep < 3; rep++) {
    for (const [what, make, expect] of list) {
      const body = make();
      cases.push({ what: `tar: ${what}`, route: BATCH, query: ONE, body: rep === 2 ? gzip(body) : body, expect });
    }
  }
  // Valid archives mixing good and bad entries: exactly the bad ones get error lines, skipped kinds none.
  const bad: (() => Uint8Array)[] = [
    () => randomBytes(rng, 1 + rng.int(3000)),
    () => fits().subarray(0, 3000),
    () => new Uint8Array(0),
    () => lensNpy(rng, 3),
    () => gzip(gzip(fits())),
    () => npyRaw(npyDict("'<f4'", 'False', '(100000, 100000)'), new Uint8Array(64)),
    () => writeFits({ width: 64, height: 64, data: new Float32Array(4096).fill(NaN) }),
  ];
  for (let i = 0; i < 60; i++) {
    const entries: TarSpec[] = [];
    const errors: number[] = [];
    let lines = 0;
    const n = 2 + rng.int(6);
    for (let k = 0; k < n; k++) {
      const r = rng.int(10);
      if (r < 4) {
        entries.push({ name: `ok${k}.bin`, data: pick(rng, VALID_MAKERS).make(rng) });
        lines++;
      } else if (r < 8) {
        entries.push({ name: `bad${k}.bin`, data: pick(rng, bad)() });
        errors.push(lines++);
      } else {
        entries.push(pick(rng, [{ name: `dir${k}/`, type: '5' }, { name: `._meta${k}`, data: fits() }, { name: `link${k}`, type: '2' }]));
      }
    }
    const expect: Expectation = lines === 0 ? refused(400) : { kind: 'mixed', lines, errors };
    cases.push({ what: `tar of ${n} entries, ${lines} files, errors at [${errors.join(',')}]`, route: BATCH, query: ONE, body: t(entries), expect });
  }
  return cases;
};

/** A gzip bomb as one entry of a valid tar: that item fails alone, the other is scored. */
export function tarWithBomb(rng: SeededRng, bomb: Uint8Array): Uint8Array {
  return tar([{ name: 'bomb.fits.gz', data: bomb }, { name: 'ok.fits', data: lensFits(rng) }]).bytes;
}

/** Open Inference Protocol requests with wrong shapes, types, names, values, nesting and sizes. */
const oipHostile: Family = (rng) => {
  const cases: FuzzCase[] = [];
  const data = (n: number): number[] => Array.from({ length: n }, () => Math.round(rng.uniform() * 1000) / 1000);
  const req = (input: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ ...extra, inputs: [{ name: 'input', shape: [1, 1, 64, 64], datatype: 'FP32', data: data(4096), ...input }] });
  const one = () => ({ name: 'input', shape: [1, 1, 64, 64], datatype: 'FP32', data: data(4096) });
  const list: [string, () => string, Expectation][] = [
    ['shape [1,64,64]', () => req({ shape: [1, 64, 64] }), refused(400)],
    ['shape [1,1,32,32]', () => req({ shape: [1, 1, 32, 32], data: data(1024) }), refused(400)],
    ['shape [0,1,64,64]', () => req({ shape: [0, 1, 64, 64], data: [] }), refused(400)],
    ['shape [-1,1,64,64]', () => req({ shape: [-1, 1, 64, 64] }), refused(400)],
    ['shape [1.5,1,64,64]', () => req({ shape: [1.5, 1, 64, 64] }), refused(400)],
    ['shape [2^53,1,64,64]', () => req({ shape: [2 ** 53, 1, 64, 64] }), refused(400)],
    ['shape [1e300,1,64,64]', () => req({ shape: [1e300, 1, 64, 64] }), refused(400)],
    ['shape [10001,1,64,64]', () => req({ shape: [10001, 1, 64, 64] }), refused(413)],
    ['shape [10000,1,64,64] with one image of data', () => req({ shape: [10000, 1, 64, 64] }), refused(400)],
    ['shape [1,1,64,64,1]', () => req({ shape: [1, 1, 64, 64, 1] }), refused(400)],
    ['shape []', () => req({ shape: [] }), refused(400)],
    ['shape of 10000 ones', () => req({ shape: new Array<number>(10000).fill(1) }), refused(400)],
    ['shape "1,1,64,64"', () => req({ shape: '1,1,64,64' }), refused(400)],
    ['shape of strings', () => req({ shape: ['1', '1', '64', '64'] }), refused(400)],
    ['datatype FP64', () => req({ datatype: 'FP64' }), refused(400)],
    ['datatype BYTES', () => req({ datatype: 'BYTES' }), refused(400)],
    ['datatype fp32', () => req({ datatype: 'fp32' }), refused(400)],
    ['datatype missing', () => JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1, 64, 64], data: data(4096) }] }), refused(400)],
    ['name "x"', () => req({ name: 'x' }), refused(400)],
    ['name 12', () => req({ name: 12 }), refused(400)],
    ['no inputs', () => JSON.stringify({ inputs: [] }), refused(400)],
    ['inputs an object', () => JSON.stringify({ inputs: { name: 'input' } }), refused(400)],
    ['two inputs', () => JSON.stringify({ inputs: [one(), one()] }), refused(400)],
    ['one element too many', () => req({ data: data(4097) }), refused(400)],
    ['one element too few', () => req({ data: data(4095) }), refused(400)],
    ['data nested as [1][1][64][64]', () => req({ data: [[Array.from({ length: 64 }, () => data(64))]] }), OK],
    ['data nested 10 deep', () => req({ data: JSON.parse(`${'['.repeat(9)}${JSON.stringify(data(4096))}${']'.repeat(9)}`) as unknown }), refused(400)],
    ['data nested 100000 deep', () => `{"inputs":[{"name":"input","shape":[1,1,64,64],"datatype":"FP32","data":${'['.repeat(100000)}${']'.repeat(100000)}}]}`, refused(400)],
    ['data an object', () => req({ data: { a: 1 } }), refused(400)],
    ['data a string', () => req({ data: 'AAAA' }), refused(400)],
    ['data holding an object nested 20000 deep', () => `{"inputs":[{"name":"input","shape":[1,1,64,64],"datatype":"FP32","data":[${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}]}]}`, refused(400)],
    ['data holding an array nested 100000 deep inside an object', () => `{"inputs":[{"name":"input","shape":[1,1,64,64],"datatype":"FP32","data":[{"x":${'['.repeat(100000)}${']'.repeat(100000)}}]}]}`, refused(400)],
    ['data holding a 1 MB string', () => req({ data: ['x'.repeat(1 << 20)] }), refused(400)],
    ['shape of 150000 strings', () => JSON.stringify({ inputs: [{ name: 'input', shape: new Array<string>(150000).fill('x'), datatype: 'FP32', data: [] }] }), refused(400)],
    ['150000 inputs', () => JSON.stringify({ inputs: new Array<number>(150000).fill(0) }), refused(400)],
    ['unknown output', () => req({}, { outputs: [{ name: 'latent' }] }), refused(400)],
    ['outputs score only', () => req({}, { outputs: [{ name: 'score' }] }), OK],
    ['id a number', () => req({}, { id: 7 }), refused(400)],
    ['id of 100 KB', () => req({}, { id: 'i'.repeat(100_000) }), OK],
    ['parameters nested', () => req({}, { parameters: { a: { b: 1 } } }), refused(400)],
    ['__proto__ and constructor keys', () => req({}).replace('{', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},'), OK],
    ['not JSON', () => 'inputs=1', refused(400)],
    ['truncated JSON', () => req({}).slice(0, 5000), refused(400)],
    ['JSON null', () => 'null', refused(400)],
    ['JSON number', () => '1', refused(400)],
    ['JSON string', () => '"input"', refused(400)],
    ['JSON array', () => '[]', refused(400)],
    ['JSON with a BOM', () => `\uFEFF${req({})}`, EITHER],
    ['JSON with comments', () => `/* hi */${req({})}`, refused(400)],
    ['JSON with NaN literals', () => req({}).replace(/\d\.\d+/, 'NaN'), refused(400)],
    ['data of 1e999', () => req({}).replace(/\d\.\d+/, '1e999'), refused(400)],
  ];
  for (let rep = 0; rep < 6; rep++) {
    for (const [what, make, expect] of list) {
      // The big ones once: they are about the server, not about repetition.
      if (rep > 0 && /100000|150000|1 MB|20000 deep|10000 ones|\[10000,/.test(what)) continue;
      cases.push({ what: `infer ${what}`, route: INFER, body: make(), headers: JSON_TYPE, expect });
    }
  }
  // Random JSON soup.
  const atoms = ['{', '}', '[', ']', ',', ':', '"inputs"', '"input"', '"shape"', '"data"', '"datatype"', '"FP32"', '"name"', '1', '64', '-1', '0.5', 'null', 'true', '"', '\\', '1e999'];
  for (let i = 0; i < 80; i++) {
    const text = Array.from({ length: 1 + rng.int(40) }, () => pick(rng, atoms)).join('');
    cases.push({ what: `infer random JSON soup ${JSON.stringify(text)}`, route: INFER, body: text, headers: JSON_TYPE, expect: EITHER });
  }
  // Versioned route with names that are keys of every JavaScript object.
  for (const v of ['toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty', 'v99', 'v0', '%00']) {
    cases.push({ what: `infer on version ${v}`, route: `/v2/models/dcae/versions/${v}/infer`, body: req({}), headers: JSON_TYPE, expect: refused(404) });
  }
  return cases;
};

/** Query parameters (and multipart fields) with hostile values on a valid cutout. */
const query: Family = (rng) => {
  const cases: FuzzCase[] = [];
  const keys = ['models', 'threshold', 'fpr', 'alpha', 'combine', 'outputs', 'encoding', 'hdu'];
  const values = ['', ' ', '0', '1', '-1', '0.5', '1e-320', '5e-324', '0.9999999999999999', '0.999999999999', '1e-15', 'NaN', 'Infinity', '-Infinity', '1e308', '-1e308', 'dcae', 'dcae,dcae', 'dcae,rbm', 'nope', ',', 'fpr-0.01', 'fpr-0.05', 'mean+3sigma', 'cauchy', 'bonferroni', 'fisher', 'residual', 'input,reconstruction,residual', 'png', 'array', 'both', '\u0000', 'x'.repeat(5000), '__proto__', 'constructor', 'toString', '0x10', '1_000', '%', '99999999999999999999'];
  const fits = lensFits(rng);
  for (let i = 0; i < 200; i++) {
    const params = new URLSearchParams();
    const n = 1 + rng.int(3);
    for (let j = 0; j < n; j++) params.append(rng.int(20) === 0 ? pick(rng, ['bogus', 'Models', 'models[]', '__proto__']) : pick(rng, keys), pick(rng, values));
    if (!params.has('models') && rng.int(2) === 0) params.set('models', 'dcae');
    cases.push({ what: `query ${params.toString().slice(0, 200)}`, route: i % 5 === 0 ? BATCH : SCORE, query: params.toString(), body: fits, expect: EITHER });
  }
  for (const fpr of ['0.9999999999999999', '0.99999999999999', '0.9999', '0.5', '1e-9']) {
    cases.push({ what: `query fpr=${fpr}`, route: SCORE, query: `fpr=${fpr}`, body: fits, expect: OK });
  }
  // A wrong parameter is wrong for the whole request, on the batch route as on /v1/score.
  const bad: [string, number][] = [['threshold=png', 404], ['threshold=nope&models=dcae', 404], ['models=nope', 404], ['fpr=2', 400], ['alpha=0', 400], ['combine=fisher', 400], ['outputs=latent', 400], ['encoding=jpeg', 400], ['bogus=1', 400]];
  for (const [q, status] of bad) {
    for (const route of [SCORE, BATCH] as const) cases.push({ what: `query ${q}`, route, query: q, body: fits, expect: { kind: 'refused', status: [status], request: true } });
  }
  return cases;
};

/** Random bytes after each format's magic, and random bytes with none: never a cutout. */
const magicGarbage: Family = (rng) => {
  const cases: FuzzCase[] = [];
  const magics: [string, Uint8Array][] = [
    ['FITS', ascii('SIMPLE  =')],
    ['FITS card', ascii(card('SIMPLE', 'T'))],
    ['NPY', new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])],
    ['NPY v1', new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])],
    ['PNG', PNG_SIGNATURE],
    ['JPEG', new Uint8Array([0xff, 0xd8, 0xff])],
    ['gzip', new Uint8Array([0x1f, 0x8b, 8, 0])],
    ['ZIP', new Uint8Array([0x50, 0x4b, 0x03, 0x04])],
    ['TIFF', new Uint8Array([0x49, 0x49, 0x2a, 0x00])],
    ['HDF5', new Uint8Array([0x89, 0x48, 0x44, 0x46])],
    ['none', new Uint8Array(0)],
  ];
  for (let i = 0; i < 330; i++) {
    const [name, magic] = magics[i % magics.length]!;
    const body = concat(magic, randomBytes(rng, rng.int(i % 10 === 0 ? 40_000 : 2000)));
    const route = pick<Route>(rng, [SCORE, SCORE, BATCH, INFER]);
    cases.push({ what: `${name} magic + random bytes`, route, query: route === INFER ? '' : ONE, body, headers: route === INFER ? JSON_TYPE : { 'content-type': 'application/octet-stream' }, expect: route === INFER ? refused(400) : REFUSED });
  }
  // A ustar header of random fields: looks like a tar, fails its checksum.
  for (let i = 0; i < 30; i++) {
    const h = randomBytes(rng, 512 * (1 + rng.int(4)));
    h.set(ascii('ustar\x0000'), 257);
    cases.push({ what: 'random ustar-magic blocks', route: BATCH, query: ONE, body: h, expect: REFUSED });
  }
  return cases;
};

/** Every family, in the order the suite runs them. */
export const FAMILIES: Record<string, Family> = {
  valid,
  geometry,
  truncated,
  byteflip,
  'fits-header': fitsHeader,
  'npy-header': npyHeader,
  'nan-inf': nanInf,
  png: pngHostile,
  jpeg: jpegHostile,
  gzip: gzipHostile,
  'content-type': contentTypes,
  empty,
  tar: tarHostile,
  oip: oipHostile,
  query,
  'magic-garbage': magicGarbage,
};

/** A FITS header whose long string goes on for `cards` CONTINUE cards (the long-string convention). */
export function fitsContinueChain(cards: number): Uint8Array {
  const head = [card('SIMPLE', 'T'), card('BITPIX', '-32'), card('NAXIS', '2'), card('NAXIS1', '8'), card('NAXIS2', '8'), `LONGSTRN= 'x${'a'.repeat(60)}&'`.padEnd(80)];
  const cont = `CONTINUE  '${'b'.repeat(60)}&'`.padEnd(80);
  return fitsRaw([...head, ...new Array<string>(cards).fill(cont)], new Uint8Array(256));
}
