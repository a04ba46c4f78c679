/**
 * Feed planes handed to the worker threads as shared memory instead of cloned into every message.
 *
 * The models of a set all get the same batch (scoring.ts gives them one BatchFeeds): cloned, its
 * megabyte of planes would be serialized on the main thread once per model, and the main thread is
 * the one that prepares cutouts. SharedPlanes are the engine's FeedPlanes: the batch is built right in
 * shared memory, reused once its runs are answered (fresh memory costs page faults on every batch).
 * SharedFeeds.lend copies any other plane into shared memory once, however many runs in flight use it.
 * The worker copies a plane out (OwnedPlanes) into memory of its own for onnxruntime, which refuses
 * shared memory, before it answers.
 */
import type { FeedPlanes, Tensor } from '../app/engine.js';

/** Free planes kept per length: a few batches in flight, each an input and a noise plane or two. */
const KEEP = 32;

/** Float32Arrays over SharedArrayBuffers, reused. */
export class SharedPlanes implements FeedPlanes {
  private readonly free = new Map<number, Float32Array[]>();

  take(length: number): Float32Array {
    return this.free.get(length)?.pop() ?? new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
  }

  give(plane: Float32Array): void {
    if (!(plane.buffer instanceof SharedArrayBuffer) || plane.byteOffset !== 0 || plane.byteLength !== plane.buffer.byteLength) return;
    let list = this.free.get(plane.length);
    if (list === undefined) this.free.set(plane.length, (list = []));
    if (list.length < KEEP && !list.includes(plane)) list.push(plane);
  }
}

interface Lent {
  shared: Float32Array;
  runs: number;
}

export class SharedFeeds {
  private readonly lent = new Map<Float32Array, Lent>();

  /** The feeds of a run with every plane in shared memory; give them back with `settle` when the run is answered. */
  lend(feeds: Record<string, Tensor>): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      if (t.data.buffer instanceof SharedArrayBuffer) {
        out[name] = t;
        continue;
      }
      let l = this.lent.get(t.data);
      if (l === undefined) {
        const shared = new Float32Array(new SharedArrayBuffer(t.data.byteLength));
        shared.set(t.data);
        l = { shared, runs: 0 };
        this.lent.set(t.data, l);
      }
      l.runs++;
      out[name] = { dims: t.dims, data: l.shared };
    }
    return out;
  }

  /** A run of `feeds` is over: copies no other run in flight uses are forgotten. */
  settle(feeds: Record<string, Tensor>): void {
    for (const t of Object.values(feeds)) {
      const l = this.lent.get(t.data);
      if (l !== undefined && --l.runs === 0) this.lent.delete(t.data);
    }
  }

  /** Copies lent now (for tests). */
  get size(): number {
    return this.lent.size;
  }
}

/**
 * The worker side: a shared plane copied out into memory of the thread's own, which onnxruntime
 * accepts. One buffer per feed name, reused run after run, so the thread allocates nothing per run;
 * the caller must finish a run before it copies the next one's planes. Planes of its own pass as they are.
 */
export class OwnedPlanes {
  private readonly buffers = new Map<string, Float32Array>();

  plane(name: string, data: Float32Array): Float32Array {
    if (!(data.buffer instanceof SharedArrayBuffer)) return data;
    let own = this.buffers.get(name);
    if (own?.length !== data.length) this.buffers.set(name, (own = new Float32Array(data.length)));
    own.set(data);
    return own;
  }
}
