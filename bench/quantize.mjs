// int8 against fp32 for every shipped model (registry default versions): images per second in raw
// onnxruntime-node at batch 32 with one session per core (a worker thread per core, 1 intra-op
// thread each, the server's session options), for the whole graph as served (reconstruction and
// every score fetched) and for the network alone (the graph cut at `reconstruction`: what int8
// changes, without the float scoring head). The int8 files are made as `darklens models quantize`
// makes them (every layer that can be), calibrated on 256 freshly simulated smooth lenses of the
// model's preset (the kernels' speed does not depend on the calibration);
// BENCH_QUANTIZE_EXTRA=lsst-dcae:25,... also times that model quantized with --min-snr 25.
// BENCH_QUANTIZE_MODELS=a,b times only those models. fp32 and every int8 variant alternate within each
// round, rounds are repeated and medians reported, so a background load depresses them alike; the
// speed-up is also given as the median of the per-round ratios.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export const name = 'quantize';
export const description = 'int8 (QDQ) against fp32 for every shipped model: images/s at batch 32, one session per core, whole graph and network alone';

const ROLE = 'darklens-bench-quantize';
const BATCH = 32;
const CALIBRATION_IMAGES = 256;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SESSION = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs `session` `runs` times on fresh tensors, fetching what the server fetches. */
async function loop(ort, session, feeds, runs) {
  const outputs = session.outputNames.filter((n) => n === 'reconstruction' || n === 'score' || n.startsWith('score_'));
  for (let i = 0; i < runs; i++) {
    const f = {};
    for (const [k, v] of Object.entries(feeds)) if (session.inputNames.includes(k)) f[k] = new ort.Tensor('float32', v.data, v.dims);
    const out = await session.run(f, outputs);
    for (const t of Object.values(out)) t.dispose();
  }
}

if (!isMainThread && workerData?.role === ROLE) {
  const ort = await import('onnxruntime-node');
  const sessions = {};
  for (const [key, bytes] of Object.entries(workerData.models)) sessions[key] = await ort.InferenceSession.create(bytes, SESSION);
  parentPort.on('message', async (msg) => {
    if (msg.type === 'close') {
      for (const s of Object.values(sessions)) await s.release();
      parentPort.close();
      return;
    }
    const t0 = performance.now();
    await loop(ort, sessions[msg.key], workerData.feeds, msg.runs);
    parentPort.postMessage({ seconds: (performance.now() - t0) / 1000 });
  });
  parentPort.postMessage({ ready: true });
}

/** A batch of prepared smooth lenses as the graph's feeds (the service's preprocessing). */
function feedsOf(training, core, npy, grid) {
  const stack = core.decodeStack(new Uint8Array(readFileSync(npy)));
  const prepared = core.stackToCutouts(stack).slice(0, BATCH).map((c) => core.prepareCutout({ ...c, pixelScale: grid.pixelScale }, grid));
  const f = core.graphFeeds({ noiseAware: true, scores: [], residual: false }, grid, prepared);
  return Object.fromEntries(Object.entries(f).map(([k, t]) => [k, { data: t.data, dims: [...t.dims] }]));
}

/** Workers, one per core, each holding every variant of one model. */
async function startWorkers(cores, models, feeds) {
  const workers = [];
  for (let i = 0; i < cores; i++) {
    const w = new Worker(new URL(import.meta.url), { workerData: { role: ROLE, models, feeds } });
    await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    workers.push(w);
  }
  return workers;
}

/** Wall time of every worker running `key` `runs` times at once. */
async function timeAll(workers, key, runs) {
  const t0 = performance.now();
  await Promise.all(workers.map((w) => new Promise((resolve) => {
    w.once('message', resolve);
    w.postMessage({ key, runs });
  })));
  return (performance.now() - t0) / 1000;
}

