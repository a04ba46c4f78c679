/**
 * FITS image reader (FITS Standard 4.0). Runtime-agnostic: takes a Uint8Array, no Node APIs.
 *
 * Reads the primary HDU or an IMAGE extension with BITPIX 8, 16, 32, 64, -32 or -64, applies
 * BZERO/BSCALE and returns float32 pixels in file order (row 0 = first NAXIS2 row, the bottom of
 * the sky image). Other extensions (BINTABLE, TABLE, random groups...) are skipped over.
 *
 * Masking: integer pixels equal to BLANK (compared with the stored integer, before scaling) and
 * floating-point pixels that are NaN or +-Infinity become NaN and are counted in `masked`. So does
 * any pixel whose scaled value does not fit float32 (|v| > 3.4e38, which would become Infinity).
 */
import type { Cutout, DecodeLimits } from '../cutout.js';
import { DEFAULT_LIMITS } from '../cutout.js';
import { DarklensError } from '../errors.js';
import { badBits, isScienceName, maskKind, noiseKind, toVariance } from './fits-planes.js';
import { bytesToAscii, FITS_BLOCK, FITS_CARD, type FitsHeader, parseHeader } from './fits-header.js';

export interface ReadFitsOptions {
  /** HDU to read: an index (0 = primary) or an EXTNAME (case-insensitive). Default: the first image with data. */
  hdu?: number | string;
  /** Size limits checked before any pixel buffer is allocated. Default DEFAULT_LIMITS. */
  limits?: DecodeLimits;
}

const BITPIX_ACCEPTED = [8, 16, 32, 64, -32, -64];
const ACCEPTED_TEXT = '8, 16, 32, 64, -32, -64';
const MAX_NAXIS = 999;

/** What the reader knows about one HDU after reading its header. */
interface Hdu {
  index: number;
  header: FitsHeader;
  /** 'PRIMARY', 'IMAGE', 'BINTABLE', 'TABLE', 'GROUPS' (random groups primary) or another XTENSION. */
  kind: string;
  extname?: string;
  bitpix: number;
  axes: number[];
  /** Byte offset of the data unit. */
  dataOffset: number;
  /** Size of the data unit without padding (may exceed the file: checked when it matters). */
  dataBytes: number;
  /** True for a BINTABLE holding a tile-compressed image (ZIMAGE = T). */
  zimage: boolean;
}

function isImage(h: Hdu): boolean {
  return h.kind === 'PRIMARY' || h.kind === 'IMAGE';
}

function hasData(h: Hdu): boolean {
  return h.axes.length > 0 && h.axes.every((n) => n > 0);
}

function describe(h: Hdu): string {
  const name = h.extname !== undefined ? ` '${h.extname}'` : '';
  const kind = h.zimage ? 'BINTABLE (tile-compressed image)' : h.kind;
  const shape = h.axes.length === 0 ? 'no data' : h.axes.join('x');
  return `${h.index} ${kind}${name} (${shape})`;
}

function describeAll(hdus: Hdu[]): string {
  return hdus.length === 0 ? 'none' : hdus.map(describe).join(', ');
}

