// The scoring service under load, on loopback, against raw onnxruntime-node doing the same work in the
// same run. Two cases (see bench/README.md):
//
//   service       raw onnxruntime-node cutouts/s (all four shipped models per cutout, batch 1), then
//                 `darklens serve` as a child process: cold start, RSS, POST /v1/score max throughput
//                 and latency with autocannon, latency at half that rate; with the default (one
//                 inference worker thread per core), --workers 0 (inference on the main thread) and
//                 the default with --quiet (no request logs). The raw figure is measured before,
//                 between and after the service runs (interleaved) so that a background load
//                 depresses both alike.
//   service-soak  sustained load at about half the max rate of a mix of /v1/score, /v1/score/batch
//                 and GET /v1/models: 5xx count and the server's RSS trend.
//
// Needs the built packages (npx tsc -b): cli/dist, functions/dist, core/dist, training/dist.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import { loadSessions, ROLE, runCutouts } from './_ort.mjs';
import { BATCH_ITEMS, checkBuilt, CLK_TCK, cpuSecondsOf, fetchOnce, latencySummary, makeInputs, median, memoryOf, mib, ROOT, round, SEED, startServer, stopServer } from './_server.mjs';

const ORT_WORKER = new URL('./_ort.mjs', import.meta.url);

/** The issue's targets. */
const TARGET = { throughputRatio: 0.7, halfLoadP99Ms: 20 };
/**
 * Soak verdict: an RSS slope (after the first 20% of the run) above the limit is a growth trend. The
 * verdict uses the Theil-Sen slope (median of the pairwise slopes), which one step of the heap or of
 * malloc's arenas does not tilt; the least-squares slope is reported beside it. The server's RSS keeps
 * settling (a few MiB) for the first minutes under load, so a short run can only resolve fast growth:
 * runs of SOAK_LONG_SECONDS or more are held to 2 MiB/min (120 MiB an hour), shorter ones to 8 MiB/min.
 */
const SOAK_LONG_SECONDS = 300;
const soakSlopeLimit = (seconds) => (seconds >= SOAK_LONG_SECONDS ? 2 : 8) * 2 ** 20; // bytes per minute
const SOAK_WARMUP_FRACTION = 0.2;
/** Shorter soaks (--quick) are still warming up: their RSS trend is reported but not judged. */
const SOAK_MIN_JUDGED_SECONDS = 60;

const COUNTS = {
  full: { rawCutouts: 300, rawWarmup: 30, warmupS: 3, maxS: 10, halfS: 10, coldStarts: 3, soakS: 300, soakCalibrateS: 5, soakSampleMs: 2000 },
  quick: { rawCutouts: 40, rawWarmup: 10, warmupS: 1, maxS: 3, halfS: 3, coldStarts: 3, soakS: 15, soakCalibrateS: 3, soakSampleMs: 1000 },
};
/** Connections for the max-throughput runs (the server takes requests concurrently; 8 keeps it saturated). */
const MAX_CONNECTIONS = 8;
/** Server configurations compared: the default (a worker thread per core), inference on the main thread, and the default without request logs. */
const CONFIGS = [
  { label: 'workers-default', args: [] },
  { label: 'workers-0', args: ['--workers', '0'] },
  { label: 'workers-default-quiet', args: ['--quiet'] },
];
/** BENCH_SERVICE_CPU_PROF=1: run the default server under --cpu-prof and summarise where its main thread spends time. */
const PROFILE_CONFIG = 'workers-default';

// ---------------------------------------------------------------------------------------------------
// small helpers

