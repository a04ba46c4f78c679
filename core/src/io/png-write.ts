/**
 * 8-bit PNG encoding for previews, contact sheets and debug images. Runtime-agnostic: takes and
 * returns plain Uint8Arrays, no Node APIs.
 */
import { encode } from 'fast-png';
import { DarklensError } from '../errors.js';

/** Largest width or height accepted (PNG itself allows 2^31-1, but nothing we render comes close). */
export const PNG_MAX_SIDE = 1 << 16;

function checkImage(width: number, height: number, pixels: Uint8Array, channels: number): void {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new DarklensError('invalid_argument', `PNG ${name} must be a positive integer, got ${String(v)}`);
    }
    if (v > PNG_MAX_SIDE) {
      throw new DarklensError('too_large', `PNG ${name} ${v} exceeds the limit of ${PNG_MAX_SIDE}`);
    }
  }
  if (!(pixels instanceof Uint8Array)) {
    throw new DarklensError('invalid_argument', 'PNG pixels must be a Uint8Array');
  }
  const expected = width * height * channels;
  if (pixels.length !== expected) {
    throw new DarklensError(
      'invalid_argument',
      `PNG pixel buffer has ${pixels.length} bytes, expected ${width}x${height}x${channels} = ${expected}`,
    );
  }
}

/** Encode a grayscale image (one byte per pixel, row-major, top row first) as an 8-bit PNG. */
export function encodePngGray(width: number, height: number, pixels: Uint8Array): Uint8Array {
  checkImage(width, height, pixels, 1);
  return encode({ width, height, data: pixels, depth: 8, channels: 1 });
}

/** Encode an RGB image (three interleaved bytes per pixel, row-major, top row first) as an 8-bit PNG. */
export function encodePngRgb(width: number, height: number, pixels: Uint8Array): Uint8Array {
  checkImage(width, height, pixels, 3);
  return encode({ width, height, data: pixels, depth: 8, channels: 3 });
}
