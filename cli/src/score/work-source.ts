/**
 * The local work source: input files as a numbered sequence of cutouts, read lazily. Planning reads
 * only what counting needs (an NPY preamble, a tar's entries); pieces(start, end) reads the bytes
 * of a range when its turn comes. Tars (and .tar.gz) become their entries (`archive.tar:entry`), NPY
 * stacks their images (`stack.npy[i]`), as a job of the service names them.
 */
import { open, readFile } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';
import { DarklensError, looksLikeTar, npyLayout, readTar, sniffFormat, type DecodeLimits } from '@darklens/core';
import { tarOf } from '@darklens/functions';
import { readError, type InputFile } from './input-files.js';
import { readSlice, readStackLayout, sliceFile, type StackLayout } from './npy-stack.js';
import type { Piece } from './scorer.js';

export interface WorkSource {
  /** Cutouts in all. */
  readonly total: number;
  /** The pieces holding cutouts [start, end), in order. */
  pieces(start: number, end: number): Promise<Piece[]>;
}

export interface SourceLimits {
  limits: DecodeLimits;
  maxGunzipBytes: number;
}

/** What one input (or one entry of an archive) holds. */
type Unit = { name: string; count: number } & (
  | { kind: 'error'; error: DarklensError }
  | { kind: 'file'; path: string }
  | { kind: 'stack'; path: string; layout: StackLayout }
  | { kind: 'archive'; path: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'stack-bytes'; bytes: Uint8Array; layout: StackLayout }
);

/** Enough of a gzip stream to see whether a tar is inside (inflating more would cost memory for nothing). */
const GZIP_PEEK = 4096;
const HEAD = 4096;
const ALL = Number.MAX_SAFE_INTEGER;

