/**
 * An accepted job's work, cut into chunks: an upload (NPY stacks, tars, cutout files) into chunks of
 * `chunkSize` cutouts, object keys into chunks of `chunkSize` keys. Each chunk's input is written
 * to the store before any message names it.
 */
import { DarklensError, npyLayout, npySliceParts, readTar, sniffFormat, type DecodeOptions } from '@darklens/core';
import type { ServiceLimits } from '../config.js';
import { tarOf, type UploadedFile } from '../inputs.js';
import type { ChunkFileParts, ChunkSource } from './manifest.js';

/** One file of a chunk; `first` numbers the items of a stack slice within the original stack. */
export interface ChunkFile {
  name: string;
  bytes: Uint8Array;
  /** Index of the slice's first image in the stack it was cut from (stack slices only). */
  first?: number;
}

/** A chunk file of the intake and the cutouts it holds. */
export type Piece = ChunkFileParts & { count: number };

/**
 * The upload's cutouts as chunk files in order: a tar becomes its entries, an NPY stack slices of at
 * most `chunkSize` images (a new header and a view of the upload: nothing copied yet), anything else
 * (including a file that cannot be read: it fails when its chunk runs, as one item) itself. `items`
 * counts the cutouts.
 */
export function uploadPieces(files: UploadedFile[], limits: ServiceLimits, options: DecodeOptions, maxItems: number, chunkSize: number): { pieces: Piece[]; items: number } {
  const pieces: Piece[] = [];
  let items = 0;
  const add = (p: Piece): void => {
    items += p.count;
    if (items > maxItems) throw new DarklensError('too_large', `the job holds more than ${maxItems} cutouts; accepted: at most ${maxItems} per job (split the work into several jobs)`);
    pieces.push(p);
  };
  const addFile = (name: string, bytes: Uint8Array): void => {
    if (sniffFormat(bytes) !== 'npy') return add({ name, parts: [bytes], count: 1 });
    // The pixel limit is per decoded slice (a job's stack may be any length); the side limit holds.
    const limits = options.limits === undefined ? undefined : { ...options.limits, maxPixels: Number.MAX_SAFE_INTEGER };
    let count;
    try {
      count = npyLayout(bytes, limits).count;
    } catch {
      return add({ name, parts: [bytes], count: 1 });
    }
    if (count === 1) return add({ name, parts: [bytes], count: 1 });
    // Cut byte for byte (same dtype): a survey's stack is never held as floats here.
    for (const s of npySliceParts(bytes, chunkSize, limits)) add({ name, first: s.first, count: s.count, parts: [s.header, s.data] });
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
export function packChunks(pieces: Piece[], chunkSize: number): ChunkSource[] {
  const chunks: ChunkSource[] = [];
  let files: ChunkFileParts[] = [];
  let count = 0;
  for (const p of pieces) {
    if (count > 0 && count + p.count > chunkSize) {
      chunks.push({ kind: 'files', files });
      files = [];
      count = 0;
    }
    files.push(p.first === undefined ? { name: p.name, parts: p.parts } : { name: p.name, parts: p.parts, first: p.first });
    count += p.count;
  }
  if (files.length > 0) chunks.push({ kind: 'files', files });
  return chunks;
}

/** Object keys in chunks of `chunkSize`. */
export function keyChunks(keys: string[], chunkSize: number): ChunkSource[] {
  const chunks: ChunkSource[] = [];
  for (let i = 0; i < keys.length; i += chunkSize) chunks.push({ kind: 'keys', keys: keys.slice(i, i + chunkSize) });
  return chunks;
}
