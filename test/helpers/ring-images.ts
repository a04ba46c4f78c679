/** Smooth ring-like test images in [0, 1] for model tests (image i has a ring of radius size * (0.2 + 0.03 i)). */
export function ringImages(n: number, size: number): Float32Array {
  const data = new Float32Array(n * size * size);
  for (let i = 0; i < n; i++) {
    const r0 = size * (0.2 + 0.03 * i);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const r = Math.hypot(x - size / 2 + 0.5, y - size / 2 + 0.5);
        data[i * size * size + y * size + x] = Math.exp(-((r - r0) ** 2) / 4);
      }
    }
  }
  return data;
}

/** Largest absolute elementwise difference. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}
