/**
 * Shared helpers for the tfjs kernel tests (training/src/backend/*.test.ts): reproducible input data
 * and shape arithmetic. Test-only: nothing outside *.test.ts may import from this folder.
 */

/** A seeded LCG giving uniform values in [-0.5, 0.5): cheap, reproducible tensor contents. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** n values drawn from r, as float32. */
export const fill = (n: number, r: () => number): Float32Array => Float32Array.from({ length: n }, r);

/** The number of elements of a shape. */
export const prod = (shape: readonly number[]): number => shape.reduce((p, c) => p * c, 1);
