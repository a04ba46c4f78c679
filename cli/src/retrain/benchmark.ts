/**
 * The gate's fixed benchmark set: simulated lenses of a preset, one file per class, from a seed no
 * other data of the project uses (build-models offsets its seeds by 0, 1,000,003 and 2,000,003), so
 * the set never overlaps training, calibration or validation data. Made once, then reused by every
 * retrain of that preset; a version's numbers on it are recorded beside it, so the current default
 * is scored once, not at every retrain.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DarklensError } from '@darklens/core';
import { evaluateReport, hashSeed, LENS_CLASSES, readSimulationManifest, resolveSpec, simulateToFiles, type LensClass } from '@darklens/training';
import type { BenchmarkMetrics } from './gate.js';

export const BENCHMARK_SEED = 9_000_011;

export interface BenchmarkSet {
  preset: string;
  perClass: number;
  seed: number;
  dir: string;
  files: Record<LensClass, string>;
}

export function benchmarkSet(root: string, preset: string, perClass: number): BenchmarkSet {
  const dir = join(root, `${preset}-${perClass}`);
  const files = Object.fromEntries(LENS_CLASSES.map((k) => [k, join(dir, `${k}.npy`)])) as Record<LensClass, string>;
  return { preset, perClass, seed: BENCHMARK_SEED, dir, files };
}

/** Simulates the classes of `set` still missing (a finished file has its manifest beside it). */
export async function ensureBenchmark(set: BenchmarkSet, o: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<void> {
  const spec = resolveSpec(set.preset);
  const total = set.perClass * LENS_CLASSES.length;
  for (const [i, klass] of LENS_CLASSES.entries()) {
    const m = readSimulationManifest(set.files[klass]);
    if (m !== null && m.count === set.perClass && m.preset === set.preset) {
      o.onProgress?.((i + 1) * set.perClass, total);
      continue;
    }
    await simulateToFiles({
      spec,
      klass,
      count: set.perClass,
      seed: hashSeed(set.seed, i),
      outDir: set.dir,
      name: klass,
      onProgress: (done) => o.onProgress?.(i * set.perClass + done, total),
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
    });
  }
}

/** A model (checkpoint folder or registered .onnx) on the benchmark, by `score`; the report (pictures for the card) goes to reportDir. */
export async function benchmarkModel(set: BenchmarkSet, model: string, score: string, reportDir: string): Promise<{ metrics: BenchmarkMetrics; onnxSha256: string }> {
  const r = await evaluateReport({ checkpointDir: model, sets: { no_sub: set.files.no_sub, spherical: set.files.spherical, vortex: set.files.vortex }, outDir: reportDir, score, log: () => undefined });
  if (r.metrics === null) throw new DarklensError('internal', `the benchmark report of ${model} has no metrics`);
  return {
    metrics: { score: r.score, aucPooled: r.metrics.aucPooled, tprAt1: r.metrics.tprAt1.tpr, images: { no_sub: r.counts.no_sub, spherical: r.counts.spherical, vortex: r.counts.vortex } },
    onnxSha256: r.onnx.sha256,
  };
}

interface Recorded {
  model: string;
  version: string;
  onnxSha256: string;
  metrics: BenchmarkMetrics;
}

/**
 * A registered version's numbers on the benchmark: read from the record beside the set when one was
 * made for the same ONNX file and score, else scored now and recorded.
 */
export async function recordedBaseline(set: BenchmarkSet, v: { model: string; version: string; onnxPath: string; onnxSha256: string; score: string }, scratch: string): Promise<Recorded> {
  const path = join(set.dir, 'baselines', `${v.model}@${v.version}.${v.score}.json`);
  if (existsSync(path)) {
    const r = JSON.parse(await readFile(path, 'utf8')) as Recorded;
    if (r.onnxSha256 === v.onnxSha256 && r.metrics.score === v.score) return r;
  }
  const b = await benchmarkModel(set, v.onnxPath, v.score, scratch);
  if (b.onnxSha256 !== v.onnxSha256) throw new DarklensError('integrity_mismatch', `${v.onnxPath} changed while it was scored (sha256 ${b.onnxSha256}, registered ${v.onnxSha256})`);
  const rec: Recorded = { model: v.model, version: v.version, onnxSha256: v.onnxSha256, metrics: b.metrics };
  await mkdir(join(set.dir, 'baselines'), { recursive: true });
  await writeFile(`${path}.tmp`, JSON.stringify(rec, null, 2) + '\n');
  await rename(`${path}.tmp`, path);
  return rec;
}
