import { describe, expect, it } from 'vitest';
import type { GraphContract } from '../onnx/contract.js';
import type { PreparedCutout } from '../preprocess/prepare.js';
import type { FeedPlanes, ModelSession, Tensor } from './engine.js';
import { BatchFeeds, graphFeeds, runBatch, runScores } from './run-scores.js';

const GRID = { width: 3, height: 2 };
const PLAIN: GraphContract = { scores: ['mse'], noiseAware: false, residual: false };
const NOISY: GraphContract = { scores: ['mse', 'chi2'], noiseAware: true, residual: false };

function cutout(k: number): PreparedCutout {
  const pixels = Float32Array.from({ length: 6 }, (_, i) => k + i / 10);
  return { pixels, masked: 0, assumedPixelScale: false, noise: { variance: new Float32Array(6).fill(k / 100), background: k / 1000, gain: k / 10, source: 'estimated' } };
}

/** A session whose scores are the sum of each item's input (and, for chi2, of its variance), recording its feeds. */
function session(seen: Record<string, Tensor>[] = []): ModelSession {
  return {
    inputNames: ['input'],
    outputNames: ['reconstruction', 'score', 'score_chi2'],
    run(feeds) {
      seen.push(feeds);
      const n = feeds.input!.dims[0]!;
      const sum = (t: Tensor | undefined, j: number): number => (t === undefined ? 0 : t.data.subarray(j * 6, (j + 1) * 6).reduce((a, b) => a + b, 0));
      return Promise.resolve({
        score: { dims: [n], data: Float32Array.from({ length: n }, (_, j) => sum(feeds.input, j)) },
        score_chi2: { dims: [n], data: Float32Array.from({ length: n }, (_, j) => sum(feeds.variance, j)) },
        reconstruction: { dims: [n, 1, 2, 3], data: feeds.input!.data.slice() },
      });
    },
    release: () => Promise.resolve(),
  };
}

describe('BatchFeeds', () => {
  it('builds each plane once and gives it to every graph that takes it', () => {
    const chunk = [cutout(1), cutout(2)];
    const feeds = new BatchFeeds(GRID, chunk);
    const plain = feeds.for(PLAIN);
    const noisy = feeds.for(NOISY);
    expect(Object.keys(plain)).toEqual(['input']);
    expect(Object.keys(noisy)).toEqual(['input', 'variance', 'noise']);
    expect(noisy.input).toBe(plain.input);
    expect(feeds.for(NOISY).variance).toBe(noisy.variance);
    expect(Array.from(noisy.input!.data)).toEqual(Array.from([...chunk[0]!.pixels, ...chunk[1]!.pixels]));
    expect(noisy.input!.dims).toEqual([2, 1, 2, 3]);
    expect(Array.from(noisy.noise!.data)).toEqual(Array.from(Float32Array.of(0.001, 0.1, 0.002, 0.2)));
    // graphFeeds gives the same values in arrays of its own
    const alone = graphFeeds(NOISY, GRID, chunk);
    expect(alone.input!.data).not.toBe(noisy.input!.data);
    expect(Array.from(alone.variance!.data)).toEqual(Array.from(noisy.variance!.data));
  });

  it("builds in the engine's planes and hands them back when done", () => {
    const taken: Float32Array[] = [];
    const given: Float32Array[] = [];
    const planes: FeedPlanes = {
      take: (n) => {
        const p = new Float32Array(n).fill(NaN); // stale contents must be overwritten
        taken.push(p);
        return p;
      },
      give: (p) => void given.push(p),
    };
    const feeds = new BatchFeeds(GRID, [cutout(3)], planes);
    const f = feeds.for(NOISY);
    expect(taken).toEqual([f.input!.data, f.variance!.data, f.noise!.data]);
    expect(f.input!.data.every(Number.isFinite) && f.variance!.data.every(Number.isFinite)).toBe(true);
    feeds.done();
    expect(given).toEqual(taken);
  });
});

describe('runBatch and runScores', () => {
  it('score every item in batches, the same as one batch at a time', async () => {
    const items = Array.from({ length: 5 }, (_, k) => cutout(k));
    const seen: Record<string, Tensor>[] = [];
    const all = await runScores(session(seen), NOISY, GRID, items, { scores: ['mse', 'chi2'], batch: 2, reconstructions: true });
    expect(seen.map((f) => f.input!.dims[0])).toEqual([2, 2, 1]);
    const one = await runBatch(session(), NOISY, new BatchFeeds(GRID, items.slice(2, 4)), { scores: ['chi2'] });
    expect(Array.from(one.scores.get('chi2')!)).toEqual(Array.from(all.scores.get('chi2')!.subarray(2, 4)));
    expect(one.reconstructions).toBeUndefined();
    expect(all.reconstructions!.map((r) => r[0])).toEqual(items.map((c) => c.pixels[0]));
    expect(Array.from(all.scores.get('mse')!)).toEqual(items.map((c) => Math.fround(c.pixels.reduce((a, b) => a + b, 0))));
  });

  it('refuses a score the graph does not compute', async () => {
    await expect(runBatch(session(), PLAIN, new BatchFeeds(GRID, [cutout(1)]), { scores: ['chi2'] })).rejects.toThrow(/score "chi2" is not computed by this model; it offers: mse/);
  });
});
