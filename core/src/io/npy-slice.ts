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

/** The slices of a multi-image NPY stack; throws the DarklensError readNpy would give for a bad file. */
export function sliceNpyStack(bytes: Uint8Array, maxImages: number, limits?: DecodeLimits): NpySlice[] {
  const l = npyLayout(bytes, limits);
  const imageBytes = l.height * l.width * l.itemSize;
  const slices: NpySlice[] = [];
  for (let first = 0; first < l.count; first += maxImages) {
    const count = Math.min(maxImages, l.count - first);
    const head = npyHeader([count, l.height, l.width], l.descr);
    const out = new Uint8Array(head.length + count * imageBytes);
    out.set(head, 0);
    out.set(bytes.subarray(l.dataOffset + first * imageBytes, l.dataOffset + (first + count) * imageBytes), head.length);
    slices.push({ first, count, bytes: out });
  }
  return slices;
}
