/**
 * The one decoding entry point for services and the CLI: sniff the format from the bytes, gunzip
 * if needed (bounded), and hand over to the format's reader.
 *
 * Accepted: FITS, gzip-compressed FITS (or any other accepted format inside one gzip layer), NPY,
 * PNG, JPEG. Everything else, and a gzip inside a gzip, is 'unsupported_format'.
 */
import { Gunzip } from 'fflate';
import type { Cutout, CutoutStack, DecodeLimits } from '../cutout.js';
import { DEFAULT_LIMITS } from '../cutout.js';
import { DarklensError } from '../errors.js';
import { crc32Update } from './crc32.js';
import { readFits } from './fits-read.js';
import { readNpy } from './npy-read.js';
import { readJpeg, readPng } from './raster-read.js';
import { sniffFormat } from './sniff.js';

export interface DecodeOptions {
  /** Size limits checked by every reader before allocating pixels. Default DEFAULT_LIMITS. */
  limits?: DecodeLimits;
  /** FITS only: the HDU to read, by index (0 = primary) or EXTNAME. Ignored for other formats. */
  hdu?: number | string;
  /** Largest accepted decompressed size of a gzip file, in bytes. Default 256 MiB. */
  maxGunzipBytes?: number;
}

const DEFAULT_MAX_GUNZIP_BYTES = 256 * 1024 * 1024;
const ACCEPTED_FORMATS = 'accepted: FITS, FITS.gz, NPY, PNG, JPEG (recognised by content, not by file name)';

/**
 * Deflate expands at most about 1032:1, so handing the inflater at most (remaining budget)/1032
 * compressed bytes at a time (but at least 16 KiB, at most 4 MiB) keeps the output produced beyond
 * the limit under about 17 MB, while normal files still go through in large slices.
 */
const MAX_DEFLATE_RATIO = 1032;
const MIN_GUNZIP_SLICE = 16 * 1024;
const MAX_GUNZIP_SLICE = 4 * 1024 * 1024;

function u32le(bytes: Uint8Array, i: number): number {
  return (
    ((bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24)) >>> 0
  );
}

const GZIP_ACCEPTED = 'accepted: a complete gzip file';

/** Length of the gzip member header at the start of `bytes` (RFC 1952), or throws. */
function gzipHeaderLength(bytes: Uint8Array): number {
  const truncated = (): DarklensError =>
    new DarklensError('truncated', `gzip file ends after ${bytes.length} bytes, inside its header; ${GZIP_ACCEPTED}`);
  if (bytes.length < 10) throw truncated();
  if (bytes[2] !== 8) {
    throw new DarklensError('bad_header', `gzip compression method ${bytes[2]} is unknown; accepted: 8 (deflate)`);
  }
  const flags = bytes[3] ?? 0;
  let pos = 10;
  if (flags & 4) {
    if (pos + 2 > bytes.length) throw truncated();
    pos += 2 + ((bytes[pos] ?? 0) | ((bytes[pos + 1] ?? 0) << 8));
  }
  for (const bit of [8, 16]) {
    if (flags & bit) {
      while (pos < bytes.length && bytes[pos] !== 0) pos++;
      pos++; // the terminating zero
    }
  }
  if (flags & 2) pos += 2;
  if (pos > bytes.length) throw truncated();
  return pos;
}

/**
 * Gunzips `bytes`, refusing output beyond `maxBytes` while streaming (never inflating everything
 * first). Each member's CRC-32 and ISIZE trailer is verified, which also catches files cut short.
 */