/** Least-squares line through (x, y): slope and intercept. */
function linearFit(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** Theil-Sen slope: the median of the slopes between every pair of points. */
function theilSenSlope(xs, ys) {
  const slopes = [];
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (xs[j] !== xs[i]) slopes.push((ys[j] - ys[i]) / (xs[j] - xs[i]));
  return slopes.length === 0 ? 0 : median(slopes);
}

// ---------------------------------------------------------------------------------------------------
// /proc: memory and CPU time of the server and of the whole machine

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineBusySeconds() {
  try {
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - v[3] - v[4]) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** A CPU snapshot; cpuBetween() turns two into cores used by the server, this process and everything else. */
function cpuSnapshot(serverPid) {
  const self = process.cpuUsage();
  return { t: performance.now(), machine: machineBusySeconds(), self: (self.user + self.system) / 1e6, server: serverPid === undefined ? 0 : cpuSecondsOf(serverPid) };
}

function cpuBetween(a, b) {
  const wall = (b.t - a.t) / 1000;
  const machine = (b.machine - a.machine) / wall;
  const server = (b.server - a.server) / wall;
  const bench = (b.self - a.self) / wall;
  return { wallSeconds: round(wall, 2), machineCores: round(machine, 2), serverCores: round(server, 2), benchCores: round(bench, 2), otherCores: round(Math.max(0, machine - server - bench), 2), serverCpuSeconds: b.server - a.server, benchCpuSeconds: b.self - a.self };
}

/** Processes other than this one and its children using a noticeable share of a core right now. */
function busyProcesses(exclude) {
  try {
    const out = execFileSync('ps', ['-eo', 'pid,pcpu,etimes,args', '--sort=-pcpu'], { encoding: 'utf8' });
    return out
      .split('\n')
      .slice(1)
      .map((l) => /^\s*(\d+)\s+([\d.]+)\s+(\d+)\s+(.*)$/.exec(l))
      .filter((m) => m && Number(m[2]) >= 20 && !exclude.includes(Number(m[1])) && !m[4].startsWith('ps '))
      .slice(0, 5)
      .map((m) => ({ pid: Number(m[1]), cpuPercent: Number(m[2]), elapsedSeconds: Number(m[3]), command: m[4].slice(0, 140) }));
  } catch {
    return [];
  }
}

export function loadContext(exclude = []) {
  const [one, five, fifteen] = loadavg();
  return { loadavg: [round(one, 2), round(five, 2), round(fifteen, 2)], busyProcesses: busyProcesses([process.pid, ...exclude]) };
}

// ---------------------------------------------------------------------------------------------------
// --cpu-prof summary

function shortUrl(url) {
  return url.replace(/^file:\/\//, '').replace(ROOT, '').replace(/^.*node_modules\//, '');
}

/** Where the samples fall: a package under node_modules, a workspace package, a Node internal module, or a native/VM entry. */
function groupOf(callFrame) {
  const u = callFrame.url;
  if (!u) return callFrame.functionName || '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return nm[1];
  if (u.startsWith('node:')) return `node:${u.replace(/^node:(internal\/)?/, '').split(/[/.]/)[0]}`;
  const ws = shortUrl(u).split('/').filter(Boolean)[0];
  return ws ?? u;
}

/** Self time of the non-idle samples of a .cpuprofile, by function and by package (percent of the busy samples). */
function summariseCpuProfile(file, top = 15) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const byFunction = new Map();
  const byGroup = new Map();
  let busy = 0;
  let idle = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    const cf = byId.get(p.samples[i]).callFrame;
    if (cf.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    busy += dt;
    const key = cf.url ? `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}` : cf.functionName || '(native)';
    byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
    const g = groupOf(cf);
    byGroup.set(g, (byGroup.get(g) ?? 0) + dt);
  }
  const rank = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, t]) => ({ name, percent: round((100 * t) / busy, 1), ms: round(t / 1000, 0) }));
  return { note: 'main-thread wall-clock samples over the whole server life (start-up, warm-up and every load run); self time; percent of the non-idle samples', busyMs: round(busy / 1000, 0), idleMs: round(idle / 1000, 0), selfByFunction: rank(byFunction), selfByPackage: rank(byGroup) };
}

// ---------------------------------------------------------------------------------------------------
// the server as a child process

// ---------------------------------------------------------------------------------------------------
// request bodies

const scoreRequest = (inputs) => ({ method: 'POST', path: '/v1/score', headers: { 'content-type': 'application/fits' }, body: inputs.fits, route: 'POST /v1/score' });
const batchRequest = (inputs) => ({ method: 'POST', path: '/v1/score/batch', headers: { 'content-type': 'application/x-npy' }, body: inputs.npy, route: 'POST /v1/score/batch' });
const modelsRequest = () => ({ method: 'GET', path: '/v1/models', route: 'GET /v1/models' });

