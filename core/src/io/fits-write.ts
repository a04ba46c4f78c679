/**
 * FITS image writer: one primary HDU, BITPIX = -32 (big-endian IEEE float32), NAXIS = 2.
 * Runtime-agnostic: returns a Uint8Array, no Node APIs. Output is deterministic (no DATE is added
 * unless the caller passes one in `cards`).
 */
import { DarklensError } from '../errors.js';
import { checkKeyword, encodeHeader, FITS_BLOCK, formatCard, formatCommentary } from './fits-header.js';

export interface WriteFitsOptions {
  /** Pixel scale in arcsec/pixel, written as CDELT1 = -scale/3600, CDELT2 = scale/3600 (deg) and PIXSCALE (arcsec). */
  pixelScale?: number;
  /** Extra keywords, in insertion order (BUNIT is moved right after the mandatory keywords). */
  cards?: Record<string, string | number | boolean>;
  /** Text of HISTORY cards, one entry per record (long entries continue on further HISTORY cards). */
  history?: string[];
}

/** Keywords that describe the data layout and are written only by writeFits itself. */
const STRUCTURAL = new Set([
  'SIMPLE',
  'BITPIX',
  'NAXIS',
  'EXTEND',
  'END',
  'XTENSION',
  'PCOUNT',
  'GCOUNT',
  'GROUPS',
  'BZERO',
  'BSCALE',
  'BLANK',
  'COMMENT',
  'HISTORY',
  'CONTINUE',
]);
/** Keywords written from `pixelScale`; callers may set them only when they pass no pixelScale. */
const SCALE_KEYWORDS = new Set(['CDELT1', 'CDELT2', 'CUNIT1', 'CUNIT2', 'PIXSCALE']);

function checkDims(image: { width: number; height: number; data: Float32Array }): void {
  if (typeof image !== 'object' || image === null) {
    throw new DarklensError('invalid_argument', 'writeFits needs an image { width, height, data: Float32Array }');
  }
  for (const key of ['width', 'height'] as const) {
    const v = image[key];
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new DarklensError('invalid_argument', `FITS image ${key} must be a positive integer, got ${String(v)}`);
    }
  }
  if (!(image.data instanceof Float32Array)) {
    throw new DarklensError('invalid_argument', 'FITS image data must be a Float32Array');
  }
  if (image.data.length !== image.width * image.height) {
    throw new DarklensError(
      'invalid_argument',
      `FITS image data has ${image.data.length} values; accepted: width*height = ${image.width}x${image.height} = ${image.width * image.height}`,
    );
  }
}

/**
 * Encodes a float32 image as a FITS file. Row 0 of `data` becomes the first row in the file (FITS
 * row 1, the bottom of the displayed image), as readFits returns it. NaN pixels are written as NaN.
 */
export function writeFits(
  image: { width: number; height: number; data: Float32Array },
  options: WriteFitsOptions = {},
): Uint8Array {
  checkDims(image);
  const { width, height, data } = image;
  const { pixelScale, cards = {}, history = [] } = options;
  if (pixelScale !== undefined && !(typeof pixelScale === 'number' && Number.isFinite(pixelScale) && pixelScale > 0)) {
    throw new DarklensError(
      'invalid_argument',
      `FITS pixelScale must be a positive finite number of arcsec/pixel, got ${String(pixelScale)}`,
    );
  }
  if (!Array.isArray(history)) {
    throw new DarklensError('invalid_argument', 'FITS history must be an array of strings');
  }

  const extra: string[] = [];
  let bunit: string | undefined;
  let hasOrigin = false;
  for (const [keyword, value] of Object.entries(cards)) {
    checkKeyword(keyword);
    if (STRUCTURAL.has(keyword) || /^NAXIS\d*$/.test(keyword)) {
      throw new DarklensError(
        'invalid_argument',
        `FITS keyword ${keyword} is written by writeFits itself; accepted: descriptive keywords such as OBJECT, BUNIT, DATE`,
      );
    }
    if (pixelScale !== undefined && SCALE_KEYWORDS.has(keyword)) {
      throw new DarklensError(
        'invalid_argument',
        `FITS keyword ${keyword} is written from the pixelScale option; accepted: pass either pixelScale or ${keyword}, not both`,
      );
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new DarklensError(
        'invalid_argument',
        `FITS keyword ${keyword} has a ${typeof value} value; accepted: string, number or boolean`,
      );
    }
    const card = formatCard(keyword, value);
    if (keyword === 'BUNIT') bunit = card;
    else extra.push(card);
    if (keyword === 'ORIGIN') hasOrigin = true;
  }

  const header: string[] = [
    formatCard('SIMPLE', true, 'conforms to FITS standard'),
    formatCard('BITPIX', -32, 'IEEE single precision floating point'),
    formatCard('NAXIS', 2, 'number of array dimensions'),
    formatCard('NAXIS1', width),
    formatCard('NAXIS2', height),
    formatCard('EXTEND', true),
  ];
  if (bunit !== undefined) header.push(bunit);
  if (pixelScale !== undefined) {
    header.push(
      formatCard('CDELT1', -pixelScale / 3600, 'deg/pixel (RA increases to the left)'),
      formatCard('CDELT2', pixelScale / 3600, 'deg/pixel'),
      formatCard('CUNIT1', 'deg'),
      formatCard('CUNIT2', 'deg'),
      formatCard('PIXSCALE', pixelScale, 'arcsec/pixel'),
    );
  }
  if (!hasOrigin) header.push(formatCard('ORIGIN', 'darklens', 'software that wrote this file'));
  header.push(...extra);
  for (const h of history) {
    if (typeof h !== 'string') {
      throw new DarklensError('invalid_argument', 'FITS history entries must be strings');
    }
    header.push(...formatCommentary('HISTORY', h));
  }

  const head = encodeHeader(header);
  const dataBytes = data.length * 4;
  const padded = Math.ceil(dataBytes / FITS_BLOCK) * FITS_BLOCK;
  const out = new Uint8Array(head.length + padded); // data padding is zeros
  out.set(head, 0);
  const view = new DataView(out.buffer, head.length, dataBytes);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, false);
  return out;
}
