// Shared by service.mjs (not a benchmark itself: the name starts with '_').
//
// The raw onnxruntime-node figure the scoring service is compared with: the shipped models in
// InferenceSessions configured like the server's (functions/src/node/ort-engine.ts), every model run
// once per cutout at batch 1, asking for the same outputs the service reads. Imported on the main
// thread for the in-process loops; started as a worker thread (workerData.role === ROLE) for the
// "2 workers" case, where each worker has its own sessions: onnxruntime-node's session.run is a
// synchronous native call (made from a setImmediate), so two loops in one thread take turns on one core.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

export const ROLE = 'darklens-bench-ort-loop';
/** The outputs the service fetches (core's run-scores.ts): the reconstruction and every score of the graph. */
const outputsOf = (session) => session.outputNames.filter((n) => n === 'reconstruction' || n === 'score' || n.startsWith('score_'));

/** Session options of the server's engine (ort-engine.ts), with its intra-op thread count. */
export function sessionOptions(threads) {
  return { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
}

/** The default version's ONNX file of every model in the registry, in registry order. */
export async function registryModels(modelsDir) {
  const registry = JSON.parse(await readFile(join(modelsDir, 'registry.json'), 'utf8'));
  return Object.entries(registry.models).map(([name, m]) => {
    const entry = m.versions[m.default];
    return { name, version: m.default, file: join(modelsDir, name, m.default, entry.onnx.file), input: entry.input };
  });
}

export async function loadSessions(ort, models, threads) {
  const sessions = [];
  for (const m of models) sessions.push(await ort.InferenceSession.create(await readFile(m.file), sessionOptions(threads)));
  return sessions;
}

/**
 * Scores `count` cutouts: each model once per cutout at batch 1, fresh tensors per run (as the server
 * makes them). Noise-aware graphs also get a variance plane and noise parameters (fixed values: the
 * service's noise estimate is its own cost, not onnxruntime's).
 */
export async function runCutouts(ort, sessions, pixels, side, count, batch = 1) {
  // `batch` cutouts per run (the same image repeated): `count` runs score count*batch cutouts.
  const input = batch === 1 ? pixels : Float32Array.from({ length: batch * side * side }, (_, i) => pixels[i % (side * side)]);
  const variance = new Float32Array(batch * side * side).fill(1e-4);
  const noise = Float32Array.from({ length: 2 * batch }, (_, i) => (i % 2 === 0 ? 0 : 1e-3));
  for (let i = 0; i < count; i++) {
    for (const s of sessions) {
      const feeds = { input: new ort.Tensor('float32', input, [batch, 1, side, side]) };
      if (s.inputNames.includes('variance')) {
        feeds.variance = new ort.Tensor('float32', variance, [batch, 1, side, side]);
        feeds.noise = new ort.Tensor('float32', noise, [batch, 2]);
      }
      const out = await s.run(feeds, outputsOf(s));
      for (const t of Object.values(out)) t.dispose();
    }
  }
}

if (!isMainThread && workerData?.role === ROLE) {
  const { files, threads, pixels, side, warmup, batch = 1 } = workerData;
  const ort = await import('onnxruntime-node');
  const sessions = await loadSessions(ort, files.map((file) => ({ file })), threads);
  await runCutouts(ort, sessions, pixels, side, warmup, batch);
  parentPort.on('message', async (msg) => {
    if (msg.type === 'run') {
      const t0 = performance.now();
      await runCutouts(ort, sessions, pixels, side, msg.count, batch);
      parentPort.postMessage({ type: 'done', seconds: (performance.now() - t0) / 1000 });
    } else if (msg.type === 'close') {
      for (const s of sessions) await s.release();
      parentPort.close();
    }
  });
  parentPort.postMessage({ type: 'ready' });
}
