// The AWS Lambda handler in-process, from the built artifact (`npm run build:lambda`, rebuilt here into
// a temporary folder): artifact size, cold start (module init + the first request, models loaded from
// the bundled registry), warm p50/p99 of POST /v1/score of one 64x64 FITS cutout with the four models
// (a function URL event, body base64-encoded), the time per cutout of a warm batch request (an NPY
// stack of 16), peak resident memory; against the Node server's warm
// latency (`darklens serve`, one keep-alive connection on loopback) measured in the same run.
//
// Needs the built packages (npx tsc -b). See bench/README.md.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BATCH_ITEMS, checkBuilt, latencySummary, makeInputs, median, mib, ROOT, round, startServer, stopServer } from './_server.mjs';

export const name = 'lambda';
export const description = 'Lambda handler in-process (built artifact): cold start, warm p50/p99 of one cutout with four models, artifact size, peak memory; vs the Node server';

const COUNTS = { full: { coldStarts: 3, warm: 300, warmup: 20 }, quick: { coldStarts: 2, warm: 40, warmup: 5 } };
/** The goal: warm single-cutout latency within 1.5x of the Node server's. */
const TARGET_RATIO = 1.5;

function node(args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, maxBuffer: 64 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`${args[0]}: ${err.message}\n${stderr}`)) : resolve({ stdout, stderr })));
  });
}

/** One fresh process running the artifact: cold start, then `warm` requests. */
async function lambdaRun(artifact, cutoutFile, stackFile, warm) {
  const { stderr } = await node([join(ROOT, 'bench', '_lambda-child.mjs'), artifact, cutoutFile, stackFile, String(warm)]);
  const line = stderr.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`the Lambda child printed no result: ${stderr.slice(-2000)}`);
  return JSON.parse(line.slice(7));
}

/** POST /v1/score `count` times in a row on one keep-alive connection; each request's ms. */
async function serverWarm(url, fits, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const one = () =>
    new Promise((resolve, reject) => {
      const t = performance.now();
      const req = httpRequest(`${url}/v1/score`, { method: 'POST', agent, headers: { 'content-type': 'application/fits', 'content-length': fits.length } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error(`the server answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(fits);
    });
  const ms = [];
  for (let i = 0; i < count; i++) ms.push(await one());
  agent.destroy();
  return ms;
}

export async function run({ quick, training, log }) {
  checkBuilt();
  const counts = quick ? COUNTS.quick : COUNTS.full;
  const dir = await mkdtemp(join(tmpdir(), 'darklens-bench-lambda-'));
  try {
    log('building the Lambda artifact (npm run build:lambda) ...');
    const artifact = join(dir, 'lambda');
    await node([join(ROOT, 'scripts', 'build-lambda.mjs'), '--out', artifact]);
    const sizes = JSON.parse(await readFile(`${artifact}.json`, 'utf8'));
    const inputs = await makeInputs(training);
    const cutoutFile = join(dir, 'lens.fits');
    const stackFile = join(dir, 'lenses.npy');
    await writeFile(cutoutFile, inputs.fits);
    await writeFile(stackFile, inputs.npy);

    const runs = [];
    for (let i = 0; i < counts.coldStarts; i++) {
      log(`Lambda environment ${i + 1}/${counts.coldStarts}: cold start + ${counts.warm} warm requests ...`);
      runs.push(await lambdaRun(artifact, cutoutFile, stackFile, counts.warm));
    }
    const lambdaWarm = latencySummary(runs.flatMap((r) => r.warmMs.slice(counts.warmup)));
    const batch = latencySummary(runs.flatMap((r) => r.batchMs.slice(1)));
    const batchPerCutoutMs = round(batch.p50 / BATCH_ITEMS, 2);
    const cold = {
      initMs: round(median(runs.map((r) => r.initMs)), 0),
      firstRequestMs: round(median(runs.map((r) => r.firstMs)), 0),
      totalMs: round(median(runs.map((r) => r.initMs + r.firstMs)), 0),
    };
    const peakRssBytes = Math.max(...runs.map((r) => r.peakRssBytes));

    const servers = [];
    for (const [label, args] of [['node server (default: 2 inference worker threads)', ['--quiet']], ['node server --workers 0 (main thread, like Lambda)', ['--quiet', '--workers', '0']]]) {
      log(`${label}: ${counts.warm} warm requests ...`);
      const srv = await startServer(args);
      try {
        const ms = await serverWarm(srv.url, inputs.fits, counts.warm + counts.warmup);
        servers.push({ label, warm: latencySummary(ms.slice(counts.warmup)) });
      } finally {
        await stopServer(srv);
      }
    }
    const ratio = lambdaWarm.p50 / servers[0].warm.p50;
    const results = {
      artifact: { unzippedBytes: sizes.unzippedBytes, zippedBytes: sizes.zippedBytes, parts: sizes.parts },
      lambda: { models: runs[0].models, coldStart: cold, coldStarts: runs.map((r) => ({ initMs: round(r.initMs, 0), firstRequestMs: round(r.firstMs, 0) })), warm: lambdaWarm, batch: { items: BATCH_ITEMS, ...batch, perCutoutP50Ms: batchPerCutoutMs }, peakRssBytes },
      nodeServer: servers,
      warmP50Ratio: round(ratio, 2),
    };
    return {
      config: { warmRequests: counts.warm, warmupRequests: counts.warmup, coldStarts: counts.coldStarts, input: `${inputs.side}x${inputs.side} simulated lens as FITS (${inputs.fits.length} bytes), POST /v1/score, the four shipped models`, lambdaEvent: 'function URL, payload 2.0, body base64-encoded; the buffered handler (index.handler) called in-process' },
      target: { warmP50RatioAtMost: TARGET_RATIO, met: ratio <= TARGET_RATIO },
      results,
      table: {
        columns: ['runtime', 'cold start ms (init + first)', 'warm p50 ms', 'warm p99 ms', 'peak RSS MiB'],
        rows: [
          ['lambda handler (in-process)', `${cold.totalMs} (${cold.initMs} + ${cold.firstRequestMs})`, lambdaWarm.p50, lambdaWarm.p99, mib(peakRssBytes)],
          ...servers.map((s) => [s.label, '', s.warm.p50, s.warm.p99, '']),
        ],
      },
      summary: [
        `artifact: ${(sizes.unzippedBytes / 1e6).toFixed(1)} MB unzipped (Lambda's limit: 250 MB), ${(sizes.zippedBytes / 1e6).toFixed(1)} MB zipped`,
        `warm p50: Lambda handler ${lambdaWarm.p50} ms vs Node server ${servers[0].warm.p50} ms (${round(ratio, 2)}x; goal <= ${TARGET_RATIO}x: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'})`,
        `cold start: ${cold.totalMs} ms (module init ${cold.initMs} ms, first request with model load ${cold.firstRequestMs} ms), before AWS's own start of the environment`,
        `batch of ${BATCH_ITEMS} (NPY stack, POST /v1/score/batch): p50 ${batch.p50} ms = ${batchPerCutoutMs} ms per cutout; peak RSS ${mib(peakRssBytes)} MiB`,
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
