/**
 * Deterministic random numbers for the simulator. Every image draws from its own generator, seeded
 * by hashing (run seed, image index, stream id), so an image never depends on which worker made it
 * or on how many images came before it. Only 32-bit integer ops and IEEE double arithmetic are used,
 * so the sequence is the same on every machine.
 */
import { SeededRng } from '@darklens/core';

/** Mixes 32-bit words into one well-distributed 32-bit seed (murmur3 finalizer over a running hash). */
export function hashSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    let k = Math.imul(w >>> 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= words.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Stream ids: the macro model, the subhalos and the noise use independent generators. */
export const STREAM = { macro: 1, subhalos: 2, noise: 3 } as const;

/**
 * The simulator's generator: core's xoshiro128** (`SeededRng`: `nextU32`, `uniform`, `uniform32`,
 * `range`, `normal`) plus Poisson deviates.
 */
export class Rng extends SeededRng {
  /** Poisson deviate: inversion for small means, Hoermann's PTRS transformed rejection otherwise. */
  poisson(mean: number): number {
    if (!(mean > 0)) return 0;
    if (mean < 10) {
      // Sequential inversion: exact, at most a few dozen steps for mean < 10.
      let k = 0;
      let p = Math.exp(-mean);
      let cdf = p;
      const u = this.uniform();
      while (u > cdf && k < 1000) {
        k++;
        p *= mean / k;
        cdf += p;
      }
      return k;
    }
    // PTRS (Hoermann 1993). The fast acceptance path, taken ~85% of the time, needs no logarithm.
    const slam = Math.sqrt(mean);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.uniform32() - 0.5;
      const v = this.uniform32();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
      const lhs = Math.log((v * invAlpha) / (a / (us * us) + b));
      const rhs = -mean + k * Math.log(mean) - logFactorial(k);
      if (lhs <= rhs) return k;
    }
  }
}

const LOG_FACT_TABLE = (() => {
  const t = new Float64Array(256);
  for (let i = 1; i < t.length; i++) t[i] = t[i - 1]! + Math.log(i);
  return t;
})();

/** ln(k!) exactly from a table below 256, Stirling's series above (error < 1e-12 there). */
export function logFactorial(k: number): number {
  if (k < LOG_FACT_TABLE.length) return LOG_FACT_TABLE[k]!;
  const x = k + 1;
  const inv = 1 / x;
  const inv2 = inv * inv;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}
