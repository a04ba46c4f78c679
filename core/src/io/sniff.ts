/**
 * Format detection by content only (never by file name): the first bytes of each format darklens reads.
 */
import type { CutoutFormat } from '../cutout.js';

export type SniffedFormat = CutoutFormat | 'gzip';

const FITS = [0x53, 0x49, 0x4d, 0x50, 0x4c, 0x45, 0x20, 0x20, 0x3d]; // 'SIMPLE  ='
const NPY = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff]; // SOI followed by the next marker's 0xFF
const GZIP = [0x1f, 0x8b];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/**
 * The format of `bytes` judged by its leading bytes: FITS ('SIMPLE  =' at byte 0), NPY
 * (\x93NUMPY), PNG (its 8-byte signature), JPEG (FF D8 FF) or gzip (1F 8B); undefined otherwise.
 * A match says only how the file starts; the reader still validates the rest.
 */
export function sniffFormat(bytes: Uint8Array): SniffedFormat | undefined {
  if (startsWith(bytes, FITS)) return 'fits';
  if (startsWith(bytes, NPY)) return 'npy';
  if (startsWith(bytes, PNG)) return 'png';
  if (startsWith(bytes, JPEG)) return 'jpeg';
  if (startsWith(bytes, GZIP)) return 'gzip';
  return undefined;
}
