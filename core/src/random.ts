/**
 * The one seeded pseudo-random generator of darklens: xoshiro128** (Blackman & Vigna) seeded through
 * splitmix32. The simulator (training's `Rng`, which adds Poisson deviates) and the calibration
 * bootstrap (`CalibrationRng`, which checks its seed) both build on it. Only 32-bit integer ops and
 * IEEE double arithmetic are used, so the sequence is the same on every JavaScript engine and machine.
 *
 * The simulator's golden output hashes pin this sequence: changing the seeding or the arithmetic of
 * any method changes every simulated image.
 */

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** xoshiro128** seeded through splitmix32; never Math.random. */
export class SeededRng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  /** `seed` is taken modulo 2^32 (`seed >>> 0`); no validation here (see `CalibrationRng` for that). */
  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix32 = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.setState(splitmix32(), splitmix32(), splitmix32(), splitmix32());
  }

  /** A generator (of the class it is called on) with the given raw xoshiro128** state, for reference test vectors. */
  static fromState<T extends SeededRng>(this: new (seed: number) => T, a: number, b: number, c: number, d: number): T {
    const rng = new this(0);
    rng.setState(a, b, c, d);
    return rng;
  }

  private setState(a: number, b: number, c: number, d: number): void {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** Next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits (two 32-bit draws). */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform double in [0, 1) with 32 random bits (one draw): enough where only an acceptance test uses it. */
  uniform32(): number {
    return this.nextU32() * 2.3283064365386963e-10;
  }

  /** Uniform double in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /**
   * Uniform integer in [0, n) for a positive integer n: multiply-shift of one 32-bit draw while the
   * product is exact (n <= 2^21; bias below n / 2^32), a 53-bit `uniform` draw above.
   */
  int(n: number): number {
    if (n <= 2097152) return Math.floor((this.nextU32() * n) / 4294967296);
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal deviate (Box-Muller, one value per call and no cached second value). */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
