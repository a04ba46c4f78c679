// The Cloudflare Worker in workerd on this machine (see bench/README.md, case `workers`):
//
//   bundle   what `npm run build:worker` wrote: script and wasm, raw and gzip (the upload), against the
//            64 MiB script limit
//   cold     a fresh workerd: start-up (runtime up, script evaluated, wasm compiled) and the first
//            POST /v1/score after it (registry and four models read from R2, four sessions opened,
//            one cutout scored), median of several starts
//   warm     p50/p99 of POST /v1/score (one FITS cutout, the four models), one request at a time over
//            HTTP on 127.0.0.1, after a warm-up; the Node server (`darklens serve`, its defaults)
//            measured the same way in the same run, interleaved
//   memory   the isolate with the four models open: onnxruntime's wasm memory (from the Worker's log),
//            V8's heap (inspector Runtime.getHeapUsage) and workerd's RSS, against the 128 MB limit
//
// Needs `npm run build:worker` (and npx tsc -b for the Node server).
import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { builtWorker, putRegistry, startLocalWorker, WORKER_BUNDLE, WORKER_CONFIG } from '../scripts/local-worker.mjs';
import { fetchOnce, latencySummary, makeInputs, median, memoryOf, mib, round, startServer, stopServer } from './_server.mjs';
import { loadContext } from './service.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const MODELS_DIR = join(ROOT, 'models');
const LIMITS = { scriptBytes: 64 * 2 ** 20, isolateBytes: 128 * 2 ** 20 };
const TARGET = { warmRatio: 1.5, coldMs: 1500 };
const COUNTS = {
  full: { coldStarts: 3, warmup: 400, measured: 600, rounds: 2 },
  quick: { coldStarts: 2, warmup: 60, measured: 100, rounds: 1 },
};

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** workerd's pid: the child of this process running the workerd binary (Miniflare does not expose it). */
function workerdPid() {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'workerd') return Number(pid);
    } catch {
      // the process ended meanwhile
    }
  }
  return undefined;
}

/** One request on a keep-alive agent; resolves with status, body and milliseconds to the last byte. */
function timedRequest(agent, url, body) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/fits', 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `count` sequential scores of the bench cutout; throws on anything but 200 with every model. */
async function scoreLoop(baseUrl, inputs, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL('/v1/score', baseUrl);
  const ms = [];
  try {
    for (let i = 0; i < count; i++) {
      const r = await timedRequest(agent, url, inputs.fits);
      if (r.status !== 200) throw new Error(`POST /v1/score answered ${r.status}: ${r.body.slice(0, 300)}`);
      ms.push(r.ms);
    }
  } finally {
    agent.destroy();
  }
  return ms;
}

/** DARKLENS_MAX_BATCH_ITEMS of wrangler.jsonc. */
function maxBatchItems() {
  const config = JSON.parse(readFileSync(WORKER_CONFIG, 'utf8').replace(/^\s*\/\/.*$/gm, ''));
  return Number(config.vars.DARKLENS_MAX_BATCH_ITEMS);
}

/** POST /v1/score/batch with `items` copies of the bench cutout as one NPY stack; milliseconds to the last line. */
async function largestBatch(baseUrl, inputs, items) {
  const one = inputs.scaledOne;
  const stack = new Float32Array(items * one.length);
  for (let i = 0; i < items; i++) stack.set(one, i * one.length);
  const core = await import('@darklens/core');
  const body = Buffer.from(core.writeNpy(stack, [items, inputs.side, inputs.side]));
  const t0 = performance.now();
  const r = await fetchOnce(new URL('/v1/score/batch', baseUrl), { method: 'POST', headers: { 'content-type': 'application/x-npy' }, body });
  const lines = r.body.toString('utf8').trim().split('\n');
  if (r.status !== 200 || lines.length !== items || lines.some((l) => l.includes('"error"'))) throw new Error(`the batch of ${items} answered ${r.status} with ${lines.length} lines: ${lines[0]?.slice(0, 300)}`);
  return performance.now() - t0;
}

/** The Worker's JSON log lines, as they come. */
function followLogs(into) {
  return (stdout) => createInterface({ input: stdout }).on('line', (line) => {
    try {
      into.push(JSON.parse(line.slice(line.indexOf('{'))));
    } catch {
      // workerd's own lines
    }
  });
}