function matchesPrefix(bytes: Uint8Array, offset: number, text: string): boolean {
  const n = Math.min(text.length, bytes.length - offset);
  for (let i = 0; i < n; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Reads the header of the HDU at `offset` and the structural keywords needed to locate its data. */
function readHdu(bytes: Uint8Array, offset: number, index: number): Hdu {
  const header = parseHeader(bytes, offset, `FITS header of HDU ${index}`);
  let kind: string;
  if (index === 0) {
    kind = 'PRIMARY';
  } else {
    const x = header.get('XTENSION');
    if (typeof x !== 'string') {
      throw new DarklensError(
        'bad_header',
        `FITS HDU ${index} at byte ${offset} has no XTENSION string value; accepted: XTENSION = 'IMAGE', 'BINTABLE' or 'TABLE'`,
      );
    }
    kind = x.trim().toUpperCase();
  }
  const imageLike = kind === 'PRIMARY' || kind === 'IMAGE';

  const bitpix = header.integer('BITPIX', `of HDU ${index}`);
  if (bitpix === undefined) {
    throw new DarklensError('bad_header', `FITS HDU ${index} has no BITPIX keyword; accepted: BITPIX = ${ACCEPTED_TEXT}`);
  }
  if (!BITPIX_ACCEPTED.includes(bitpix)) {
    throw new DarklensError(
      imageLike ? 'unsupported_dtype' : 'bad_header',
      `FITS BITPIX ${bitpix} (HDU ${index}) is not supported; accepted: ${ACCEPTED_TEXT}`,
    );
  }
  const naxis = header.integer('NAXIS', `of HDU ${index}`);
  if (naxis === undefined || naxis < 0 || naxis > MAX_NAXIS) {
    throw new DarklensError(
      'bad_header',
      `FITS HDU ${index} has NAXIS = ${naxis ?? 'missing'}; accepted: an integer from 0 to ${MAX_NAXIS}`,
    );
  }
  const axes: number[] = [];
  for (let i = 1; i <= naxis; i++) {
    const n = header.integer(`NAXIS${i}`, `of HDU ${index}`);
    if (n === undefined || n < 0) {
      throw new DarklensError(
        'bad_header',
        `FITS HDU ${index} has NAXIS${i} = ${n ?? 'missing'}; accepted: a non-negative integer for each of NAXIS1..NAXIS${naxis}`,
      );
    }
    axes.push(n);
  }
  const extension = index > 0;
  const pcount = header.integer('PCOUNT', `of HDU ${index}`) ?? 0;
  const gcount = header.integer('GCOUNT', `of HDU ${index}`) ?? 1;
  if (pcount < 0 || gcount < 0) {
    throw new DarklensError(
      'bad_header',
      `FITS HDU ${index} has PCOUNT = ${pcount}, GCOUNT = ${gcount}; accepted: non-negative integers`,
    );
  }
  // Random groups: primary HDU with NAXIS1 = 0 and GROUPS = T; NAXIS1 does not count in the size.
  const groups = !extension && naxis > 0 && axes[0] === 0 && header.get('GROUPS') === true;
  if (groups) kind = 'GROUPS';
  let dataBytes = 0;
  if (naxis > 0) {
    let product = 1;
    for (let i = groups ? 1 : 0; i < axes.length; i++) product *= axes[i]!;
    const usesCounts = extension || groups;
    dataBytes = (Math.abs(bitpix) / 8) * (usesCounts ? gcount : 1) * ((usesCounts ? pcount : 0) + product);
  }
  const extnameValue = header.string('EXTNAME');
  const hdu: Hdu = {
    index,
    header,
    kind,
    bitpix,
    axes,
    dataOffset: offset + header.byteLength,
    dataBytes,
    zimage: kind === 'BINTABLE' && header.get('ZIMAGE') === true,
  };
  if (extnameValue !== undefined) hdu.extname = extnameValue;
  return hdu;
}

/**
 * Walks the HDUs in order, calling `visit` on each; stops when `visit` returns true or the file
 * ends. Bytes after the last HDU that do not start with XTENSION are ignored (trailing padding).
 */
function walk(bytes: Uint8Array, visit: (h: Hdu) => boolean, seen: Hdu[]): Hdu | undefined {
  let offset = 0;
  for (let index = 0; ; index++) {
    if (index > 0) {
      if (offset >= bytes.length) return undefined;
      if (!matchesPrefix(bytes, offset, 'XTENSION')) return undefined;
    }
    const h = readHdu(bytes, offset, index);
    seen.push(h);
    if (visit(h)) return h;
    const padded = Math.ceil(h.dataBytes / FITS_BLOCK) * FITS_BLOCK;
    const next = h.dataOffset + padded;
    if (h.dataOffset + h.dataBytes > bytes.length) {
      throw new DarklensError(
        'truncated',
        `FITS HDU ${h.index} (${h.kind}) needs ${h.dataBytes} data bytes from byte ${h.dataOffset}, but the file has only ${bytes.length} bytes; accepted: complete files`,
      );
    }
    offset = next;
  }
}

function checkMagic(bytes: Uint8Array): void {
  const magic = 'SIMPLE  =';
  if (bytes.length < FITS_CARD) {
    if (matchesPrefix(bytes, 0, magic)) {
      throw new DarklensError(
        'truncated',
        `FITS file is only ${bytes.length} bytes long; accepted: files of at least one 2880-byte header block`,
      );
    }
  } else {
    const first = bytesToAscii(bytes, 0, FITS_CARD);
    const value = first.slice(10).split('/')[0]!.trim();
    if (first.startsWith(magic) && value === 'T') return;
    if (first.startsWith(magic) && value === 'F') {
      throw new DarklensError(
        'bad_magic',
        'FITS file declares SIMPLE = F (it does not conform to the FITS standard); accepted: SIMPLE = T',
      );
    }
  }
  const start = bytesToAscii(bytes, 0, 30).replace(/[^\x20-\x7e]/g, '?');
  throw new DarklensError(
    'bad_magic',
    `not a FITS file: it starts with ${JSON.stringify(start)}; accepted: a first header card 'SIMPLE  =                    T'`,
  );
}

function checkOptions(options: ReadFitsOptions): DecodeLimits {
  const limits = options.limits ?? DEFAULT_LIMITS;
  for (const key of ['maxSide', 'maxPixels'] as const) {
    const v = limits[key];
    if (typeof v !== 'number' || !(v > 0)) {
      throw new DarklensError('invalid_argument', `limits.${key} must be a positive number, got ${String(v)}`);
    }
  }
  const hdu = options.hdu;
  if (typeof hdu === 'number' && !(Number.isInteger(hdu) && hdu >= 0)) {
    throw new DarklensError(
      'invalid_argument',
      `FITS hdu ${hdu} is invalid; accepted: a non-negative integer index (0 = primary) or an EXTNAME`,
    );
  }
  if (typeof hdu === 'string' && hdu.trim() === '') {
    throw new DarklensError('invalid_argument', 'FITS hdu name is empty; accepted: an EXTNAME such as SCI, or an index');
  }
  if (hdu !== undefined && typeof hdu !== 'number' && typeof hdu !== 'string') {
    throw new DarklensError('invalid_argument', 'FITS hdu must be a number (index) or a string (EXTNAME)');
  }
  return limits;
}

/** Finds the HDU to decode according to `hdu`, or raises not_found / unsupported_layout. */
function select(bytes: Uint8Array, hdu: number | string | undefined): Hdu {
  const seen: Hdu[] = [];
  if (hdu === undefined) {
    const found = walk(bytes, (h) => isImage(h) && hasData(h), seen);
    if (found) return found;
    if (seen.some((h) => h.zimage)) {
      throw new DarklensError(
        'unsupported_layout',
        `tile-compressed FITS (fpack) is not supported; decompress it with funpack first (HDUs: ${describeAll(seen)}); accepted: uncompressed images in the primary HDU or IMAGE extensions`,
      );
    }
    throw new DarklensError(
      'not_found',
      `FITS file has no image with data; HDUs present: ${describeAll(seen)}; accepted: a primary HDU or IMAGE extension with NAXIS >= 2`,
    );
  }
  const wanted = typeof hdu === 'string' ? hdu.trim().toUpperCase() : hdu;
  const found = walk(
    bytes,
    (h) =>
      typeof wanted === 'number'
        ? h.index === wanted
        : (h.extname ?? (h.index === 0 ? 'PRIMARY' : '')).toUpperCase() === wanted,
    seen,
  );
  const label = typeof hdu === 'number' ? `HDU ${hdu}` : `HDU named ${JSON.stringify(hdu)}`;
  if (!found) {
    throw new DarklensError(
      'not_found',
      `FITS ${label} not found; HDUs present: ${describeAll(seen)}; accepted: one of these indices or EXTNAMEs`,
    );
  }
  if (found.zimage) {
    throw new DarklensError(
      'unsupported_layout',
      `FITS ${label} is a tile-compressed image: tile-compressed FITS (fpack) is not supported; decompress it with funpack first`,
    );
  }
  if (!isImage(found)) {
    throw new DarklensError(
      'unsupported_layout',
      `FITS ${label} is a ${found.kind} HDU, not an image; accepted: the primary HDU or an IMAGE extension (HDUs present: ${describeAll(seen)})`,
    );
  }
  if (!hasData(found)) {
    throw new DarklensError(
      'bad_shape',
      `FITS ${label} has no data (${found.axes.length === 0 ? 'NAXIS = 0' : `axes ${found.axes.join('x')}`}); accepted: an image with NAXIS1, NAXIS2 > 0 (HDUs present: ${describeAll(seen)})`,
    );
  }
  return found;
}

const UNIT_TO_ARCSEC: Record<string, number> = {
  deg: 3600,
  degree: 3600,
  degrees: 3600,
  arcmin: 60,
  arcsec: 1,
  mas: 1e-3,
};

/** Conversion factor of CUNITi to arcsec (deg when absent); undefined for other units. */
function unitFactor(header: FitsHeader, axis: number): number | undefined {
  const unit = header.string(`CUNIT${axis}`);
  if (unit === undefined || unit === '') return 3600;
  return UNIT_TO_ARCSEC[unit.toLowerCase()];
}

function optionalNumber(header: FitsHeader, keyword: string): number | undefined {
  const v = header.get(keyword);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Pixel scale in arcsec/pixel: sqrt(|det CD|) from a CD matrix; else the geometric mean of
 * |CDELT1| and |CDELT2| times sqrt(|det PC|) (CDELT2 = CDELT1 when only CDELT1 is given); else
 * PIXSCALE (or PIXSCAL1/PIXSCAL2) in arcsec. CD and CDELT are in CUNITi (default deg; arcmin, arcsec
 * and mas are understood; any other unit means no scale from that source).
 */
function pixelScale(header: FitsHeader): { scale: number; source: string } | undefined {
  const ok = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && v > 0;
  const f1 = unitFactor(header, 1);
  const f2 = unitFactor(header, 2);
  const cdKeys = ['CD1_1', 'CD1_2', 'CD2_1', 'CD2_2'];
  if (cdKeys.some((k) => header.has(k)) && f1 !== undefined && f2 !== undefined) {
    const [a, b, c, d] = cdKeys.map((k) => optionalNumber(header, k) ?? 0) as [number, number, number, number];
    const scale = Math.sqrt(Math.abs(a * d - b * c) * f1 * f2);
    if (ok(scale)) return { scale, source: 'CD' };
  }
  const c1 = optionalNumber(header, 'CDELT1');
  if (c1 !== undefined && f1 !== undefined && f2 !== undefined) {
    const c2 = optionalNumber(header, 'CDELT2') ?? c1;
    const p = (i: number, j: number) => optionalNumber(header, `PC${i}_${j}`) ?? (i === j ? 1 : 0);
    const detPc = p(1, 1) * p(2, 2) - p(1, 2) * p(2, 1);
    const scale = Math.sqrt(Math.abs(c1 * c2 * detPc) * f1 * f2);
    if (ok(scale)) return { scale, source: 'CDELT' };
  }
  const ps = optionalNumber(header, 'PIXSCALE');
  if (ok(ps)) return { scale: ps, source: 'PIXSCALE' };
  const p1 = optionalNumber(header, 'PIXSCAL1');
  if (ok(p1)) {
    const p2 = optionalNumber(header, 'PIXSCAL2');
    return { scale: ok(p2) ? Math.sqrt(Math.abs(p1 * p2)) : Math.abs(p1), source: 'PIXSCAL1' };
  }
  return undefined;
}

/** PSF FWHM keywords in arcsec, in the order trusted; sigma keywords are converted (FWHM = 2.3548 sigma). */
const PSF_FWHM_KEYS = ['PSFFWHM', 'PSF_FWHM', 'SEEING'];
const PSF_SIGMA_KEYS = ['PSFSIG', 'PSFSIGMA'];
const SIGMA_TO_FWHM = 2 * Math.sqrt(2 * Math.LN2);

/** The PSF's FWHM in arcsec when the header states it (a plausible value: (0, 30) arcsec). */
function psfFwhm(header: FitsHeader): { fwhm: number; source: string } | undefined {
  const ok = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && v > 0 && v < 30;
  for (const k of PSF_FWHM_KEYS) {
    const v = optionalNumber(header, k);
    if (ok(v)) return { fwhm: v, source: k };
  }
  for (const k of PSF_SIGMA_KEYS) {
    const v = optionalNumber(header, k);
    if (ok(v)) return { fwhm: v * SIGMA_TO_FWHM, source: k };
  }
  return undefined;
}

const META_STRINGS = ['OBJECT', 'TELESCOP', 'INSTRUME', 'FILTER', 'BUNIT', 'DATE-OBS', 'ORIGIN'];

function buildMeta(h: Hdu, scaleSource: string | undefined): Record<string, string | number | boolean> {
  const meta: Record<string, string | number | boolean> = { HDU: h.index, BITPIX: h.bitpix, NAXIS: h.axes.length };
  if (h.extname !== undefined) meta.EXTNAME = h.extname;
  for (const k of META_STRINGS) {
    const v = h.header.string(k);
    if (v !== undefined && v !== '') meta[k] = v;
  }
  for (const k of ['BZERO', 'BSCALE', 'EXPTIME']) {
    const v = optionalNumber(h.header, k);
    if (v !== undefined) meta[k] = v;
  }
  if (scaleSource !== undefined) meta.PIXSCALE_SOURCE = scaleSource;
  return meta;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/**
 * The float32 nearest to an integer, ties to even. Number(v) followed by Math.fround rounds twice
 * and can land on a float32 tie that v itself is not on (e.g. 2^63 + 2^39 + 1 would become 2^63).
 */
export function bigIntToFloat32(v: bigint): number {
  const d = Number(v);
  const f = Math.fround(d);
  if (f === d || !Number.isFinite(f)) return f;
  const exact = BigInt(d); // d is an integer: |d| >= 2^24 here, or fround would have been exact
  if (exact === v) return f;
  F32[0] = f;
  U32[0] = Math.abs(f) < Math.abs(d) ? U32[0]! + 1 : U32[0]! - 1; // the float32 on the other side of d
  const other = F32[0];
  if ((f + other) / 2 !== d) return f; // d was not a tie, so f is also nearest to v
  return v > exact ? Math.max(f, other) : Math.min(f, other);
}

/** Reads the BLANK keyword as the raw stored integer; bad_header when it is not an integer. */
function readBlank(header: FitsHeader, bitpix: number): bigint | undefined {
  if (bitpix < 0) return undefined; // BLANK is only defined for integer data; ignored for floats.
  const c = header.card('BLANK');
  if (!c) return undefined;
  if (c.intText === undefined) {
    throw new DarklensError(
      'bad_header',
      `FITS keyword BLANK must be an integer, found '${c.valueText ?? ''}'; accepted: the stored integer that marks undefined pixels`,
    );
  }
  return BigInt(c.intText);
}

/**
 * Decodes a FITS file into a Cutout. See the module comment for what is accepted.
 * Every failure is a DarklensError.
 */
export function readFits(bytes: Uint8Array, options: ReadFitsOptions = {}): Cutout {
  if (!(bytes instanceof Uint8Array)) {
    throw new DarklensError('invalid_argument', 'readFits needs the file as a Uint8Array');
  }
  const limits = checkOptions(options);
  checkMagic(bytes);
  const h = select(bytes, options.hdu);
  const where = `HDU ${h.index}${h.extname !== undefined ? ` ('${h.extname}')` : ''}`;

  const axes = h.axes;
  if (axes.length < 2) {
    throw new DarklensError(
      'bad_shape',
      `FITS image in ${where} is 1-D (NAXIS = 1, NAXIS1 = ${axes[0]}); accepted: 2-D images, or cubes whose axes beyond the second have length 1`,
    );
  }
  const width = axes[0]!;
  const height = axes[1]!;
  for (let i = 2; i < axes.length; i++) {
    if (axes[i] !== 1) {
      throw new DarklensError(
        'bad_shape',
        `FITS image in ${where} is a cube of ${axes.join('x')} (NAXIS${i + 1} = ${axes[i]}); only one plane is accepted: every axis beyond NAXIS2 must have length 1`,
      );
    }
  }
  if (width > limits.maxSide || height > limits.maxSide) {
    throw new DarklensError(
      'too_large',
      `FITS image in ${where} is ${width}x${height} pixels; accepted: at most ${limits.maxSide} pixels per side`,
    );
  }
  const count = width * height;
  if (count > limits.maxPixels) {
    throw new DarklensError(
      'too_large',
      `FITS image in ${where} has ${count} pixels; accepted: at most ${limits.maxPixels}`,
    );
  }
  const bpp = Math.abs(h.bitpix) / 8;
  const need = count * bpp;
  if (h.dataOffset + need > bytes.length) {
    throw new DarklensError(
      'truncated',
      `FITS data of ${where} needs ${need} bytes from byte ${h.dataOffset}, but the file has only ${bytes.length} bytes; accepted: complete files (only the final padding may be missing)`,
    );
  }

  const { data, masked } = decodePixels(bytes, h, where, count, need);
  const cutout: Cutout = { width, height, data, masked, format: 'fits', meta: buildMeta(h, undefined) };
  attachPlanes(bytes, h, cutout);
  const scale = pixelScale(h.header);
  Object.assign(cutout.meta, buildMeta(h, scale?.source));
  if (scale) cutout.pixelScale = scale.scale;
  const psf = psfFwhm(h.header);
  if (psf) {
    cutout.psfFwhm = psf.fwhm;
    cutout.meta.PSF_SOURCE = psf.source;
  }
  return cutout;
}

/** The physical values of an image HDU's `count` pixels (BSCALE, BZERO; BLANK and non-finite values NaN). */
function decodePixels(bytes: Uint8Array, h: Hdu, where: string, count: number, need: number): { data: Float32Array; masked: number } {
  const bscale = h.header.number('BSCALE', `of ${where}`) ?? 1;
  const bzero = h.header.number('BZERO', `of ${where}`) ?? 0;
  const blank = readBlank(h.header, h.bitpix);
  const data = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + h.dataOffset, need);
  const scaled = bscale !== 1 || bzero !== 0;
  let masked = 0;

  switch (h.bitpix) {
    case 8:
    case 16:
    case 32: {
      const blankN = blank === undefined ? undefined : Number(blank);
      const get =
        h.bitpix === 8
          ? (i: number) => view.getUint8(i)
          : h.bitpix === 16
            ? (i: number) => view.getInt16(i * 2, false)
            : (i: number) => view.getInt32(i * 4, false);
      for (let i = 0; i < count; i++) {
        const raw = get(i);
        if (raw === blankN) {
          data[i] = NaN;
          masked++;
          continue;
        }
        data[i] = scaled ? bzero + bscale * raw : raw;
        if (!Number.isFinite(data[i]!)) {
          data[i] = NaN;
          masked++;
        }
      }
      break;
    }
    case 64: {
      // Exact integer arithmetic when BZERO is an integer and BSCALE is 1 (e.g. uint64 with BZERO = 2^63).
      const zeroCard = h.header.card('BZERO');
      let exactZero: bigint | undefined;
      if (bscale === 1) {
        if (zeroCard?.intText !== undefined) exactZero = BigInt(zeroCard.intText);
        else if (bzero === 0) exactZero = 0n;
      }
      for (let i = 0; i < count; i++) {
        const raw = view.getBigInt64(i * 8, false);
        if (raw === blank) {
          data[i] = NaN;
          masked++;
          continue;
        }
        data[i] = exactZero !== undefined ? bigIntToFloat32(raw + exactZero) : bzero + bscale * Number(raw);
        if (!Number.isFinite(data[i]!)) {
          data[i] = NaN;
          masked++;
        }
      }
      break;
    }
    case -32:
    case -64: {
      const wide = h.bitpix === -64;
      for (let i = 0; i < count; i++) {
        const raw = wide ? view.getFloat64(i * 8, false) : view.getFloat32(i * 4, false);
        const v = scaled ? bzero + bscale * raw : raw;
        data[i] = v;
        if (!Number.isFinite(data[i]!)) {
          data[i] = NaN;
          masked++;
        }
      }
      break;
    }
  }

  return { data, masked };
}

/** The stored integers of an integer image HDU (a mask plane), as unsigned 32-bit bit sets. */
function decodeBits(bytes: Uint8Array, h: Hdu, count: number): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + h.dataOffset, count * (Math.abs(h.bitpix) / 8));
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] =
      h.bitpix === 8 ? view.getUint8(i) : h.bitpix === 16 ? view.getUint16(i * 2, false) : h.bitpix === 32 ? view.getUint32(i * 4, false) : Number(view.getBigUint64(i * 8, false) & 0xffffffffn);
  }
  return out;
}