/** Checks that the service answers the bench's requests as expected before timing them. */
async function sanityCheck(srv, inputs, { batch = false } = {}) {
  const r = await fetchOnce(`${srv.url}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/fits' }, body: inputs.fits });
  if (r.status !== 200) throw new Error(`POST /v1/score answered ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
  const json = JSON.parse(r.body.toString('utf8'));
  const scored = Object.keys(json.models ?? {});
  if (scored.length !== inputs.models.length) throw new Error(`POST /v1/score scored ${scored.join(',')}; expected ${inputs.models.map((m) => m.name).join(',')}`);
  if (json.input?.resampled) throw new Error('the bench cutout was resampled; it should be at the models\' pixel scale');
  const out = { scoreResponseBytes: r.body.length, models: scored };
  if (batch) {
    const b = await fetchOnce(`${srv.url}/v1/score/batch`, { method: 'POST', headers: { 'content-type': 'application/x-npy' }, body: inputs.npy });
    const lines = b.body.toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    if (b.status !== 200 || lines.length !== BATCH_ITEMS || lines.some((l) => l.error !== undefined || Object.keys(l.models ?? {}).length !== inputs.models.length)) {
      throw new Error(`POST /v1/score/batch answered ${b.status} with ${lines.length} lines: ${b.body.toString('utf8').slice(0, 300)}`);
    }
    const m = await fetchOnce(`${srv.url}/v1/models`);
    if (m.status !== 200) throw new Error(`GET /v1/models answered ${m.status}`);
    Object.assign(out, { batchResponseBytes: b.body.length, modelsResponseBytes: m.body.length });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// load with autocannon

/**
 * One autocannon run. Latencies are recorded here from every 2xx response's own time (float ms,
 * autocannon's hdr histogram keeps whole ms), and per route. Note that autocannon's rate limit
 * (overallRate) is per connection and per second: each connection sends its share back to back at
 * the start of every second, then waits; so at a limited rate the requests come in bursts of up to
 * `connections` at once, not evenly spaced.
 */
function load(srv, { connections, duration, overallRate, requests }) {
  if (overallRate !== undefined) connections = Math.max(1, Math.min(connections, Math.floor(overallRate))); // a share of 0 would mean "no limit"
  const opts = { url: srv.url, connections, duration, pipelining: 1, timeout: 10, requests };
  if (overallRate !== undefined) opts.overallRate = Math.round(overallRate);
  const latencies = [];
  const routes = {};
  srv.handlerMs = [];
  const before = cpuSnapshot(srv.pid);
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => {
      if (err) return reject(err);
      const cpu = cpuBetween(before, cpuSnapshot(srv.pid));
      const ok = result['2xx'];
      resolve({
        connections,
        overallRate: opts.overallRate ?? null,
        durationSeconds: result.duration,
        requests2xx: ok,
        non2xx: result.non2xx,
        status5xx: result['5xx'],
        errors: result.errors,
        timeouts: result.timeouts,
        requestsPerSecond: round(ok / result.duration, 1),
        latencyMs: latencySummary(latencies),
        // Time inside the app per request (its request log's "ms"; null with --quiet): the rest of latencyMs is queueing and HTTP.
        serverHandlerMs: srv.handlerMs.length > 0 ? latencySummary(srv.handlerMs) : null,
        autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99, note: 'whole ms; corrected for coordinated omission at a limited rate' },
        routes: Object.fromEntries(Object.entries(routes).map(([k, v]) => [k, { count: v.count, status: v.status, latencyMs: latencySummary(v.latencies) }])),
        cpu,
        serverCpuMsPerRequest: round((cpu.serverCpuSeconds * 1000) / ok, 2),
      });
    });
    instance.on('response', (client, statusCode, _bytes, ms) => {
      const req = client.requestIterator.currentRequest;
      const key = req?.route ?? `${req?.method ?? 'GET'} ${req?.path ?? '/'}`;
      const r = (routes[key] ??= { count: 0, status: {}, latencies: [] });
      r.count++;
      r.status[statusCode] = (r.status[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) {
        latencies.push(ms);
        r.latencies.push(ms);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// raw onnxruntime-node

async function startOrtWorker(files, threads, pixels, side, warmup) {
  const worker = new Worker(ORT_WORKER, { workerData: { role: ROLE, files, threads, pixels, side, warmup } });
  await new Promise((resolve, reject) => {
    const onError = (e) => reject(e);
    worker.once('error', onError);
    worker.once('message', (m) => {
      worker.off('error', onError);
      if (m.type === 'ready') resolve();
      else reject(new Error(`unexpected worker message ${JSON.stringify(m)}`));
    });
  });
  return worker;
}

function workerRun(worker, count) {
  return new Promise((resolve, reject) => {
    const onError = (e) => reject(e);
    worker.once('error', onError);
    worker.once('message', (m) => {
      worker.off('error', onError);
      resolve(m.seconds);
    });
    worker.postMessage({ type: 'run', count });
  });
}

/** Sets up the raw cases once (sessions, workers, warm-up); round() then times every case once. */
async function rawBench(ort, inputs, counts) {
  const { models, side, scaledOne: pixels } = inputs;
  const sessions1 = await loadSessions(ort, models, 1);
  const sessions2 = await loadSessions(ort, models, 2);
  await runCutouts(ort, sessions1, pixels, side, counts.rawWarmup);
  await runCutouts(ort, sessions2, pixels, side, counts.rawWarmup);
  const workers = await Promise.all([0, 1].map(() => startOrtWorker(models.map((m) => m.file), 1, pixels, side, counts.rawWarmup)));
  const n = counts.rawCutouts;
  const cases = [
    { name: 'raw-seq', threads: 1, loops: 1, note: '1 loop, intraOpNumThreads 1', run: () => runCutouts(ort, sessions1, pixels, side, n) },
    { name: 'raw-2loops', threads: 1, loops: 2, note: '2 concurrent async loops in one thread, shared sessions (as the server runs concurrent requests)', run: () => Promise.all([0, 1].map(() => runCutouts(ort, sessions1, pixels, side, n / 2))) },
    { name: 'raw-2workers', threads: 1, loops: 2, note: '2 worker threads with their own sessions, intraOpNumThreads 1 (2 cores)', run: () => Promise.all(workers.map((w) => workerRun(w, n / 2))) },
    { name: 'raw-seq-t2', threads: 2, loops: 1, note: '1 loop, intraOpNumThreads 2', run: () => runCutouts(ort, sessions2, pixels, side, n) },
  ];
  return {
    cases: cases.map(({ name, threads, loops, note }) => ({ name, threads, loops, note })),
    async round(log) {
      const out = [];
      for (const c of cases) {
        const before = cpuSnapshot();
        await c.run();
        const cpu = cpuBetween(before, cpuSnapshot());
        const r = { case: c.name, cutouts: n, seconds: cpu.wallSeconds, cutoutsPerSecond: round(n / cpu.wallSeconds, 1), cpuMsPerCutout: round((cpu.benchCpuSeconds * 1000) / n, 2), cpu };
        out.push(r);
        log(`  ${c.name}: ${r.cutoutsPerSecond} cutouts/s (${r.cpuMsPerCutout} CPU ms per cutout; other processes ${cpu.otherCores} cores)`);
      }
      return out;
    },
    async close() {
      await Promise.all(workers.map((w) => new Promise((resolve) => {
        w.once('exit', resolve);
        w.postMessage({ type: 'close' });
      })));
      for (const s of [...sessions1, ...sessions2]) await s.release();
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// case: service

async function coldStart(inputs, args) {
  const srv = await startServer(args);
  const r = await fetchOnce(`${srv.url}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/fits' }, body: inputs.fits });
  const firstScoreMs = performance.now() - srv.t0;
  const mem = memoryOf(srv.pid);
  const stop = await stopServer(srv);
  if (r.status !== 200) throw new Error(`cold start: POST /v1/score answered ${r.status}`);
  return { modelsLoadedMs: round(srv.modelsLoadedMs, 0), listeningMs: round(srv.listeningMs, 0), firstScoreMs: round(firstScoreMs, 0), rssAfterFirstScoreBytes: mem.rssBytes, shutdown: stop };
}

async function serviceConfig(config, inputs, counts, log) {
  const profDir = process.env.BENCH_SERVICE_CPU_PROF && config.label === PROFILE_CONFIG ? mkdtempSync(join(tmpdir(), 'darklens-bench-prof-')) : undefined;
  const srv = await startServer(config.args, { nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
  try {
    await sleep(500);
    const memStart = memoryOf(srv.pid);
    const sanity = await sanityCheck(srv, inputs);
    const score = [scoreRequest(inputs)];
    log(`  ${config.label}: ${srv.engine}; RSS after start ${mib(memStart.rssBytes)} MiB; warming up`);
    await load(srv, { connections: MAX_CONNECTIONS, duration: counts.warmupS, requests: score });
    const max = await load(srv, { connections: MAX_CONNECTIONS, duration: counts.maxS, requests: score });
    log(`  ${config.label} max (${max.connections} connections): ${max.requestsPerSecond} req/s, p50 ${max.latencyMs.p50} ms, p99 ${max.latencyMs.p99} ms (in the app: ${max.serverHandlerMs ? `${max.serverHandlerMs.p50}/${max.serverHandlerMs.p99} ms` : 'not logged'}), server ${max.serverCpuMsPerRequest} CPU ms/req, ${max.cpu.serverCores} cores`);
    const rate = max.requestsPerSecond / 2;
    const half = {};
    for (const connections of [MAX_CONNECTIONS, 2]) {
      const h = await load(srv, { connections, duration: counts.halfS, overallRate: rate, requests: score });
      half[`c${connections}`] = h;
      log(`  ${config.label} half rate ${h.overallRate} req/s, ${h.connections} connections: ${h.requestsPerSecond} req/s, p50 ${h.latencyMs.p50} ms, p99 ${h.latencyMs.p99} ms (in the app: ${h.serverHandlerMs ? `${h.serverHandlerMs.p50}/${h.serverHandlerMs.p99} ms` : 'not logged'})`);
    }
    // Baseline: one connection at a tenth of the max rate (requests one after another, no queueing).
    const low = await load(srv, { connections: 1, duration: counts.halfS / 2, overallRate: max.requestsPerSecond / 10, requests: score });
    log(`  ${config.label} low rate ${low.overallRate} req/s, 1 connection: p50 ${low.latencyMs.p50} ms, p99 ${low.latencyMs.p99} ms (in the app: ${low.serverHandlerMs ? `${low.serverHandlerMs.p50}/${low.serverHandlerMs.p99} ms` : 'not logged'})`);
    const memAfter = memoryOf(srv.pid);
    const stop = await stopServer(srv);
    const out = { label: config.label, args: config.args, engine: srv.engine, sanity, rssAfterStartBytes: memStart.rssBytes, rssAfterLoadBytes: memAfter.rssBytes, rssPeakBytes: memAfter.hwmBytes, max, half, low, serverLogLines: srv.logLines, serverErrorLogs: srv.errorCount, serverErrorSamples: srv.errorLines, shutdown: stop };
    if (profDir) {
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) out.cpuProfile = summariseCpuProfile(join(profDir, file));
    }
    return out;
  } finally {
    if (!srv.exited) srv.child.kill('SIGKILL');
    if (profDir) rmSync(profDir, { recursive: true, force: true });
  }
}

async function runService({ quick, training, log }) {
  checkBuilt();
  const counts = quick ? COUNTS.quick : COUNTS.full;
  const ort = await import('onnxruntime-node');
  const inputs = await makeInputs(training);
  const contextStart = loadContext();
  log(`  load average ${contextStart.loadavg.join(' ')}; busy processes: ${contextStart.busyProcesses.map((p) => `${p.pid} ${p.cpuPercent}% ${p.command.slice(0, 60)}`).join('; ') || 'none'}`);

  // Cold start first, while nothing else of ours runs.
  const cold = [];
  for (let i = 0; i < counts.coldStarts; i++) {
    cold.push(await coldStart(inputs, []));
    log(`  cold start ${i + 1}: listening ${cold.at(-1).listeningMs} ms, first 200 of /v1/score ${cold.at(-1).firstScoreMs} ms`);
  }

  const raw = await rawBench(ort, inputs, counts);
  const rawRounds = [];
  const services = [];
  try {
    for (const config of CONFIGS) {
      log(`  raw onnxruntime-node, round ${rawRounds.length + 1}`);
      rawRounds.push(await raw.round(log));
      services.push(await serviceConfig(config, inputs, counts, log));
    }
    log(`  raw onnxruntime-node, round ${rawRounds.length + 1}`);
    rawRounds.push(await raw.round(log));
  } finally {
    await raw.close();
  }
  const contextEnd = loadContext();

  // Raw: the median of the rounds per case; the best case is what the service is held against.
  const rawSummary = raw.cases.map((c) => {
    const rs = rawRounds.map((rr) => rr.find((r) => r.case === c.name));
    return { ...c, cutoutsPerSecond: round(median(rs.map((r) => r.cutoutsPerSecond)), 1), rounds: rs.map((r) => r.cutoutsPerSecond), cpuMsPerCutout: round(median(rs.map((r) => r.cpuMsPerCutout)), 2), otherCores: round(median(rs.map((r) => r.cpu.otherCores)), 2) };
  });
  const best = rawSummary.reduce((a, b) => (b.cutoutsPerSecond > a.cutoutsPerSecond ? b : a));
  const seq = rawSummary.find((r) => r.name === 'raw-seq');
  const targets = services.map((s) => ({
    config: s.label,
    serviceRequestsPerSecond: s.max.requestsPerSecond,
    bestRaw: { case: best.name, cutoutsPerSecond: best.cutoutsPerSecond },
    ratioToBestRaw: round(s.max.requestsPerSecond / best.cutoutsPerSecond, 3),
    ratioToRawSeq: round(s.max.requestsPerSecond / seq.cutoutsPerSecond, 3),
    throughputMet: s.max.requestsPerSecond / best.cutoutsPerSecond >= TARGET.throughputRatio,
    halfLoadP99Ms: { [`c${MAX_CONNECTIONS}`]: s.half[`c${MAX_CONNECTIONS}`].latencyMs.p99, c2: s.half.c2.latencyMs.p99 },
    halfLoadP99Met: { [`c${MAX_CONNECTIONS}`]: s.half[`c${MAX_CONNECTIONS}`].latencyMs.p99 <= TARGET.halfLoadP99Ms, c2: s.half.c2.latencyMs.p99 <= TARGET.halfLoadP99Ms },
    serverCpuMsPerRequest: s.max.serverCpuMsPerRequest,
    rawCpuMsPerCutout: seq.cpuMsPerCutout,
    // Independent of how much CPU the background left: raw-seq CPU per cutout / server CPU per request.
    cpuEfficiency: round(seq.cpuMsPerCutout / s.max.serverCpuMsPerRequest, 3),
  }));

  const coldSummary = { runs: cold, medianFirstScoreMs: median(cold.map((c) => c.firstScoreMs)), medianListeningMs: median(cold.map((c) => c.listeningMs)) };
  const pct = (x) => `${round(x * 100, 0)}%`;
  const summary = [
    `background: load average ${contextStart.loadavg[0]} at start, ${contextEnd.loadavg[0]} at end; other processes used a median ${median(rawRounds.flat().map((r) => r.cpu.otherCores))} of ${availableParallelism()} cores during the raw runs` +
      (contextStart.busyProcesses.length ? ` (busiest: ${contextStart.busyProcesses[0].command.slice(0, 70)})` : ''),
    `raw onnxruntime-node, 4 models per cutout, batch 1 (median of ${rawRounds.length} interleaved rounds): ` + rawSummary.map((r) => `${r.name} ${r.cutoutsPerSecond}`).join(', ') + ` cutouts/s; best ${best.name}`,
    ...services.map((s, i) => {
      const t = targets[i];
      const h8 = s.half[`c${MAX_CONNECTIONS}`];
      return (
        `service ${s.label}: max ${s.max.requestsPerSecond} req/s (p50 ${s.max.latencyMs.p50} / p99 ${s.max.latencyMs.p99} ms, ${s.max.connections} connections) = ${pct(t.ratioToBestRaw)} of best raw (${pct(t.ratioToRawSeq)} of raw-seq) -> ` +
        `throughput target ${pct(TARGET.throughputRatio)} ${t.throughputMet ? 'MET' : 'NOT met'}; half rate ${h8.overallRate} req/s: p50/p99 ${h8.latencyMs.p50}/${h8.latencyMs.p99} ms (${h8.connections} conn), ` +
        `${s.half.c2.latencyMs.p50}/${s.half.c2.latencyMs.p99} ms (${s.half.c2.connections} conn) -> p99 <= ${TARGET.halfLoadP99Ms} ms ${t.halfLoadP99Met[`c${MAX_CONNECTIONS}`] ? 'MET' : 'NOT met'} (${h8.connections} conn), ${t.halfLoadP99Met.c2 ? 'MET' : 'NOT met'} (${s.half.c2.connections} conn)`
      );
    }),
    `low load (1 connection, a tenth of the max rate) p50/p99: ${services.map((s) => `${s.label} ${s.low.latencyMs.p50}/${s.low.latencyMs.p99} ms`).join(', ')}`,
    `CPU per cutout at max load: raw-seq ${seq.cpuMsPerCutout} ms; server ${services.map((s, i) => `${s.label} ${s.max.serverCpuMsPerRequest} ms/request (raw/server ${pct(targets[i].cpuEfficiency)}; ${s.max.cpu.serverCores} cores)`).join(', ')}; load generator ${services.map((s) => round((s.max.cpu.benchCpuSeconds * 1000) / s.max.requests2xx, 2)).join(', ')} ms/request`,
    `cold start (spawn to first 200 of POST /v1/score), median of ${cold.length}: ${coldSummary.medianFirstScoreMs} ms (listening after ${coldSummary.medianListeningMs} ms)`,
    `server RSS: ${services.map((s) => `${s.label} ${mib(s.rssAfterStartBytes)} MiB after start, ${mib(s.rssAfterLoadBytes)} MiB after load (peak ${mib(s.rssPeakBytes)})`).join('; ')}`,
    ...services
      .filter((s) => s.cpuProfile)
      .map((s) => `${s.label} --cpu-prof, main thread self time: ${s.cpuProfile.selfByFunction.slice(0, 8).map((f) => `${f.percent}% ${f.name}`).join('; ')}`),
  ];

  const rows = [
    ...rawSummary.map((r) => [r.name, `${r.threads} thr, ${r.loops} loop`, '', '', r.cutoutsPerSecond, '', '', r.cpuMsPerCutout, r.otherCores]),
    ...services.flatMap((s) => [
      [`service ${s.label}`, 'max', s.max.connections, '', s.max.requestsPerSecond, s.max.latencyMs.p50, s.max.latencyMs.p99, s.max.serverCpuMsPerRequest, s.max.cpu.otherCores],
      ...Object.values(s.half).map((h) => [`service ${s.label}`, 'half', h.connections, h.overallRate, h.requestsPerSecond, h.latencyMs.p50, h.latencyMs.p99, h.serverCpuMsPerRequest, h.cpu.otherCores]),
      [`service ${s.label}`, 'low', s.low.connections, s.low.overallRate, s.low.requestsPerSecond, s.low.latencyMs.p50, s.low.latencyMs.p99, s.low.serverCpuMsPerRequest, s.low.cpu.otherCores],
    ]),
  ];

  return {
    config: {
      models: inputs.models.map((m) => `${m.name}@${m.version}`),
      input: `${inputs.side}x${inputs.side} simulated lens (model-a, no_sub, seed ${SEED}), FITS ${inputs.fits.length} bytes, pixel scale ${inputs.spec.pixelScale}"`,
      counts: quick ? 'quick' : 'full',
      ...counts,
      maxConnections: MAX_CONNECTIONS,
      loadGenerator: 'autocannon 9 (programmatic), in the benchmark process, pipelining 1, loopback',
      rawRuntime: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim(),
      latency: 'per-response times recorded from autocannon\'s response events (float ms), nearest-rank percentiles of the 2xx responses',
      halfRate: 'autocannon overallRate = max req/s / 2; autocannon paces per connection per second (bursts), so both 8 and 2 connections are reported',
    },
    target: { ...TARGET, basis: 'service max req/s (1 cutout = 4 models per request) / best raw cutouts/s in the same run; p99 of /v1/score at half the max rate', results: targets },
    loadContext: { start: contextStart, end: contextEnd },
    coldStart: coldSummary,
    raw: { cases: rawSummary, rounds: rawRounds },
    results: services,
    table: { columns: ['case', 'mode', 'conn', 'rate', 'per s', 'p50 ms', 'p99 ms', 'CPU ms/cutout', 'other cores'], rows },
    summary,
  };
}

// ---------------------------------------------------------------------------------------------------
// case: service-soak

function soakSeconds(quick) {
  const env = process.env.BENCH_SOAK_SECONDS;
  if (env !== undefined && env !== '') {
    const s = Number(env);
    if (!(s > 0)) throw new Error(`BENCH_SOAK_SECONDS=${env}; accepted: a positive number of seconds`);
    return s;
  }
  return quick ? COUNTS.quick.soakS : COUNTS.full.soakS;
}

async function runSoak({ quick, training, log }) {
  checkBuilt();
  const counts = quick ? COUNTS.quick : COUNTS.full;
  const duration = soakSeconds(quick);
  const slopeLimit = soakSlopeLimit(duration);
  const inputs = await makeInputs(training);
  // Per connection, in turn: 6 single cutouts, the model list, one batch of 16.
  const mix = [...Array.from({ length: 6 }, () => scoreRequest(inputs)), modelsRequest(), batchRequest(inputs)];
  const contextStart = loadContext();
  const srv = await startServer([]);
  try {
    await sleep(500);
    const rssStart = memoryOf(srv.pid).rssBytes;
    const sanity = await sanityCheck(srv, inputs, { batch: true });
    log(`  ${srv.engine}; RSS after start ${mib(rssStart)} MiB; warming up`);
    await load(srv, { connections: MAX_CONNECTIONS, duration: counts.warmupS, requests: mix });
    let calibration = null;
    let maxRate;
    if (process.env.BENCH_SOAK_RATE) {
      maxRate = 2 * Number(process.env.BENCH_SOAK_RATE);
      if (!(maxRate > 0)) throw new Error(`BENCH_SOAK_RATE=${process.env.BENCH_SOAK_RATE}; accepted: a positive number of requests per second`);
    } else {
      calibration = await load(srv, { connections: MAX_CONNECTIONS, duration: counts.soakCalibrateS, requests: mix });
      maxRate = calibration.requestsPerSecond;
      log(`  max rate of the mix: ${maxRate} req/s`);
    }
    const rate = maxRate / 2;

    // RSS every few seconds while the soak runs.
    const samples = [];
    const t0 = performance.now();
    const sample = () => samples.push({ t: round((performance.now() - t0) / 1000, 2), rssBytes: memoryOf(srv.pid).rssBytes, cpuSeconds: round(cpuSecondsOf(srv.pid), 2) });
    sample();
    const timer = setInterval(sample, counts.soakSampleMs);
    log(`  soak: ${duration} s at ${round(rate, 0)} req/s (${MAX_CONNECTIONS} connections), RSS every ${counts.soakSampleMs / 1000} s`);
    let soak;
    try {
      soak = await load(srv, { connections: MAX_CONNECTIONS, duration, overallRate: rate, requests: mix });
    } finally {
      clearInterval(timer);
    }
    sample();
    const after = await sanityCheck(srv, inputs, { batch: true }).then(() => 'ok', (e) => e.message);
    const rssEnd = memoryOf(srv.pid);
    const stop = await stopServer(srv);

    const from = duration * SOAK_WARMUP_FRACTION;
    const fitted = samples.filter((s) => s.t >= from);
    const minutes = fitted.map((s) => s.t / 60);
    const bytes = fitted.map((s) => s.rssBytes);
    const leastSquares = linearFit(minutes, bytes).slope; // bytes per minute
    const growth = theilSenSlope(minutes, bytes); // bytes per minute
    const zero5xx = soak.status5xx === 0 && soak.errors === 0 && soak.timeouts === 0;
    const noGrowth = duration >= SOAK_MIN_JUDGED_SECONDS ? growth <= slopeLimit : null;
    const pass = zero5xx && noGrowth !== false && srv.errorCount === 0;
    const rssValues = fitted.map((s) => s.rssBytes);
    const summary = [
      `soak ${soak.durationSeconds} s at ${soak.overallRate} req/s (half of the mix's max ${maxRate}): ${soak.requests2xx} 2xx, ${soak.non2xx} non-2xx, ${soak.status5xx} 5xx, ${soak.errors} errors, ${soak.timeouts} timeouts; server error logs ${srv.errorCount}`,
      `per route: ${Object.entries(soak.routes).map(([k, v]) => `${k} ${v.count} (p50 ${v.latencyMs.p50} / p99 ${v.latencyMs.p99} ms)`).join('; ')}`,
      `RSS ${mib(rssStart)} MiB after start, ${mib(rssEnd.rssBytes)} MiB at the end (peak ${mib(rssEnd.hwmBytes)}); after the first ${SOAK_WARMUP_FRACTION * 100}%: ${mib(Math.min(...rssValues))}-${mib(Math.max(...rssValues))} MiB, trend ${round(growth / 2 ** 20, 2)} MiB/min Theil-Sen, ${round(leastSquares / 2 ** 20, 2)} MiB/min least squares, over ${fitted.length} samples`,
      `verdict (zero 5xx, errors and server error logs; Theil-Sen RSS trend <= ${slopeLimit / 2 ** 20} MiB/min): ${pass ? 'PASS' : 'FAIL'}` +
        (noGrowth === null ? ` (RSS trend not judged: runs under ${SOAK_MIN_JUDGED_SECONDS} s are still warming up)` : duration < SOAK_LONG_SECONDS ? ` (a ${duration} s soak only rules out fast growth; BENCH_SOAK_SECONDS=600 holds it to 2 MiB/min)` : ''),
    ];
    return {
      config: { durationSeconds: duration, sampleEverySeconds: counts.soakSampleMs / 1000, connections: MAX_CONNECTIONS, mix: mix.map((r) => r.route), batchItems: BATCH_ITEMS, rateRequestsPerSecond: round(rate, 1), rateBasis: process.env.BENCH_SOAK_RATE ? 'BENCH_SOAK_RATE' : 'half the max req/s of the same mix, measured just before', rssSlopeLimitBytesPerMinute: slopeLimit, rssSlopeMethod: 'Theil-Sen (verdict); least squares reported', fitFrom: `${SOAK_WARMUP_FRACTION * 100}% of the run` },
      loadContext: { start: contextStart, end: loadContext([srv.pid]) },
      sanity,
      calibration,
      results: [{ ...soak, rssStartBytes: rssStart, rssEndBytes: rssEnd.rssBytes, rssPeakBytes: rssEnd.hwmBytes, rssSlopeBytesPerMinute: Math.round(growth), rssLeastSquaresSlopeBytesPerMinute: Math.round(leastSquares), samples, serverErrorLogs: srv.errorCount, serverErrorSamples: srv.errorLines, afterSoakCheck: after, shutdown: stop }],
      verdict: { pass, zero5xx, noGrowth, serverErrorLogs: srv.errorCount, rssSlopeBytesPerMinute: Math.round(growth), rssSlopeMethod: 'Theil-Sen', rssLeastSquaresSlopeBytesPerMinute: Math.round(leastSquares), rssSlopeLimitBytesPerMinute: slopeLimit },
      table: {
        columns: ['route', 'requests', 'statuses', 'p50 ms', 'p99 ms'],
        rows: Object.entries(soak.routes).map(([k, v]) => [k, v.count, Object.entries(v.status).map(([c, n]) => `${c}:${n}`).join(' '), v.latencyMs.p50, v.latencyMs.p99]),
      },
      summary,
    };
  } finally {
    if (!srv.exited) srv.child.kill('SIGKILL');
  }
}

export const cases = [
  { name: 'service', description: 'scoring service on loopback (autocannon) vs raw onnxruntime-node in the same run: throughput, latency, cold start, RSS', run: runService },
  { name: 'service-soak', description: `scoring service soak (BENCH_SOAK_SECONDS, default ${COUNTS.full.soakS} s): mixed routes at half the max rate, 5xx count, RSS trend`, run: runSoak },
];