/** The Worker isolate's inspector: V8 heap usage on demand (Runtime.getHeapUsage). */
async function openInspector(port) {
  const list = JSON.parse((await fetchOnce(`http://127.0.0.1:${port}/json/list`)).body.toString('utf8'));
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let id = 0;
  const pending = new Map();
  ws.on('message', (m) => {
    const msg = JSON.parse(String(m));
    pending.get(msg.id)?.(msg.result);
    pending.delete(msg.id);
  });
  const call = (method, params = {}) => new Promise((resolve) => {
    pending.set(++id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
  return {
    // (workerd does not answer HeapProfiler.collectGarbage: no forced GC, garbage is counted.)
    heap: () => call('Runtime.getHeapUsage'),
    // A heap snapshot starts with a full garbage collection: the usage after it is the live memory.
    // Its chunks arrive as events, which are ignored; null when workerd does not answer within 60 s.
    liveHeap: async () => {
      const done = call('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false });
      const answered = await Promise.race([done.then(() => true), sleep(60_000).then(() => false)]);
      return answered ? call('Runtime.getHeapUsage') : null;
    },
    close: () => ws.close(),
  };
}

/** Resolves with `work`'s outcome and the largest JS-side memory (heap, embedder heap, ArrayBuffers) sampled while it ran. */
async function sampleDuring(inspector, work) {
  let jsPeak = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      const h = await inspector.heap();
      jsPeak = Math.max(jsPeak, h.usedSize + (h.embedderHeapUsedSize ?? 0) + (h.backingStorageSize ?? 0));
      await sleep(50);
    }
  })();
  const outcome = await work.finally(() => (running = false));
  await sampler;
  return { outcome, jsPeak };
}

/** A fresh workerd with the shipped models in R2; resolves once it answers. */
async function startWorker({ inspectorPort } = {}) {
  const logs = [];
  const t0 = performance.now();
  // The rate-limiting binding stays in the path, with a budget the benchmark does not exhaust.
  const worker = await startLocalWorker({ inspectorPort, onOutput: followLogs(logs), rateLimit: { limit: 1e9, period: 60 } });
  const startMs = performance.now() - t0;
  await putRegistry(worker.bucket, MODELS_DIR);
  return { ...worker, logs, startMs, pid: workerdPid() };
}

function bundleSizes() {
  const { main, wasm } = builtWorker();
  const files = [main, ...wasm].map((path) => {
    const bytes = readFileSync(path);
    return { file: path.slice(WORKER_BUNDLE.length + 1), bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
  });
  const total = files.reduce((t, f) => ({ bytes: t.bytes + f.bytes, gzipBytes: t.gzipBytes + f.gzipBytes }), { bytes: 0, gzipBytes: 0 });
  const meta = JSON.parse(readFileSync(join(WORKER_BUNDLE, 'meta.json'), 'utf8'));
  const byPackage = {};
  for (const [input, { bytesInOutput }] of Object.entries(Object.values(meta.outputs).find((o) => o.entryPoint !== undefined)?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split('/').slice(0, 2).join('/');
    byPackage[pkg] = (byPackage[pkg] ?? 0) + bytesInOutput;
  }
  const top = Object.entries(byPackage).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([name, bytes]) => ({ name, bytes }));
  return { files, total, scriptLimitBytes: LIMITS.scriptBytes, fits: total.bytes < LIMITS.scriptBytes, scriptByInput: top };
}

async function run({ quick, training, log }) {
  const n = quick ? COUNTS.quick : COUNTS.full;
  const inputs = await makeInputs(training);
  const bundle = bundleSizes();
  log(`bundle ${mib(bundle.total.bytes)} MiB, gzip ${mib(bundle.total.gzipBytes)} MiB`);

  // Cold starts: a fresh workerd each time, the first score timed from the client.
  const cold = [];
  for (let i = 0; i < n.coldStarts; i++) {
    const w = await startWorker();
    try {
      const rssBefore = memoryOf(w.pid).rssBytes;
      const [first] = await scoreLoop(w.url, inputs, 1);
      cold.push({ startMs: round(w.startMs, 0), firstScoreMs: round(first, 0), rssBeforeMiB: mib(rssBefore), rssAfterMiB: mib(memoryOf(w.pid).rssBytes) });
      log(`cold start ${i + 1}: runtime up in ${round(w.startMs, 0)} ms, first score ${round(first, 0)} ms`);
    } finally {
      await w.mf.dispose();
    }
  }

  // Warm latency, the Worker and the Node server interleaved; the Worker keeps one isolate throughout.
  // Its inspector samples the isolate's memory while it loads the four models and during the batch.
  const inspectorPort = await freePort();
  const worker = await startWorker({ inspectorPort });
  const inspector = await openInspector(inspectorPort);
  const rssIdle = memoryOf(worker.pid);
  const node = await startServer([]);
  const warm = { worker: [], node: [] };
  let memory;
  try {
    const load = await sampleDuring(inspector, scoreLoop(worker.url, inputs, 1));
    for (const [label, url] of [['worker', worker.url], ['node', node.url]]) {
      log(`warming ${label} (${n.warmup} requests)`);
      await scoreLoop(url, inputs, n.warmup);
    }
    for (let r = 0; r < n.rounds; r++) {
      for (const [label, url] of [['worker', worker.url], ['node', node.url]]) {
        const ms = await scoreLoop(url, inputs, n.measured);
        warm[label].push(latencySummary(ms));
        log(`round ${r + 1} ${label}: p50 ${warm[label].at(-1).p50} ms, p99 ${warm[label].at(-1).p99} ms`);
      }
    }
    // The largest batch the Worker's limits let in (wrangler.jsonc).
    const items = maxBatchItems();
    const t0 = performance.now();
    const batch = await sampleDuring(inspector, largestBatch(worker.url, inputs, items));
    const batchMs = performance.now() - t0;
    log(`batch of ${items} cutouts: ${round(batchMs, 0)} ms`);
    const wasmLogs = worker.logs.filter((l) => typeof l.wasmBytes === 'number');
    const opened = wasmLogs.filter((l) => l.msg === 'session opened');
    const after = await inspector.heap();
    const live = await inspector.liveHeap();
    // onnxruntime's wasm memory never shrinks: its largest size is its size at every later moment.
    const wasmBytes = Math.max(...wasmLogs.map((l) => l.wasmBytes));
    const js = (h) => h.usedSize + (h.embedderHeapUsedSize ?? 0) + (h.backingStorageSize ?? 0);
    const afterBatch = wasmBytes + js(after);
    const peak = wasmBytes + Math.max(load.jsPeak, batch.jsPeak);
    memory = {
      sessions: opened.at(-1)?.sessions ?? 0,
      afterBatchOf: items,
      batchMs: round(batchMs, 0),
      wasmMemoryMiB: mib(wasmBytes),
      afterBatch: { v8HeapUsedMiB: mib(after.usedSize), embedderHeapUsedMiB: mib(after.embedderHeapUsedSize ?? NaN), arrayBuffersMiB: mib(after.backingStorageSize ?? NaN) },
      isolateAfterBatchMiB: mib(afterBatch),
      // After a full collection (a heap snapshot forces one): what the isolate holds alive.
      isolateLiveAfterBatchMiB: live === null ? null : mib(wasmBytes + js(live)),
      liveAfterBatch: live === null ? null : { v8HeapUsedMiB: mib(live.usedSize), embedderHeapUsedMiB: mib(live.embedderHeapUsedSize ?? NaN), arrayBuffersMiB: mib(live.backingStorageSize ?? NaN) },
      jsPeakWhileLoadingMiB: mib(load.jsPeak),
      jsPeakDuringBatchMiB: mib(batch.jsPeak),
      isolatePeakMiB: mib(peak),
      isolateLimitMiB: mib(LIMITS.isolateBytes),
      // Judged on the live memory when it could be measured: V8 collects garbage before an isolate
      // would exceed its limit, so uncollected garbage (in the peak) does not count against it.
      fits: (live === null ? peak : wasmBytes + js(live)) < LIMITS.isolateBytes,
      workerdRssIdleMiB: mib(rssIdle.rssBytes),
      workerdRssMiB: mib(memoryOf(worker.pid).rssBytes),
      workerdPeakRssMiB: mib(memoryOf(worker.pid).hwmBytes),
      nodeServerRssMiB: mib(memoryOf(node.pid).rssBytes),
      note: 'isolate = onnxruntime\'s wasm memory (its largest size: it never shrinks) + the JS side (V8 heap used + embedder heap + ArrayBuffers, garbage not yet collected included) just after the largest batch, or at its peak sampled every 50 ms while the four models loaded and during that batch; workerd\'s RSS also holds the runtime, Miniflare\'s own workers and the compiled wasm code',
    };
  } finally {
    inspector.close();
    await stopServer(node);
    await worker.mf.dispose();
  }

  const p = (label, key) => median(warm[label].map((s) => s[key]));
  const warmSummary = { worker: { p50: round(p('worker', 'p50'), 2), p99: round(p('worker', 'p99'), 2) }, node: { p50: round(p('node', 'p50'), 2), p99: round(p('node', 'p99'), 2) } };
  const ratio = round(warmSummary.worker.p50 / warmSummary.node.p50, 2);
  const coldFirst = median(cold.map((c) => c.firstScoreMs));
  const target = { warmP50Ratio: ratio, warmOk: ratio <= TARGET.warmRatio, coldFirstScoreMs: coldFirst, coldOk: coldFirst < TARGET.coldMs };
  return {
    config: { ...n, models: inputs.models.map((m) => m.name), request: `POST /v1/score, one ${inputs.side}x${inputs.side} FITS cutout (${inputs.fits.length} bytes), the four models, one request at a time, keep-alive HTTP on 127.0.0.1`, node: 'darklens serve with its defaults (an inference worker thread per core)', worker: 'workerd via Miniflare (its entry worker routes to the Worker: one extra hop that Cloudflare does not have)', engine: worker.logs.find((l) => l.msg === 'models loaded')?.engine },
    bundle,
    cold,
    warm,
    memory,
    target,
    load: loadContext(),
    table: {
      columns: ['measure', 'Worker (workerd)', 'Node server'],
      rows: [
        ['warm p50 ms', warmSummary.worker.p50, warmSummary.node.p50],
        ['warm p99 ms', warmSummary.worker.p99, warmSummary.node.p99],
        ['cold: runtime start ms (median)', median(cold.map((c) => c.startMs)), ''],
        ['cold: first score ms (median)', coldFirst, ''],
        ['memory MiB (isolate after the batch / peak / process RSS)', `${memory.isolateAfterBatchMiB} / ${memory.isolatePeakMiB} / ${memory.workerdRssMiB}`, `- / - / ${memory.nodeServerRssMiB}`],
        [`batch of ${memory.afterBatchOf} ms`, memory.batchMs, ''],
      ],
    },
    summary: [
      `bundle: ${mib(bundle.total.bytes)} MiB raw, ${mib(bundle.total.gzipBytes)} MiB gzip (limit 64 MiB: ${bundle.fits ? 'fits' : 'TOO BIG'})`,
      `memory with ${memory.sessions} models open: isolate ${memory.isolateAfterBatchMiB} MiB after the largest batch (wasm ${memory.wasmMemoryMiB}), ${memory.isolatePeakMiB} MiB at its peak (JS side ${memory.jsPeakWhileLoadingMiB} MiB while loading, ${memory.jsPeakDuringBatchMiB} MiB during a batch of ${memory.afterBatchOf}); live after a full collection ${memory.isolateLiveAfterBatchMiB ?? 'not measured'} MiB; limit 128 MB: ${memory.fits ? 'fits' : 'DOES NOT FIT'}`,
      `warm p50 ratio Worker/Node ${ratio} (target <= ${TARGET.warmRatio}: ${target.warmOk ? 'met' : 'NOT met'})`,
      `cold first score ${coldFirst} ms (target < ${TARGET.coldMs} ms: ${target.coldOk ? 'met' : 'NOT met'})`,
    ],
  };
}

export const name = 'workers';
export const description = 'the Worker in workerd: bundle size, cold start, warm latency against the Node server, isolate memory';
export { run };