function gunzipBounded(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const headerLength = gzipHeaderLength(bytes);
  if (bytes.length < headerLength + 2 + 8) {
    throw new DarklensError('truncated', `gzip file ends after ${bytes.length} bytes, before its data and trailer; ${GZIP_ACCEPTED}`);
  }
  const tooLarge = (): DarklensError =>
    new DarklensError(
      'too_large',
      `gzip file decompresses to more than ${maxBytes} bytes; accepted: up to ${maxBytes} bytes decompressed (maxGunzipBytes)`,
    );
  // The trailer's size field is not trusted for the limit (it is modulo 2^32, may lie, and in a
  // truncated file is not there at all): the output is counted while streaming instead.
  const chunks: Uint8Array[] = [];
  let total = 0;
  let memberStart = 0; // output offset where the current member began
  let crc = 0;
  const checkTrailer = (trailerAt: number): void => {
    if (crc !== u32le(bytes, trailerAt) || (total - memberStart) % 0x100000000 !== u32le(bytes, trailerAt + 4)) {
      throw new DarklensError(
        'truncated',
        `gzip data does not match its CRC-32/size trailer: the file is truncated or corrupted; ${GZIP_ACCEPTED}`,
      );
    }
  };
  const stream = new Gunzip((chunk) => {
    if (chunk.length === 0) return;
    total += chunk.length;
    if (total > maxBytes) throw tooLarge();
    crc = crc32Update(crc, chunk);
    chunks.push(chunk);
  });
  stream.onmember = (offset: number): void => {
    // A new member starts at input `offset`; the previous one's 8-byte trailer sits just before it.
    checkTrailer(offset - 8);
    memberStart = total;
    crc = 0;
  };
  try {
    for (let s = 0; s < bytes.length; ) {
      const budget = Math.floor((maxBytes - total) / MAX_DEFLATE_RATIO);
      const slice = Math.min(MAX_GUNZIP_SLICE, Math.max(MIN_GUNZIP_SLICE, budget));
      stream.push(bytes.subarray(s, Math.min(bytes.length, s + slice)), false);
      s += slice;
    }
    stream.push(new Uint8Array(0), true);
  } catch (e) {
    if (e instanceof DarklensError) throw e;
    const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
    if (code === 0) {
      throw new DarklensError('truncated', `gzip compressed data ends early; ${GZIP_ACCEPTED}`, { cause: e });
    }
    throw new DarklensError('bad_header', `gzip data is corrupt (${String(e)}); ${GZIP_ACCEPTED}`, { cause: e });
  }
  checkTrailer(bytes.length - 8);

  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/**
 * Gunzips `bytes` (one or more gzip members), refusing ('too_large') output beyond `maxBytes`
 * while streaming; CRC-32 and size trailers are verified. Exported for archives such as .tar.gz
 * batches; decodeCutout/decodeStack already unpack gzip-compressed cutouts themselves.
 */
export function gunzip(bytes: Uint8Array, maxBytes: number): Uint8Array {
  // A NaN limit would disable the bound (total > NaN is never true).
  if (!(typeof maxBytes === 'number' && maxBytes > 0)) {
    throw new DarklensError('invalid_argument', `gunzip: maxBytes is ${String(maxBytes)}; accepted: a positive number of bytes`);
  }
  // decodeAny sniffs before gunzipping; here the magic is checked so other bytes get a clear error.
  if (bytes.length >= 2 && !(bytes[0] === 0x1f && bytes[1] === 0x8b)) {
    throw new DarklensError('unsupported_format', `not a gzip file (it starts with ${hex(bytes)}); ${GZIP_ACCEPTED}`);
  }
  return gunzipBounded(bytes, maxBytes);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 8), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

function unsupported(bytes: Uint8Array): DarklensError {
  const starts = (...p: number[]): boolean => p.every((b, i) => bytes[i] === b);
  let hint = '';
  if (starts(0x50, 0x4b, 0x03, 0x04)) hint = ' It looks like a ZIP archive (an .npz?); save one array with numpy.save.';
  else if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) hint = ' It looks like a TIFF file.';
  else if (starts(0x89, 0x48, 0x44, 0x46)) hint = ' It looks like an HDF5 file.';
  const what = bytes.length === 0 ? 'the file is empty' : `the file starts with ${hex(bytes)}`;
  return new DarklensError('unsupported_format', `file format not recognised (${what}).${hint} ${ACCEPTED_FORMATS}`);
}

type Decoded = { kind: 'cutout'; cutout: Cutout } | { kind: 'stack'; stack: CutoutStack };

