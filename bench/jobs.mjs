// Survey-scale scoring throughput (see bench/README.md), all against the raw onnxruntime ceiling
// measured in the same run (bench/_ceiling.mjs: the default set's four models, batches of 32, one
// worker thread per core), before and after the service cases so that a background load depresses
// both alike:
//
//   batch route   NPY stacks of 500 cutouts POSTed one after another to /v1/score/batch by a client
//                 on the same machine, as a new user would
//   local job     one NPY stack POSTed to /v1/jobs, from acceptance to "succeeded"
//   100k job      (full runs) 100,000 cutouts as a keys job over a folder of 200 NPY stacks of 500:
//                 wall time, cutouts/s, the server's peak RSS, the job folder's size on disk
//
// The target: the batch route and local jobs at >= 80% of the ceiling. Each case also records
// the server's CPU (all its threads) per cutout and the ceiling's CPU per cutout over it: on a machine
// shared with other work, wall-clock shares swing with the load; the CPU share says what the path
// costs beyond onnxruntime. Needs npx tsc -b.
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ceilingRounds, smoothStack } from './_ceiling.mjs';
import { checkBuilt, cpuSecondsOf, fetchOnce, memoryOf, mib, MODELS_DIR, round, SEED, startServer, stopServer } from './_server.mjs';

export const name = 'jobs';
export const description = 'batch route, local jobs and a 100,000-cutout job against the raw onnxruntime ceiling';

const TARGET = 0.8;
const STACK = 500;
const COUNTS = {
  full: { ceilingBatches: 60, batchStacks: 8, jobCutouts: 5000, bigStacks: 200 },
  quick: { ceilingBatches: 8, batchStacks: 2, jobCutouts: 1000, bigStacks: 0 },
};


async function untilDone(url, id, onTick) {
  for (;;) {
    const r = await fetchOnce(`${url}/v1/jobs/${id}`);
    const s = JSON.parse(r.body.toString('utf8'));
    onTick?.(s);
    if (s.state === 'succeeded') return s;
    if (r.status !== 200 || s.state === 'cancelled') throw new Error(`job ${id}: ${r.status} ${r.body.toString('utf8').slice(0, 300)}`);
    await sleep(100);
  }
}

const duBytes = (dir) => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);

