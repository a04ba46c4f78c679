/**
 * Feed planes lent to the worker threads as shared memory instead of cloned into every message.
 *
 * The models of a set all get the same batch (scoring.ts gives them one BatchFeeds): cloned, its
 * megabyte of planes would be serialized on the main thread once per model, and the main thread is
 * the one that prepares cutouts. Here a plane is copied into a SharedArrayBuffer once, on its first
 * run, and every message of the runs in flight on it carries that shared memory; the worker copies it
 * out for onnxruntime (which refuses shared memory). A copy lives only while a run that uses it is in
 * flight, so a caller may refill its array once its runs are answered.
 */
import type { Tensor } from '../app/engine.js';

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

  /** A run of `feeds` is over: planes no other run in flight uses are forgotten. */
  settle(feeds: Record<string, Tensor>): void {
    for (const t of Object.values(feeds)) {
      const l = this.lent.get(t.data);
      if (l !== undefined && --l.runs === 0) this.lent.delete(t.data);
    }
  }

  /** Planes lent now (for tests). */
  get size(): number {
    return this.lent.size;
  }
}

/** A plane onnxruntime accepts: one in shared memory is copied out (the worker side of SharedFeeds). */
export function ownedPlane(data: Float32Array): Float32Array {
  return data.buffer instanceof SharedArrayBuffer ? data.slice() : data;
}
