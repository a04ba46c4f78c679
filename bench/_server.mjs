// Shared by the service benchmarks (not a benchmark itself: the name starts with '_'): the built
// `darklens serve` as a child process, one-off HTTP requests, the request bodies, and small statistics.
import { execFileSync, spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { registryModels } from './_ort.mjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = join(ROOT, 'cli', 'bin', 'darklens.js');
export const MODELS_DIR = join(ROOT, 'models');
/** Seed of the simulated lenses sent (fixed, so every run sends the same cutouts). */
export const SEED = 20240601;
/** Cutouts in a batch request body. */
export const BATCH_ITEMS = 16;

// ---------------------------------------------------------------------------------------------------
// statistics

export const round = (x, digits = 1) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);
export const mib = (bytes) => round(bytes / 2 ** 20, 1);

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile of unsorted values. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function latencySummary(values) {
  const s = Float64Array.from(values).sort();
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { count: s.length, p50: round(percentile(s, 50), 2), p90: round(percentile(s, 90), 2), p99: round(percentile(s, 99), 2), max: round(s[s.length - 1] ?? NaN, 2), mean: round(mean, 2) };
}

// ---------------------------------------------------------------------------------------------------
// processes

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds of a process (all its threads); NaN once it is gone. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
  } catch {
    return { rssBytes: NaN, hwmBytes: NaN };
  }
}

/** Starts `darklens serve --port 0 ...args`; resolves once it logs "listening" (with the url). */
export function startServer(args, { nodeArgs = [] } = {}) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  // handlerMs: the "ms" of each request log line (time inside the app, from its logger middleware), reset by load().
  const srv = { child, pid: child.pid, t0, url: undefined, logLines: 0, errorLines: [], errorCount: 0, stderr: '', exited: undefined, engine: undefined, handlerMs: [] };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    srv.stderr = (srv.stderr + d).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((srv.exited = { code, signal }))));
  srv.exitedPromise = exited;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not log "listening" within 60 s; stderr: ${srv.stderr}`));
    }, 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      srv.logLines++;
      const ms = /"msg":"request".*"ms":([\d.]+)/.exec(line);
      if (ms) srv.handlerMs.push(Number(ms[1]));
      if (line.includes('"level":"error"')) {
        srv.errorCount++;
        if (srv.errorLines.length < 10) srv.errorLines.push(line.slice(0, 500));
      }
      if (srv.url !== undefined) return;
      if (line.includes('"msg":"models loaded"')) {
        srv.modelsLoadedMs = performance.now() - t0;
        srv.engine = JSON.parse(line).engine;
      } else if (line.includes('"msg":"listening"')) {
        srv.listeningMs = performance.now() - t0;
        srv.url = JSON.parse(line).url;
        clearTimeout(timer);
        resolve(srv);
      }
    });
    void exited.then(({ code, signal }) => {
      if (srv.url === undefined) {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code ?? signal}) before listening; stderr: ${srv.stderr}`));
      }
    });
  });
}

/** SIGINT (graceful drain), SIGKILL after 20 s. */
export async function stopServer(srv) {
  if (srv.exited) return { shutdownMs: 0, ...srv.exited, graceful: false };
  const t0 = performance.now();
  srv.child.kill('SIGINT');
  const force = setTimeout(() => srv.child.kill('SIGKILL'), 20_000);
  const { code, signal } = await srv.exitedPromise;
  clearTimeout(force);
  return { shutdownMs: round(performance.now() - t0, 0), code, signal, graceful: code === 0 };
}

/** One HTTP request with node:http (no keep-alive): status and body. */
export function fetchOnce(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const h = body === undefined ? headers : { ...headers, 'content-length': body.length };
    const req = httpRequest(url, { method, headers: h, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------------
// request bodies

export async function makeInputs(training) {
  const core = await import('@darklens/core');
  const spec = training.resolveSpec('model-a');
  const models = await registryModels(MODELS_DIR);
  const side = models[0].input.width;
  if (spec.grid !== side || models.some((m) => m.input.width !== side || m.input.height !== side)) {
    throw new Error(`bench/service.mjs expects every model to take ${spec.grid}x${spec.grid} inputs (the model-a preset)`);
  }
  // Simulated lenses (no substructure), in physical units like a real cutout; the FITS carries the
  // pixel scale the models were trained at, so the service resamples nothing.
  const { scaled, raw } = training.renderRange({ spec, klass: 'no_sub', seed: SEED, count: BATCH_ITEMS, keepRaw: true }, 0, BATCH_ITEMS);
  const pixels = side * side;
  const fits = Buffer.from(core.writeFits({ width: side, height: side, data: raw.slice(0, pixels) }, { pixelScale: spec.pixelScale }));
  const npy = Buffer.from(core.writeNpy(raw, [BATCH_ITEMS, side, side]));
  return { models, side, spec, fits, npy, scaledOne: scaled.slice(0, pixels) };
}

export function checkBuilt() {
  for (const f of ['cli/dist/index.js', 'functions/dist/node/index.js', 'core/dist/index.js']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run npx tsc -b first`);
  }
}
