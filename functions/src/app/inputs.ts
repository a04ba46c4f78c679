/**
 * Request bodies to cutouts. The format is sniffed from the bytes by core's decoder; the declared
 * Content-Type only tells a multipart form from a raw file.
 */
import type { Context } from 'hono';
import {
  decodeCutout,
  decodeStack,
  DarklensError,
  gunzip,
  looksLikeTar,
  readTar,
  sniffFormat,
  stackToCutouts,
  type Cutout,
  type DecodeOptions,
} from '@darklens/core';
import type { ServiceLimits } from './config.js';

/** Content types documented for a raw file body (any type but multipart is read as the file). */
export const RAW_TYPES = [
  'application/octet-stream',
  'application/fits',
  'image/fits',
  'application/x-fits',
  'application/x-npy',
  'application/npy',
  'image/png',
  'image/jpeg',
  'application/gzip',
  'application/x-gzip',
  'application/x-tar',
] as const;

export function decodeOptions(limits: ServiceLimits, hdu?: number | string): DecodeOptions {
  const o: DecodeOptions = { limits: { maxSide: limits.maxSide, maxPixels: 1 << 28 }, maxGunzipBytes: limits.maxGunzipBytes };
  if (hdu !== undefined) o.hdu = hdu;
  return o;
}

/**
 * Any body that is not a multipart form is taken as the file itself and sniffed: curl's default
 * (application/x-www-form-urlencoded) and mislabelled uploads then score, and a body that is not a
 * cutout is refused by the decoder with 415 and what it starts with.
 */
function isMultipart(c: Context): boolean {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase() === 'multipart/form-data';
}

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

export interface Upload {
  files: UploadedFile[];
  /** Multipart string fields (options of the request). */
  fields: Record<string, string>;
}

/** Reads the body: a raw file, or every file and string field of a multipart form. */
export async function readUpload(c: Context, rawName = 'body'): Promise<Upload> {
  if (!isMultipart(c)) {
    return { files: [{ name: rawName, bytes: new Uint8Array(await c.req.arrayBuffer()) }], fields: {} };
  }
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch (e) {
    if (e instanceof DarklensError) throw e;
    throw new DarklensError('bad_header', `the multipart/form-data body could not be parsed (${e instanceof Error ? e.message : String(e)})`);
  }
  const files: UploadedFile[] = [];
  const fields: Record<string, string> = {};
  for (const [key, value] of form.entries()) {
    if (typeof value === 'string') fields[key] = value;
    else files.push({ name: value.name || key, bytes: new Uint8Array(await value.arrayBuffer()) });
  }
  return { files, fields };
}

/** Exactly one file for /v1/score. */
export function singleFile(upload: Upload): UploadedFile {
  if (upload.files.length !== 1) {
    throw new DarklensError('invalid_argument', `the form holds ${upload.files.length} files; /v1/score takes exactly one (use /v1/score/batch for many)`);
  }
  return upload.files[0]!;
}

export function decodeOne(file: UploadedFile, options: DecodeOptions): Cutout {
  return decodeCutout(file.bytes, options);
}

/** One cutout of a batch, decoded only when its turn comes so a large batch is never all in memory as floats. */
export interface BatchItem {
  name: string;
  load(): Cutout;
}

function tooMany(n: number, max: number, what: string): DarklensError {
  return new DarklensError('too_large', `the batch holds ${n} ${what}; accepted: at most ${max} per request (maxBatchItems)`);
}

/**
 * The tar archive a file is (plain or gzip-compressed), or undefined when it is not one: a gzipped
 * cutout stays as it is (the decoder unpacks it itself).
 */
export function tarOf(bytes: Uint8Array, maxGunzipBytes: number): Uint8Array | undefined {
  let b = bytes;
  if (sniffFormat(b) === 'gzip') {
    const inner = gunzip(b, maxGunzipBytes);
    if (looksLikeTar(inner)) b = inner;
  }
  return sniffFormat(b) === undefined && looksLikeTar(b) ? b : undefined;
}

/** A file of cutouts; `first` marks an NPY slice cut from a larger stack (its images are named by their place in that stack). */
export interface CutoutFile extends UploadedFile {
  first?: number;
}

/**
 * The cutouts of one file that is not a tar, in order: each image of an NPY stack (`name[i]`), or the
 * file itself. A stack that cannot be read becomes one item whose load() throws; `checkCount` may
 * refuse a stack by its image count before its items are made.
 */
export function fileItems(file: CutoutFile, options: DecodeOptions, checkCount?: (count: number) => void): BatchItem[] {
  if (sniffFormat(file.bytes) !== 'npy') return [{ name: file.name, load: () => decodeCutout(file.bytes, options) }];
  let stack;
  try {
    stack = decodeStack(file.bytes, options);
  } catch (e) {
    if (!(e instanceof DarklensError)) throw e;
    return [{ name: file.name, load: () => { throw e; } }];
  }
  checkCount?.(stack.count);
  const first = file.first ?? 0;
  const indexed = stack.count > 1 || file.first !== undefined;
  return stackToCutouts(stack).map((c, i) => ({ name: indexed ? `${file.name}[${first + i}]` : file.name, load: () => c }));
}

/**
 * The items of a batch upload, in order: each file of a multipart form, each image of an NPY stack,
 * each regular file of a tar (optionally gzipped), or a single image file. A file that cannot be
 * decoded becomes an item whose load() throws, so it fails alone.
 */
export function batchItems(upload: Upload, limits: ServiceLimits, options: DecodeOptions): BatchItem[] {
  const items: BatchItem[] = [];
  const max = limits.maxBatchItems;
  for (const file of upload.files) {
    const tar = tarOf(file.bytes, limits.maxGunzipBytes);
    if (tar !== undefined) {
      for (const entry of readTar(tar, { maxEntries: max })) {
        items.push({ name: entry.name, load: () => decodeCutout(entry.data, options) });
      }
    } else {
      items.push(...fileItems(file, options, (count) => {
        if (items.length + count > max) throw tooMany(items.length + count, max, 'images');
      }));
    }
    if (items.length > max) throw tooMany(items.length, max, 'files');
  }
  if (items.length === 0) throw new DarklensError('invalid_argument', 'the batch holds no files; send an NPY stack, a tar of cutouts, or a multipart form of files');
  return items;
}