function isTarHead(head: Uint8Array): boolean {
  let bytes = head;
  if (sniffFormat(head) === 'gzip') {
    try {
      bytes = gunzipSync(head.subarray(0, GZIP_PEEK), { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return false; // a broken gzip: the decoder reports it
    }
  }
  return sniffFormat(bytes) === undefined && looksLikeTar(bytes);
}

/** An archive's entries as units; a multi-image NPY entry counts its images. */
function entryUnits(archive: string, bytes: Uint8Array, l: SourceLimits): Unit[] {
  const tar = tarOf(bytes, l.maxGunzipBytes) ?? bytes;
  return readTar(tar, { maxEntries: ALL }).map((e): Unit => {
    const name = `${archive}:${e.name}`;
    if (sniffFormat(e.data) === 'npy') {
      try {
        const layout = npyLayout(e.data, { ...l.limits, maxPixels: ALL });
        if (layout.count > 1) return { kind: 'stack-bytes', name, count: layout.count, bytes: e.data, layout };
      } catch {
        // the decoder reports what is wrong with it
      }
    }
    return { kind: 'bytes', name, count: 1, bytes: e.data };
  });
}

async function planFile(f: InputFile, l: SourceLimits): Promise<Unit> {
  if (f.unreadable !== undefined) return { kind: 'error', name: f.name, count: 1, error: f.unreadable };
  let fh;
  try {
    fh = await open(f.path, 'r');
    const head = new Uint8Array(Math.min(f.size, HEAD));
    await fh.read(head, 0, head.length, 0);
    if (sniffFormat(head) === 'npy') {
      const layout = await readStackLayout(fh, f.size, l.limits);
      return layout === undefined ? { kind: 'file', name: f.name, count: 1, path: f.path } : { kind: 'stack', name: f.name, count: layout.count, path: f.path, layout };
    }
    if (!isTarHead(head)) return { kind: 'file', name: f.name, count: 1, path: f.path };
  } catch (e) {
    return { kind: 'error', name: f.name, count: 1, error: readError(f.name, e) };
  } finally {
    await fh?.close();
  }
  // An archive is counted now and read again when its turn comes (see LocalWork.entries).
  try {
    const count = entryUnits(f.name, new Uint8Array(await readFile(f.path)), l).reduce((n, u) => n + u.count, 0);
    if (count === 0) return { kind: 'error', name: f.name, count: 1, error: new DarklensError('invalid_argument', `${f.name} is an archive without cutout files`) };
    return { kind: 'archive', name: f.name, count, path: f.path };
  } catch (e) {
    return { kind: 'error', name: f.name, count: 1, error: e instanceof DarklensError ? e : readError(f.name, e) };
  }
}

/** Plans the work of `files` (one at a time: a folder of many files never has them all open). */
export async function localWork(files: readonly InputFile[], limits: SourceLimits): Promise<WorkSource> {
  const units: Unit[] = [];
  for (const f of files) units.push(await planFile(f, limits));
  return new LocalWork(units, limits);
}

class LocalWork implements WorkSource {
  readonly total: number;
  /** Index of each unit's first cutout. */
  private readonly starts: number[] = [];
  /** The archives read last (steps in flight may share one). */
  private readonly archives = new Map<number, Promise<Unit[]>>();

  constructor(
    private readonly units: Unit[],
    private readonly limits: SourceLimits,
  ) {
    let n = 0;
    for (const u of units) {
      this.starts.push(n);
      n += u.count;
    }
    this.total = n;
  }

  async pieces(start: number, end: number): Promise<Piece[]> {
    const out: Piece[] = [];
    // The last unit starting at or before `start`.
    let lo = 0;
    let hi = this.units.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= start) lo = mid;
      else hi = mid - 1;
    }
    for (let k = lo; k < this.units.length && this.starts[k]! < end; k++) {
      const from = Math.max(0, start - this.starts[k]!);
      const to = Math.min(this.units[k]!.count, end - this.starts[k]!);
      if (from < to) out.push(...(await this.unitPieces(k, this.units[k]!, from, to)));
    }
    return out;
  }

  /** Pieces of cutouts [from, to) of a unit. */
  private async unitPieces(k: number, u: Unit, from: number, to: number): Promise<Piece[]> {
    const range = (error: DarklensError): Piece => (u.count === 1 ? { name: u.name, count: 1, error } : { name: u.name, first: from, count: to - from, error });
    switch (u.kind) {
      case 'error':
        return [range(u.error)];
      case 'bytes':
        return [{ name: u.name, count: 1, bytes: u.bytes }];
      case 'stack-bytes': {
        const size = u.layout.height * u.layout.width * u.layout.itemSize;
        const at = u.layout.dataOffset;
        return [{ name: u.name, first: from, count: to - from, bytes: sliceFile(u.layout, to - from, u.bytes.subarray(at + from * size, at + to * size)) }];
      }
      case 'file':
        try {
          return [{ name: u.name, count: 1, bytes: new Uint8Array(await readFile(u.path)) }];
        } catch (e) {
          return [range(readError(u.name, e))];
        }
      case 'stack': {
        let fh;
        try {
          fh = await open(u.path, 'r');
          return [{ name: u.name, first: from, count: to - from, bytes: await readSlice(fh, u.layout, from, to - from) }];
        } catch (e) {
          return [range(readError(u.name, e))];
        } finally {
          await fh?.close();
        }
      }
      case 'archive': {
        let entries;
        try {
          entries = await this.entries(k, u.path, u.name);
        } catch (e) {
          return [range(e instanceof DarklensError ? e : readError(u.name, e))];
        }
        if (entries.reduce((n, e) => n + e.count, 0) !== u.count) return [range(new DarklensError('unavailable', `${u.name} changed while it was being scored; score it again`))];
        const out: Piece[] = [];
        let at = 0;
        for (const e of entries) {
          const a = Math.max(from, at);
          const b = Math.min(to, at + e.count);
          if (a < b) out.push(...(await this.unitPieces(-1, e, a - at, b - at)));
          at += e.count;
        }
        return out;
      }
    }
  }

  /** An archive's entries, read once for the steps that need them (only the two latest archives are kept). */
  private entries(k: number, path: string, name: string): Promise<Unit[]> {
    let p = this.archives.get(k);
    if (p === undefined) {
      p = readFile(path).then((b) => entryUnits(name, new Uint8Array(b), this.limits));
      this.archives.set(k, p);
      for (const key of this.archives.keys()) if (key < k - 1) this.archives.delete(key);
    }
    return p;
  }
}