function decodeAny(bytes: Uint8Array, options: DecodeOptions, insideGzip: boolean): Decoded {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const format = sniffFormat(bytes);
  switch (format) {
    case 'gzip': {
      if (insideGzip) {
        throw new DarklensError(
          'unsupported_format',
          `the gzip file holds another gzip file; ${ACCEPTED_FORMATS}, compressed at most once`,
        );
      }
      const max = options.maxGunzipBytes ?? DEFAULT_MAX_GUNZIP_BYTES;
      if (!(typeof max === 'number' && max > 0)) {
        throw new DarklensError('invalid_argument', `maxGunzipBytes is ${String(max)}; accepted: a positive number of bytes`);
      }
      const inner = decodeAny(gunzipBounded(bytes, max), options, true);
      const meta = inner.kind === 'cutout' ? inner.cutout.meta : inner.stack.meta;
      meta.compression = 'gzip';
      return inner;
    }
    case 'fits': {
      const fitsOptions: { hdu?: number | string; limits: DecodeLimits } = { limits };
      if (options.hdu !== undefined) fitsOptions.hdu = options.hdu;
      return { kind: 'cutout', cutout: readFits(bytes, fitsOptions) };
    }
    case 'npy':
      return { kind: 'stack', stack: readNpy(bytes, limits) };
    case 'png':
      return { kind: 'cutout', cutout: readPng(bytes, limits) };
    case 'jpeg':
      return { kind: 'cutout', cutout: readJpeg(bytes, limits) };
    case undefined:
      throw unsupported(bytes);
  }
}

function cutoutToStack(c: Cutout): CutoutStack {
  const stack: CutoutStack = {
    count: 1,
    width: c.width,
    height: c.height,
    data: c.data,
    masked: c.masked,
    format: c.format,
    meta: c.meta,
  };
  if (c.pixelScale !== undefined) stack.pixelScale = c.pixelScale;
  if (c.psfFwhm !== undefined) stack.psfFwhm = c.psfFwhm;
  if (c.variance !== undefined) stack.variance = c.variance;
  return stack;
}

/**
 * Decodes any accepted file (see the module comment) into a stack of images: FITS, PNG and JPEG
 * give a stack of one, NPY as many images as it holds. Every failure is a DarklensError.
 */
export function decodeStack(bytes: Uint8Array, options: DecodeOptions = {}): CutoutStack {
  const decoded = decodeAny(bytes, options, false);
  return decoded.kind === 'stack' ? decoded.stack : cutoutToStack(decoded.cutout);
}

/**
 * Decodes any accepted file holding exactly one image. A file with several images (an NPY stack)
 * is 'bad_shape'; use decodeStack for those.
 */
export function decodeCutout(bytes: Uint8Array, options: DecodeOptions = {}): Cutout {
  const decoded = decodeAny(bytes, options, false);
  if (decoded.kind === 'cutout') return decoded.cutout;
  const s = decoded.stack;
  if (s.count !== 1) {
    throw new DarklensError(
      'bad_shape',
      `this file holds ${s.count} images; score it as a batch (accepted here: a file with a single image)`,
    );
  }
  const cutout: Cutout = { width: s.width, height: s.height, data: s.data, masked: s.masked, format: s.format, meta: s.meta };
  if (s.pixelScale !== undefined) cutout.pixelScale = s.pixelScale;
  if (s.psfFwhm !== undefined) cutout.psfFwhm = s.psfFwhm;
  if (s.variance !== undefined) cutout.variance = s.variance;
  return cutout;
}

/**
 * Splits a stack into its images. Each cutout's data is a subarray view of the stack's data (no
 * copy; writing to one writes to the other). `masked` is counted per image; when the stack holds
 * more than one image, meta gains `stackIndex` (0-based).
 */
export function stackToCutouts(stack: CutoutStack): Cutout[] {
  const size = stack.width * stack.height;
  const cutouts: Cutout[] = [];
  for (let i = 0; i < stack.count; i++) {
    const data = stack.data.subarray(i * size, (i + 1) * size);
    let masked = 0;
    if (stack.masked > 0) {
      for (let j = 0; j < data.length; j++) if (Number.isNaN(data[j])) masked++;
    }
    const cutout: Cutout = {
      width: stack.width,
      height: stack.height,
      data,
      masked,
      format: stack.format,
      meta: stack.count > 1 ? { ...stack.meta, stackIndex: i } : { ...stack.meta },
    };
    if (stack.pixelScale !== undefined) cutout.pixelScale = stack.pixelScale;
    if (stack.psfFwhm !== undefined) cutout.psfFwhm = stack.psfFwhm;
    if (stack.variance !== undefined) cutout.variance = stack.variance.subarray(i * size, (i + 1) * size);
    cutouts.push(cutout);
  }
  return cutouts;
}
