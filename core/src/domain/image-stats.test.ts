import { describe, expect, it } from 'vitest';
import { SeededRng } from '../random.js';
import { prepareCutout } from '../preprocess/prepare.js';
import { imageStats } from './image-stats.js';

const N = 64;

/** A Gaussian ring of radius r and width w (pixels) plus white noise of sigma (relative to the peak), prepared as the service does. */
function ring(r: number, w: number, sigma: number, seed = 1) {
  const rng = new SeededRng(seed);
  const data = new Float32Array(N * N);
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
    const d = Math.hypot(x - 31.5, y - 31.5) - r;
    data[y * N + x] = Math.exp(-(d * d) / (2 * w * w)) + sigma * rng.normal();
  }
  return imageStats(prepareCutout({ width: N, height: N, data, masked: 0, format: 'npy', meta: {} }, { width: N, height: N, pixelScale: 0.1 }), N, N);
}

describe('image statistics of the guard', () => {
  it('measures the lens radius in pixels', () => {
    expect(ring(8, 1.5, 0.01).radius).toBeCloseTo(8, 0);
    expect(ring(14, 1.5, 0.01).radius).toBeCloseTo(14, 0);
  });

  it('measures sharper structure as narrower, and keeps that order through noise', () => {
    const narrow = ring(12, 1.2, 0.01).sharpness;
    const wide = ring(12, 2.4, 0.01).sharpness;
    expect(wide).toBeGreaterThan(1.5 * narrow);
    // Noise is taken out of the sums: a noisy ring reads about as wide as a clean one.
    expect(ring(12, 2.4, 0.05, 3).sharpness).toBeGreaterThan(0.8 * wide);
    expect(ring(12, 2.4, 0.05, 3).sharpness).toBeLessThan(1.2 * wide);
  });

  it('measures the noise relative to the image range', () => {
    const quiet = ring(12, 1.5, 0.005).noise;
    const loud = ring(12, 1.5, 0.05).noise;
    expect(loud / quiet).toBeGreaterThan(5);
    expect(loud / quiet).toBeLessThan(15);
  });
});
