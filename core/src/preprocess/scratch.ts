/**
 * Working buffers reused from one cutout to the next, so that preprocessing a cutout allocates little
 * more than its outputs (the garbage collector otherwise costs as much as the arithmetic).
 *
 * Only for synchronous code that finishes with the buffer before it returns: a buffer must never be
 * returned, stored or held across an await. Each user keeps its own instances, so a function may call
 * another that uses scratch buffers too. The contents are whatever the last user left: write before
 * reading. Sizes above MAX_KEPT are allocated afresh each time rather than kept for the process's life.
 */

/** Largest buffer (elements) kept between calls: a 256x256 grid. */
const MAX_KEPT = 1 << 16;

type TypedArray = Float64Array | Int32Array | Uint8Array;

class Scratch<T extends TypedArray> {
  private buffer: T;
  private view: T;

  constructor(private readonly make: (n: number) => T) {
    this.buffer = make(0);
    this.view = this.buffer;
  }

  /** A buffer of exactly n elements (stale contents). */
  get(n: number): T {
    if (n > MAX_KEPT) return this.make(n);
    if (this.view.length === n) return this.view;
    if (this.buffer.length < n) this.buffer = this.make(n);
    this.view = this.buffer.subarray(0, n) as T;
    return this.view;
  }
}

export const float64Scratch = (): Scratch<Float64Array> => new Scratch((n) => new Float64Array(n));
export const int32Scratch = (): Scratch<Int32Array> => new Scratch((n) => new Int32Array(n));
export const uint8Scratch = (): Scratch<Uint8Array> => new Scratch((n) => new Uint8Array(n));