export async function run({ quick, training, log }) {
  checkBuilt();
  const counts = quick ? COUNTS.quick : COUNTS.full;
  const ceilings = ceilingRounds({ modelsDir: MODELS_DIR, batches: counts.ceilingBatches, log });
  const ceiling = () => ceilings.measure();
  const work = mkdtempSync(join(tmpdir(), 'darklens-bench-jobs-'));
  const results = [];
  try {
    await ceiling();
    const jobsDir = join(work, 'jobs');
    const inputsDir = join(work, 'inputs');
    mkdirSync(inputsDir);
    const srv = await startServer(['--quiet', '--jobs', jobsDir, '--inputs', inputsDir]);
    try {
      // Batch route: stacks of 500, one after another.
      const stack = await smoothStack(training, STACK, { seed: SEED });
      await fetchOnce(`${srv.url}/v1/score/batch`, { method: 'POST', headers: { 'content-type': 'application/x-npy' }, body: stack }); // warm-up
      // The server's CPU seconds (every thread) over a case, per cutout: what the path costs, beside what it took.
      let cpu0 = cpuSecondsOf(srv.pid);
      const cpuMs = (n) => round(((cpuSecondsOf(srv.pid) - cpu0) * 1000) / n, 2);
      let t0 = performance.now();
      for (let i = 0; i < counts.batchStacks; i++) {
        const r = await fetchOnce(`${srv.url}/v1/score/batch`, { method: 'POST', headers: { 'content-type': 'application/x-npy' }, body: stack });
        if (r.status !== 200) throw new Error(`batch answered ${r.status}`);
      }
      const batchRate = (counts.batchStacks * STACK) / ((performance.now() - t0) / 1000);
      results.push({ case: 'batch route', cutouts: counts.batchStacks * STACK, cutoutsPerSecond: round(batchRate, 0), serverCpuMsPerCutout: cpuMs(counts.batchStacks * STACK) });
      log(`  batch route: ${round(batchRate, 0)} cutouts/s`);

      // One local job of an uploaded stack.
      const jobStack = await smoothStack(training, counts.jobCutouts, { seed: SEED });
      cpu0 = cpuSecondsOf(srv.pid);
      t0 = performance.now();
      const accepted = JSON.parse((await fetchOnce(`${srv.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/x-npy' }, body: jobStack })).body.toString('utf8'));
      await untilDone(srv.url, accepted.id);
      const jobRate = counts.jobCutouts / ((performance.now() - t0) / 1000);
      results.push({ case: 'local job', cutouts: counts.jobCutouts, cutoutsPerSecond: round(jobRate, 0), serverCpuMsPerCutout: cpuMs(counts.jobCutouts) });
      log(`  local job: ${round(jobRate, 0)} cutouts/s`);

      // 100,000 cutouts as a keys job over a folder of stacks.
      if (counts.bigStacks > 0) {
        for (let i = 0; i < counts.bigStacks; i++) writeFileSync(join(inputsDir, `stack-${String(i).padStart(4, '0')}.npy`), stack);
        const n = counts.bigStacks * STACK;
        const before = memoryOf(srv.pid);
        cpu0 = cpuSecondsOf(srv.pid);
        t0 = performance.now();
        const big = JSON.parse((await fetchOnce(`${srv.url}/v1/jobs?chunk=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ prefix: 'stack-' })) })).body.toString('utf8'));
        let peak = 0;
        let lastLog = 0;
        const done = await untilDone(srv.url, big.id, (s) => {
          peak = Math.max(peak, memoryOf(srv.pid).rssBytes);
          if (performance.now() - lastLog > 10_000) {
            lastLog = performance.now();
            log(`  100k job: ${s.counts.items} of ${n} (${round(100 * s.progress, 0)}%), ETA ${s.etaSeconds ?? '--'} s`);
          }
        });
        const seconds = (performance.now() - t0) / 1000;
        if (done.counts.items !== n || done.counts.failed !== 0) throw new Error(`the 100k job ended with ${JSON.stringify(done.counts)}`);
        results.push({
          case: '100k job',
          cutouts: n,
          wallSeconds: round(seconds, 1),
          cutoutsPerSecond: round(n / seconds, 0),
          serverCpuMsPerCutout: cpuMs(n),
          serverRssBeforeMiB: mib(before.rssBytes),
          serverPeakRssMiB: mib(Math.max(peak, memoryOf(srv.pid).hwmBytes)),
          jobDiskMiB: mib(duBytes(jobsDir)),
          inputsDiskMiB: mib(duBytes(inputsDir)),
        });
        log(`  100k job: ${round(seconds, 1)} s, ${round(n / seconds, 0)} cutouts/s`);
      }
    } finally {
      await stopServer(srv);
    }
    await ceiling();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const ceilingRate = ceilings.median();
  const ceilingCpu = ceilings.cpuMedian();
  for (const r of results) {
    r.ofCeiling = round(r.cutoutsPerSecond / ceilingRate, 3);
    // onnxruntime's own CPU per cutout over the server's: the share a path would reach with the machine to itself.
    r.ofCeilingCpu = round(ceilingCpu / r.serverCpuMsPerCutout, 3);
  }
  const judged = results.filter((r) => r.case !== '100k job');
  return {
    config: { stack: STACK, ...counts, modelsDir: 'models (default set)', target: `>= ${TARGET * 100}% of the ceiling` },
    ceiling: { cutoutsPerSecond: round(ceilingRate, 0), rounds: ceilings.rounds.map((c) => round(c, 0)), cpuMsPerCutout: round(ceilingCpu, 2), cpuRounds: ceilings.cpuRounds.map((c) => round(c, 2)) },
    results,
    target: Object.fromEntries(judged.map((r) => [r.case, r.ofCeiling >= TARGET ? 'MET' : 'NOT met'])),
    table: {
      columns: ['case', 'cutouts', 'cutouts/s', 'of ceiling', 'CPU ms/cutout', 'of ceiling (CPU)', 'wall s', 'peak RSS MiB', 'disk MiB'],
      rows: results.map((r) => [r.case, r.cutouts, r.cutoutsPerSecond, r.ofCeiling, r.serverCpuMsPerCutout, r.ofCeilingCpu, r.wallSeconds, r.serverPeakRssMiB, r.jobDiskMiB]),
    },
    summary: [
      `ceiling ${round(ceilingRate, 0)} cutouts/s, ${round(ceilingCpu, 2)} CPU ms a cutout (median of ${ceilings.rounds.length} rounds, before and after)`,
      ...judged.map((r) => `${r.case}: ${r.cutoutsPerSecond} cutouts/s = ${round(100 * r.ofCeiling, 1)}% of the ceiling -> ${r.ofCeiling >= TARGET ? 'MET' : 'NOT met'} (target ${TARGET * 100}%); ${r.serverCpuMsPerCutout} CPU ms a cutout = ${round(100 * r.ofCeilingCpu, 1)}% of the ceiling's CPU efficiency`),
    ],
  };
}
