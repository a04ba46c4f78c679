/**
 * An NPY stack cut into stacks of at most `maxImages` images, byte for byte (same dtype, no pixel
 * decoded): how a job splits a survey's stack into chunks without holding it as floats.
 */
import type { DecodeLimits } from '../cutout.js';
import { npyLayout } from './npy-read.js';
import { npyHeader } from './npy-write.js';

export interface NpySlice {
  /** Index of the slice's first image in the whole stack. */
  first: number;
  count: number;
  /** A complete .npy file of shape [count, height, width]. */
  bytes: Uint8Array;
}

/** A slice as its two parts: its NPY header and a view of its images' bytes in the stack (nothing copied). */
export interface NpySliceParts {
  first: number;
  count: number;
  header: Uint8Array;
  data: Uint8Array;
}

/**
 * The slices of a multi-image NPY stack as parts (npySliceParts) or as complete files (sliceNpyStack);
 * both throw the DarklensError readNpy would give for a bad file.
 */
export function npySliceParts(bytes: Uint8Array, maxImages: number, limits?: DecodeLimits): NpySliceParts[] {
  const l = npyLayout(bytes, limits);
  const imageBytes = l.height * l.width * l.itemSize;
  const slices: NpySliceParts[] = [];
  for (let first = 0; first < l.count; first += maxImages) {
    const count = Math.min(maxImages, l.count - first);
    const header = npyHeader([count, l.height, l.width], l.descr);
    slices.push({ first, count, header, data: bytes.subarray(l.dataOffset + first * imageBytes, l.dataOffset + (first + count) * imageBytes) });
  }
  return slices;
}

export function sliceNpyStack(bytes: Uint8Array, maxImages: number, limits?: DecodeLimits): NpySlice[] {
  return npySliceParts(bytes, maxImages, limits).map(({ first, count, header, data }) => {
    const out = new Uint8Array(header.length + data.length);
    out.set(header, 0);
    out.set(data, header.length);
    return { first, count, bytes: out };
  });
}
