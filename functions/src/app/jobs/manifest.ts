/** The record of an accepted job (written once, at acceptance) and its chunks' inputs. */
import { DarklensError } from '@darklens/core';
import { getJson, type BlobStore } from './blob-store.js';
import type { ChunkFile } from './intake.js';
import { manifestKey } from './layout.js';

export interface JobManifest {
  id: string;
  createdAt: string;
  /** Epoch ms after which the job and its results are removed. */
  expiresAt: number;
  /** The scoring parameters, as the request gave them (parsed again by each chunk). */
  query: Record<string, string>;
  source: { kind: 'upload'; files: string[] } | { kind: 'keys'; keys: number; prefix: string | null };
  /** Items in all; for keys, known only when every chunk has expanded its objects (null until then). */
  items: number | null;
  chunks: number;
  /** Items (uploads) or object keys (keys) per chunk. */
  chunkSize: number;
}

export async function readManifest(store: BlobStore, id: string): Promise<JobManifest> {
  if (!/^[a-z0-9]{8,40}$/.test(id)) throw new DarklensError('not_found', `no job ${id.slice(0, 60)}`);
  const m = await getJson<JobManifest>(store, manifestKey(id));
  if (m === undefined) throw new DarklensError('not_found', `no job ${id}: it never existed, or its results expired and were removed`);
  return m;
}

/** One chunk's input: cutout files (of an upload) or object keys (read from the inputs store). */
export type ChunkInput = { kind: 'files'; files: ChunkFile[] } | { kind: 'keys'; keys: string[] };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A chunk file as the intake cuts it: its bytes in parts (a stack slice: its new NPY header, then a view
 * of its images in the upload), so that encoding the chunk copies each byte once.
 */
export interface ChunkFileParts {
  name: string;
  parts: readonly Uint8Array[];
  first?: number;
}

/** A chunk input before it is encoded: files in parts, or object keys. */
export type ChunkSource = { kind: 'files'; files: ChunkFileParts[] } | { kind: 'keys'; keys: string[] };

/** A chunk input as bytes: one JSON line (names and lengths), then the files' bytes back to back. */
export function encodeChunkInput(input: ChunkInput | ChunkSource): Uint8Array {
  if (input.kind === 'keys') return encoder.encode(`${JSON.stringify({ keys: input.keys })}\n`);
  const files = input.files.map((f) => {
    const parts = 'parts' in f ? f.parts : [f.bytes];
    return { name: f.name, first: f.first, parts, length: parts.reduce((n, p) => n + p.length, 0) };
  });
  const head = encoder.encode(`${JSON.stringify({ files: files.map((f) => ({ name: f.name, length: f.length, ...(f.first === undefined ? {} : { first: f.first }) })) })}\n`);
  const out = new Uint8Array(head.length + files.reduce((n, f) => n + f.length, 0));
  out.set(head, 0);
  let at = head.length;
  for (const f of files) {
    for (const p of f.parts) {
      out.set(p, at);
      at += p.length;
    }
  }
  return out;
}

export function decodeChunkInput(bytes: Uint8Array): ChunkInput {
  const nl = bytes.indexOf(10);
  if (nl < 0) throw new Error('chunk input without its header line');
  const head = JSON.parse(decoder.decode(bytes.subarray(0, nl))) as { keys?: string[]; files?: { name: string; length: number; first?: number }[] };
  if (head.keys !== undefined) return { kind: 'keys', keys: head.keys };
  let at = nl + 1;
  const files = (head.files ?? []).map((f) => {
    const file: ChunkFile = { name: f.name, bytes: bytes.subarray(at, at + f.length) };
    if (f.first !== undefined) file.first = f.first;
    at += f.length;
    return file;
  });
  if (at !== bytes.length) throw new Error(`chunk input holds ${bytes.length - at} bytes more than its header lists`);
  return { kind: 'files', files };
}
