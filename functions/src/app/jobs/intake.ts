/**
 * An accepted job's work, cut into chunks: an upload (NPY stacks, tars, cutout files) into chunks of
 * `chunkSize` cutouts, object keys into chunks of `chunkSize` keys. Each chunk's input is written
 * to the store before any message names it.
 */
import { DarklensError, npyLayout, readTar, sliceNpyStack, sniffFormat, type DecodeOptions } from '@darklens/core';
import type { ServiceLimits } from '../config.js';
import { tarOf, type UploadedFile } from '../inputs.js';
import type { ChunkInput } from './manifest.js';

/** One file of a chunk; `first` numbers the items of a stack slice within the original stack. */
export interface ChunkFile {
  name: string;
  bytes: Uint8Array;
  /** Index of the slice's first image in the stack it was cut from (stack slices only). */
  first?: number;
}

/**
 * The upload's cutouts as chunk files in order: a tar becomes its entries, an NPY stack slices of at
 * most `chunkSize` images, anything else (including a file that cannot be read: it fails when its
 * chunk runs, as one item) itself. `items` counts the cutouts.
 */
export function uploadPieces(files: UploadedFile[], limits: ServiceLimits, options: DecodeOptions, maxItems: number, chunkSize: number): { pieces: (ChunkFile & { count: number })[]; items: number } {
  const pieces: (ChunkFile & { count: number })[] = [];
  let items = 0;
  const add = (p: ChunkFile & { count: number }): void => {
    items += p.count;
    if (items > maxItems) throw new DarklensError('too_large', `the job holds more than ${maxItems} cutouts; accepted: at most ${maxItems} per job (split the work into several jobs)`);
    pieces.push(p);
  };
  const addFile = (name: string, bytes: Uint8Array): void => {
    if (sniffFormat(bytes) !== 'npy') return add({ name, bytes, count: 1 });
    // The pixel limit is per decoded slice (a job's stack may be any length); the side limit holds.
    const limits = options.limits === undefined ? undefined : { ...options.limits, maxPixels: Number.MAX_SAFE_INTEGER };
    let count;
    try {
      count = npyLayout(bytes, limits).count;
    } catch {
      return add({ name, bytes, count: 1 });
    }
    if (count === 1) return add({ name, bytes, count: 1 });
    // Cut byte for byte (same dtype): a survey's stack is never held as floats here.
    for (const s of sliceNpyStack(bytes, chunkSize, limits)) add({ name, first: s.first, count: s.count, bytes: s.bytes });
  };
  for (const file of files) {
    const tar = tarOf(file.bytes, limits.maxGunzipBytes);
    if (tar !== undefined) for (const entry of readTar(tar, { maxEntries: maxItems })) addFile(`${file.name}:${entry.name}`, entry.data);
    else addFile(file.name, file.bytes);
  }
  if (items === 0) throw new DarklensError('invalid_argument', 'the job holds no cutouts; send an NPY stack, a tar of cutouts, or a multipart form of files');
  return { pieces, items };
}

/** Packs pieces into chunk inputs of at most `chunkSize` cutouts (a stack slice is never split further). */
export function packChunks(pieces: (ChunkFile & { count: number })[], chunkSize: number): ChunkInput[] {
  const chunks: ChunkInput[] = [];
  let files: ChunkFile[] = [];
  let count = 0;
  for (const p of pieces) {
    if (count > 0 && count + p.count > chunkSize) {
      chunks.push({ kind: 'files', files });
      files = [];
      count = 0;
    }
    files.push(p.first === undefined ? { name: p.name, bytes: p.bytes } : { name: p.name, bytes: p.bytes, first: p.first });
    count += p.count;
  }
  if (files.length > 0) chunks.push({ kind: 'files', files });
  return chunks;
}

/** Object keys in chunks of `chunkSize`. */
export function keyChunks(keys: string[], chunkSize: number): ChunkInput[] {
  const chunks: ChunkInput[] = [];
  for (let i = 0; i < keys.length; i += chunkSize) chunks.push({ kind: 'keys', keys: keys.slice(i, i + chunkSize) });
  return chunks;
}