/**
 * Companion planes of a science image in a multi-extension file, found by EXTNAME among the image
 * HDUs of the same size: a noise plane becomes `cutout.variance` and a mask plane masks pixels (NaN).
 * Only for a science HDU named IMAGE or SCI (LSST, HST, Euclid); see fits-planes.ts for the names.
 */
function attachPlanes(bytes: Uint8Array, science: Hdu, cutout: Cutout): void {
  if (!isScienceName(science.extname)) return;
  const seen: Hdu[] = [];
  walk(bytes, () => false, seen);
  const count = cutout.width * cutout.height;
  const same = seen.filter((x) => x !== science && isImage(x) && x.axes[0] === cutout.width && x.axes[1] === cutout.height && x.axes.slice(2).every((n) => n === 1));
  const noise = same.map((x) => ({ x, kind: noiseKind(x.extname) })).find((c) => c.kind !== undefined);
  if (noise !== undefined) {
    const where = `HDU ${noise.x.index} ('${noise.x.extname}')`;
    const need = count * (Math.abs(noise.x.bitpix) / 8);
    if (noise.x.dataOffset + need <= bytes.length) {
      const plane = decodePixels(bytes, noise.x, where, count, need).data;
      cutout.variance = toVariance(plane, noise.kind!);
      cutout.meta.noisePlane = `${noise.x.extname} (${noise.kind})`;
    }
  }
  const mask = same.find((x) => maskKind(x.extname) !== undefined && x.bitpix > 0);
  if (mask !== undefined && mask.dataOffset + count * (mask.bitpix / 8) <= bytes.length) {
    const bad = badBits(maskKind(mask.extname)!, mask.header);
    const bits = decodeBits(bytes, mask, count);
    let flagged = 0;
    for (let i = 0; i < count; i++) {
      if ((bits[i]! & bad) === 0 || Number.isNaN(cutout.data[i])) continue;
      cutout.data[i] = NaN;
      cutout.masked++;
      flagged++;
    }
    cutout.meta.maskPlane = mask.extname!;
    cutout.meta.maskFlagged = flagged;
  }
}
