// Shared by the throughput benchmarks (not a benchmark itself: the name starts with '_'): the raw
// onnxruntime-node ceiling for the default model set, the figure the CLI, the batch route and local
// jobs are held to (>= 80% of it, measured in the same run). Every model of the set once per cutout,
// batches of 32, one worker thread per core with its own sessions (onnxruntime's run is a synchronous
// native call: two loops in one thread would take turns on one core), one intra-op thread each.
import { Buffer } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { ROLE } from './_ort.mjs';

const ORT_WORKER = new URL('./_ort.mjs', import.meta.url);
export const CEILING_BATCH = 32;

/** The ONNX files and input side of a model set's models (default: the registry's default set). */
export async function setModels(modelsDir, setName) {
  const registry = JSON.parse(await readFile(join(modelsDir, 'registry.json'), 'utf8'));
  const name = setName ?? registry.defaultSet ?? Object.keys(registry.sets ?? {})[0];
  const names = registry.sets?.[name] ? Object.values(registry.sets[name].models) : Object.keys(registry.models);
  const models = names.map((n) => {
    const m = registry.models[n];
    const entry = m.versions[m.default];
    return { name: n, file: join(modelsDir, n, m.default, entry.onnx.file), side: entry.input.width };
  });
  return { set: name, models, side: models[0].side };
}

/**
 * Starts one worker per core with the set's sessions (warmed up), runs `batches` batches on each at
 * once, and returns cutouts/s over the wall time of the slowest.
 */
export async function measureCeiling({ modelsDir, set, batches, workers = availableParallelism(), warmup = 3 }) {
  const { models, side, set: setName } = await setModels(modelsDir, set);
  const pixels = Float32Array.from({ length: side * side }, (_, i) => ((i * 7919) % 1000) / 1000);
  const threads = await Promise.all(
    Array.from({ length: workers }, () => {
      const w = new Worker(ORT_WORKER, { workerData: { role: ROLE, files: models.map((m) => m.file), threads: 1, pixels, side, warmup, batch: CEILING_BATCH } });
      return new Promise((resolve, reject) => {
        w.once('error', reject);
        w.once('message', (m) => (m.type === 'ready' ? resolve(w) : reject(new Error(`unexpected ${m.type}`))));
      });
    }),
  );
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(threads.map((w) => new Promise((resolve) => {
    w.once('message', resolve);
    w.postMessage({ type: 'run', count: batches });
  })));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const w of threads) w.postMessage({ type: 'close' });
  await Promise.all(threads.map((w) => new Promise((resolve) => w.once('exit', resolve))));
  const cutouts = workers * batches * CEILING_BATCH;
  // CPU of this whole process while the workers ran (this thread only waits): onnxruntime's own cost per cutout.
  const cpuMsPerCutout = (cpu.user + cpu.system) / 1000 / cutouts;
  return { set: setName, models: models.map((m) => m.name), workers, batch: CEILING_BATCH, cutouts, seconds, cutoutsPerSecond: cutouts / seconds, cpuMsPerCutout };
}

const medianOf = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Ceiling rounds of a benchmark (measured before and after its cases): `measure()` adds one,
 * `median()` and `rounds` report them (cutouts/s), `cpuMedian()` and `cpuRounds` the CPU ms per cutout.
 */
export function ceilingRounds({ modelsDir, batches, log }) {
  const rounds = [];
  const cpuRounds = [];
  return {
    rounds,
    cpuRounds,
    async measure() {
      const c = await measureCeiling({ modelsDir, batches });
      rounds.push(c.cutoutsPerSecond);
      cpuRounds.push(c.cpuMsPerCutout);
      log(`  ceiling (${c.set}: ${c.models.join(', ')}; batch ${c.batch}, ${c.workers} workers): ${Math.round(c.cutoutsPerSecond)} cutouts/s, ${c.cpuMsPerCutout.toFixed(2)} CPU ms a cutout`);
    },
    median: () => medianOf(rounds),
    cpuMedian: () => medianOf(cpuRounds),
  };
}

/**
 * An NPY stack of `n` simulated smooth lenses of the model-a preset (at most `base` distinct ones,
 * repeated), float32 in physical units, as a survey's stack would be.
 */
export async function smoothStack(training, n, { base = 500, seed } = {}) {
  const core = await import('@darklens/core');
  const spec = training.resolveSpec('model-a');
  const distinct = Math.min(n, base);
  const { raw } = training.renderRange({ spec, klass: 'no_sub', seed, count: distinct, keepRaw: true }, 0, distinct);
  const size = spec.grid * spec.grid;
  const data = new Float32Array(n * size);
  for (let i = 0; i < n; i++) data.set(raw.subarray((i % distinct) * size, ((i % distinct) + 1) * size), i * size);
  return Buffer.from(core.writeNpy(data, [n, spec.grid, spec.grid]));
}
