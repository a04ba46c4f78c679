// Simulation throughput: images per second, per preset and class.
//
//   (a) single-thread: renderRange() in this process, on this thread. The per-core figure: what one
//       core does with the physics alone (no workers, no scaling-to-file, no I/O).
//   (b) all-cores: simulateToFiles() with threads = os.availableParallelism() into a temp folder:
//       the whole `darklens simulate` pipeline (worker start-up, transfer, ordered streaming,
//       sha256, writing .npy + .params.jsonl). Reported as images/s and images/s per core.
//
// Each case is warmed up first (JIT), then timed REPEATS times; the median is reported.
// The target: >= 500 images/s per core at 64x64 with 4x4 supersampling (preset model-a).
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const name = 'simulate';
export const description = 'simulated images per second: single-thread renderRange and all-core simulateToFiles, per preset and class';

const REPEATS = 3;
const TARGET = { preset: 'model-a', imagesPerSecondPerCore: 500 };
const CLASSES = ['no_sub', 'spherical', 'vortex'];
const SEED = 20240601;

/**
 * Image counts per timed repeat. Fixed (not calibrated on the fly) so that runs on different
 * commits time the same work. all-cores counts scale with the thread count so that worker
 * start-up stays a small part of the time on big machines.
 */
const COUNTS = {
  full: {
    'model-a': { warmup: 40, single: 400, allPerThread: 1000 },
    paper: { warmup: 8, single: 60, allPerThread: 40 },
  },
  quick: {
    'model-a': { warmup: 8, single: 40, allPerThread: 32 },
    paper: { warmup: 2, single: 6, allPerThread: 6 },
  },
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x, digits) => Number(x.toFixed(digits));

/**
 * @param {{ quick: boolean, training: Record<string, any>, log: (line: string) => void }} ctx
 */
export async function run({ quick, training, log }) {
  const { renderRange, resolveSpec, simulateToFiles } = training;
  const threads = Math.max(1, availableParallelism());
  const counts = quick ? COUNTS.quick : COUNTS.full;
  const results = [];
  const scratch = await mkdtemp(join(tmpdir(), 'darklens-bench-'));
  try {
    for (const preset of Object.keys(counts)) {
      const spec = resolveSpec(preset);
      const c = counts[preset];
      const size = { preset, grid: spec.grid, supersample: spec.supersample };
      for (const klass of CLASSES) {
        // (a) single thread, in process.
        const job = { spec, klass, seed: SEED, count: c.warmup + c.single, keepRaw: false };
        renderRange(job, 0, c.warmup);
        const single = [];
        for (let r = 0; r < REPEATS; r++) {
          const t0 = performance.now();
          renderRange(job, c.warmup, c.warmup + c.single);
          single.push((performance.now() - t0) / 1000);
        }
        results.push(row(size, klass, 'single-thread', 1, c.single, single));
        log(`  ${preset} ${klass} single-thread: ${results.at(-1).imagesPerSecond} img/s`);

        // (b) every core, through the file pipeline (workers load training/dist/simulate/worker.js).
        const count = c.allPerThread * threads;
        const outDir = join(scratch, `${preset}-${klass}`);
        await simulateToFiles({ spec, klass, count: Math.min(count, 16 * threads), seed: SEED + 1, outDir, threads });
        const all = [];
        for (let r = 0; r < REPEATS; r++) {
          const t0 = performance.now();
          await simulateToFiles({ spec, klass, count, seed: SEED, outDir, threads });
          all.push((performance.now() - t0) / 1000);
        }
        await rm(outDir, { recursive: true, force: true });
        results.push(row(size, klass, 'all-cores', threads, count, all));
        log(`  ${preset} ${klass} all-cores (${threads} threads): ${results.at(-1).imagesPerSecond} img/s`);
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  const target = {
    ...TARGET,
    grid: 64,
    supersample: 4,
    basis: 'single-thread renderRange images/s (per-core figure)',
    perClass: Object.fromEntries(
      results
        .filter((r) => r.preset === TARGET.preset && r.mode === 'single-thread')
        .map((r) => [r.class, { imagesPerSecondPerCore: r.imagesPerSecondPerCore, met: r.imagesPerSecondPerCore >= TARGET.imagesPerSecondPerCore }]),
    ),
  };

  return {
    config: { repeats: REPEATS, statistic: 'median', seed: SEED, threads, counts: quick ? 'quick' : 'full', chunk: 'pool default' },
    results,
    target,
    table: {
      columns: ['preset', 'grid', 'ss', 'class', 'mode', 'thr', 'images', 'median s', 'img/s', 'img/s/core'],
      rows: results.map((r) => [r.preset, r.grid, r.supersample, r.class, r.mode, r.threads, r.count, r.medianSeconds, r.imagesPerSecond, r.imagesPerSecondPerCore]),
    },
    summary: CLASSES.map((klass) => {
      const t = target.perClass[klass];
      return `target ${TARGET.imagesPerSecondPerCore} img/s/core (${TARGET.preset}, 64x64, 4x4 supersampling) ${klass}: ${t.imagesPerSecondPerCore} -> ${t.met ? 'MET' : 'NOT met'}`;
    }),
  };
}

function row(size, klass, mode, threads, count, seconds) {
  const med = median(seconds);
  const ips = count / med;
  return {
    ...size,
    class: klass,
    mode,
    threads,
    count,
    seconds: seconds.map((s) => round(s, 4)),
    medianSeconds: round(med, 3),
    imagesPerSecond: round(ips, 1),
    imagesPerSecondPerCore: round(ips / threads, 1),
  };
}