export async function run({ quick, training, log }) {
  const core = await import(join(ROOT, 'core', 'dist', 'index.js'));
  const ort = await import('onnxruntime-node');
  const registry = JSON.parse(readFileSync(join(ROOT, 'models', 'registry.json'), 'utf8'));
  const cores = availableParallelism();
  const rounds = quick ? 2 : 9;
  const seconds = quick ? 0.15 : 0.6;
  const tmp = mkdtempSync(join(tmpdir(), 'darklens-bench-quantize-'));
  const only = process.env.BENCH_QUANTIZE_MODELS?.split(',');
  const extra = Object.fromEntries((process.env.BENCH_QUANTIZE_EXTRA ?? '').split(',').filter(Boolean).map((x) => x.split(':')).map(([m, db]) => [m, Number(db)]));
  const results = [];
  try {
    const calib = {};
    for (const [setName, set] of Object.entries(registry.sets)) {
      const preset = set.domain.preset;
      if (calib[preset] === undefined) {
        await training.simulateToFiles({ spec: training.resolveSpec(preset), klass: 'no_sub', count: CALIBRATION_IMAGES, seed: 7, outDir: tmp, name: `calib-${preset}`, threads: 0 });
        calib[preset] = join(tmp, `calib-${preset}.npy`);
      }
      for (const modelName of Object.values(set.models)) {
        if (only !== undefined && !only.includes(modelName)) continue;
        const m = registry.models[modelName];
        const entry = m.versions[m.default];
        const grid = { width: entry.input.width, height: entry.input.height, pixelScale: entry.input.pixelScale };
        const fp32Path = join(ROOT, 'models', modelName, m.default, entry.onnx.file);
        const variants = { int8: 0, ...(extra[modelName] !== undefined ? { [`int8-snr${extra[modelName]}`]: extra[modelName] } : {}) };
        const fp32 = new Uint8Array(readFileSync(fp32Path));
        const models = { 'graph-fp32': fp32, 'network-fp32': training.networkOnly(fp32) };
        const bytes = { fp32: fp32.length };
        for (const [label, minSnrDb] of Object.entries(variants)) {
          const out = join(tmp, `${modelName}.${label}.onnx`);
          await training.quantizeFile({ modelPath: fp32Path, dataPath: calib[preset], grid, images: CALIBRATION_IMAGES, outPath: out, minSnrDb });
          const int8 = new Uint8Array(readFileSync(out));
          models[`graph-${label}`] = int8;
          models[`network-${label}`] = training.networkOnly(int8);
          bytes[label] = int8.length;
        }
        const workers = await startWorkers(cores, models, feedsOf(training, core, calib[preset], grid));
        try {
          for (const part of ['graph', 'network']) {
            const keys = [`${part}-fp32`, ...Object.keys(variants).map((v) => `${part}-${v}`)];
            // Runs per timing: about `seconds` each, from a warm-up.
            const runs = {};
            for (const k of keys) {
              await timeAll(workers, k, 3);
              runs[k] = Math.max(3, Math.round(seconds / ((await timeAll(workers, k, 5)) / 5)));
            }
            const ips = Object.fromEntries(keys.map((k) => [k, []]));
            for (let r = 0; r < rounds; r++) {
              for (const k of r % 2 === 0 ? keys : [...keys].reverse()) ips[k].push((cores * runs[k] * BATCH) / (await timeAll(workers, k, runs[k])));
            }
            const base = median(ips[keys[0]]);
            for (const v of Object.keys(variants)) {
              const k = `${part}-${v}`;
              const b = median(ips[k]);
              const row = {
                set: setName, model: modelName, version: m.default, part, variant: v, minSnrDb: variants[v], batch: BATCH, sessions: cores, rounds,
                fp32ImagesPerSecond: Math.round(base), int8ImagesPerSecond: Math.round(b),
                speedup: Number((b / base).toFixed(3)),
                pairedSpeedup: Number(median(ips[k].map((x, i) => x / ips[keys[0]][i])).toFixed(3)),
                raw: { fp32: ips[keys[0]].map(Math.round), int8: ips[k].map(Math.round) },
                ...(part === 'graph' ? { bytes: { fp32: bytes.fp32, int8: bytes[v] } } : {}),
              };
              results.push(row);
              log(`  ${modelName} ${part} ${v}: fp32 ${row.fp32ImagesPerSecond} img/s, int8 ${row.int8ImagesPerSecond} img/s, x${row.speedup} (paired x${row.pairedSpeedup})`);
            }
          }
        } finally {
          for (const w of workers) w.postMessage({ type: 'close' });
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const graph = results.filter((r) => r.part === 'graph' && r.variant === 'int8');
  return {
    config: { batch: BATCH, sessionsPerCore: 1, cores, rounds, runtime: `onnxruntime-node ${ort.env.versions.common}`, session: SESSION, calibrationImages: CALIBRATION_IMAGES, extraVariants: extra },
    results,
    table: {
      columns: ['set', 'model', 'part', 'variant', 'fp32 img/s', 'int8 img/s', 'speed-up', 'paired'],
      rows: results.map((r) => [r.set, r.model, r.part, r.variant, r.fp32ImagesPerSecond, r.int8ImagesPerSecond, r.speedup, r.pairedSpeedup]),
    },
    summary: [`whole graph (as served): int8 speed-up ${Math.min(...graph.map((r) => r.speedup))}x to ${Math.max(...graph.map((r) => r.speedup))}x over the ${graph.length} models; the float scoring head is left as is`],
  };
}
