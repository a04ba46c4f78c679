/**
 * A job's results as one stream in input order: the finished chunks' lines, numbered, up to the first
 * chunk not finished yet (a running job's results so far; the caller says whether they are complete).
 * Memory stays at one chunk's lines.
 */
import type { BlobStore } from './blob-store.js';
import { resultKey } from './layout.js';
import type { JobManifest } from './manifest.js';
import type { JobProgress } from './status.js';

export interface ResultFormat {
  contentType: string;
  /** Text before the first line (a CSV header), if any. */
  head?: string;
  /** One output line (with its newline) from a stored line (JSON text without its index) and its index. */
  line(stored: string, index: number): string;
}

export const NDJSON_FORMAT: ResultFormat = {
  contentType: 'application/x-ndjson; charset=utf-8',
  // Stored lines start with '{"name":'; the index goes first, as on the batch route.
  line: (stored, index) => `{"index":${index},${stored.slice(1)}\n`,
};

/** The chunks whose lines can be streamed now: 0, 1, ... up to the first unfinished one. */
export function readyChunks(m: JobManifest, p: JobProgress): number {
  let n = 0;
  while (n < m.chunks && p.done.has(n)) n++;
  return n;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Every stored line of the first `chunks` chunks, in order, one chunk read at a time. */
export async function* storedLines(store: BlobStore, id: string, chunks: number): AsyncGenerator<string> {
  for (let c = 0; c < chunks; c++) {
    const bytes = await store.get(resultKey(id, c));
    if (bytes === undefined) throw new Error(`job ${id}: chunk ${c} is marked done but its results are missing`);
    for (const line of decoder.decode(bytes).split('\n')) if (line.length > 0) yield line;
  }
}

/** The lines of the first `chunks` chunks in `format`, then `tail` (a summary line) if given. */
export function resultStream(store: BlobStore, id: string, chunks: number, format: ResultFormat, tail?: string): ReadableStream<Uint8Array> {
  const lines = storedLines(store, id, chunks);
  let index = 0;
  let headSent = format.head === undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let out = '';
      if (!headSent) {
        out += format.head;
        headSent = true;
      }
      // About 256 lines per enqueue: few small writes, bounded memory.
      for (let k = 0; k < 256; k++) {
        const next = await lines.next();
        if (next.done === true) {
          if (tail !== undefined) out += tail;
          if (out.length > 0) controller.enqueue(encoder.encode(out));
          controller.close();
          return;
        }
        out += format.line(next.value, index++);
      }
      controller.enqueue(encoder.encode(out));
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
}
