import { hashSeed } from './rng.js';
import { simulateToFiles, type SimulationManifest } from './output.js';
import type { LensClass, SimulationSpec } from './presets.js';

/** The reference tool's standard files: a no_sub training set and one test set per class. */
export const SPLITS: readonly { name: string; klass: LensClass; role: 'train' | 'test' }[] = [
  { name: 'no_sub_train', klass: 'no_sub', role: 'train' },
  { name: 'no_sub_test', klass: 'no_sub', role: 'test' },
  { name: 'spherical_test', klass: 'spherical', role: 'test' },
  { name: 'vortex_test', klass: 'vortex', role: 'test' },
];

export interface BuildSplitsOptions {
  spec: SimulationSpec;
  outDir: string;
  seed: number;
  trainCount: number;
  testCount: number;
  fits?: boolean;
  threads?: number;
  onProgress?: (done: number, total: number, split: string) => void;
  signal?: AbortSignal;
}

/**
 * Each split gets its own seed derived from the run seed and the split name, so no test image is a
 * twin (same macro model and noise) of a training image.
 */
export function splitSeed(seed: number, split: string): number {
  const words = Array.from(split, (ch) => ch.charCodeAt(0));
  return hashSeed(seed, 0x5e1f, ...words);
}

export async function buildSplits(o: BuildSplitsOptions): Promise<{ splits: SimulationManifest[] }> {
  const total = SPLITS.reduce((n, s) => n + (s.role === 'train' ? o.trainCount : o.testCount), 0);
  let before = 0;
  const splits: SimulationManifest[] = [];
  for (const s of SPLITS) {
    const count = s.role === 'train' ? o.trainCount : o.testCount;
    const offset = before;
    splits.push(
      await simulateToFiles({
        spec: o.spec,
        klass: s.klass,
        count,
        seed: splitSeed(o.seed, s.name),
        outDir: o.outDir,
        name: s.name,
        ...(o.fits !== undefined ? { fits: o.fits } : {}),
        ...(o.threads !== undefined ? { threads: o.threads } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        onProgress: (done) => o.onProgress?.(offset + done, total, s.name),
      }),
    );
    before += count;
  }
  return { splits };
}
