// `darklens score` on this machine (see bench/README.md): the built CLI scoring one NPY stack of
// simulated model-a lenses into a CSV, against the raw onnxruntime ceiling measured in the same run
// (bench/_ceiling.mjs: the default set's four models, batches of 32, one worker thread per core),
// before and after the CLI runs so that a background load depresses both alike.
//
// Reported per run: the CLI's scoring rate (its own summary: from the first step to the last line
// written, models already loaded, as the ceiling's sessions are), the end-to-end rate (spawn to exit,
// start-up included), the start-up time, the peak RSS and the process's CPU per cutout (start-up
// included) against the ceiling's. The issue's target: scoring >= 80% of the
// ceiling. BENCH_SCORE_CPU_PROF=1 adds one run under --cpu-prof and where its main thread spends its
// time (the workers' inference is not on it). Needs npx tsc -b.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { ceilingRounds, smoothStack } from './_ceiling.mjs';
import { checkBuilt, CLI, cpuSecondsOf, median, memoryOf, mib, MODELS_DIR, ROOT, round, SEED } from './_server.mjs';

export const name = 'score-cli';
export const description = 'darklens score (local, all cores) on an NPY stack against the raw onnxruntime ceiling';

const TARGET = 0.8;
const BASE = 500;
const COUNTS = {
  full: { cutouts: 5000, runs: 3, ceilingBatches: 60 },
  quick: { cutouts: 1000, runs: 1, ceilingBatches: 8 },
};


/** Runs `darklens score` once; its scoring time comes from its summary line. */
function runCli(dir, out, nodeArgs = []) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, CLI, 'score', 'stack.npy', '--out', out, '--restart', '-q'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let peak = 0;
    let cpuSeconds = 0; // the last reading before the process ended
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      peak = Math.max(peak, memoryOf(child.pid).hwmBytes || 0);
      cpuSeconds = Math.max(cpuSeconds, cpuSecondsOf(child.pid) || 0);
    }, 50);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      const wall = (performance.now() - t0) / 1000;
      const m = /this run: (\d+) cutouts in .*scoring ([\d.]+)s: /.exec(stderr);
      if (code !== 0 || !m) return reject(new Error(`darklens score exited ${code}: ${stderr.slice(-1000)}`));
      resolve({ cutouts: Number(m[1]), scoringSeconds: Number(m[2]), wallSeconds: wall, peakRssBytes: peak, cpuSeconds });
    });
  });
}

/** Self time of a .cpuprofile's busy samples by package and by function (percent of the busy samples). */
function profileSummary(file, top = 12) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const fns = new Map();
  const pkgs = new Map();
  let busy = 0;
  p.samples.forEach((id, i) => {
    const cf = byId.get(id);
    const dt = p.timeDeltas[i + 1] ?? 0;
    if (cf.functionName === '(idle)' || cf.functionName === '(program)') return;
    busy += dt;
    const url = cf.url.replace(/^file:\/\//, '').replace(ROOT, '');
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.startsWith('node:') ? 'node' : url.split('/').filter(Boolean).slice(0, 3).join('/') || cf.functionName || '(native)');
    const fn = `${cf.functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + dt);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + dt);
  });
  const rank = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, t]) => ({ name, percent: round((100 * t) / busy, 1) }));
  return { busyMs: round(busy / 1000, 0), byPackage: rank(pkgs), byFunction: rank(fns) };
}

export async function run({ quick, training, log }) {
  checkBuilt();
  const counts = quick ? COUNTS.quick : COUNTS.full;
  const ceilings = ceilingRounds({ modelsDir: MODELS_DIR, batches: counts.ceilingBatches, log });
  const ceiling = () => ceilings.measure();
  const dir = mkdtempSync(join(tmpdir(), 'darklens-bench-score-'));
  const runs = [];
  let profile;
  try {
    writeFileSync(join(dir, 'stack.npy'), await smoothStack(training, counts.cutouts, { base: BASE, seed: SEED }));
    await ceiling();
    for (let i = 0; i < counts.runs; i++) {
      const r = await runCli(dir, 'results.csv');
      if (r.cutouts !== counts.cutouts) throw new Error(`scored ${r.cutouts} of ${counts.cutouts}`);
      runs.push(r);
      log(`  run ${i + 1}: scoring ${round(r.cutouts / r.scoringSeconds, 0)} cutouts/s, end to end ${round(r.cutouts / r.wallSeconds, 0)} cutouts/s (start-up ${round(r.wallSeconds - r.scoringSeconds, 1)} s), peak RSS ${mib(r.peakRssBytes)} MiB`);
    }
    await ceiling();
    if (process.env.BENCH_SCORE_CPU_PROF === '1') {
      const prof = join(dir, 'prof');
      const r = await runCli(dir, 'profiled.csv', ['--cpu-prof', `--cpu-prof-dir=${prof}`]);
      // The main thread's profile is the first one written (workers write theirs with their thread id).
      const files = readdirSync(prof).filter((f) => f.endsWith('.cpuprofile')).sort();
      profile = { scoringCutoutsPerSecond: round(r.cutouts / r.scoringSeconds, 0), threads: files.map((f) => ({ file: f, ...profileSummary(join(prof, f)) })) };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ceilingRate = ceilings.median();
  const scoring = median(runs.map((r) => r.cutouts / r.scoringSeconds));
  const endToEnd = median(runs.map((r) => r.cutouts / r.wallSeconds));
  const results = runs.map((r, i) => ({
    run: i + 1,
    cutouts: r.cutouts,
    scoringCutoutsPerSecond: round(r.cutouts / r.scoringSeconds, 0),
    endToEndCutoutsPerSecond: round(r.cutouts / r.wallSeconds, 0),
    startupSeconds: round(r.wallSeconds - r.scoringSeconds, 1),
    wallSeconds: round(r.wallSeconds, 1),
    peakRssMiB: mib(r.peakRssBytes),
    ofCeiling: round(r.cutouts / r.scoringSeconds / ceilingRate, 3),
    // Start-up included (loading the models, sha256 of the files): an upper bound of the scoring's own CPU.
    cpuMsPerCutout: round((r.cpuSeconds * 1000) / r.cutouts, 2),
    ofCeilingCpu: round(ceilings.cpuMedian() / ((r.cpuSeconds * 1000) / r.cutouts), 3),
  }));
  const ofCeiling = scoring / ceilingRate;
  return {
    config: { cutouts: counts.cutouts, distinct: Math.min(BASE, counts.cutouts), runs: counts.runs, command: 'darklens score stack.npy --out results.csv --restart -q (default workers: one per core)', target: `scoring >= ${TARGET * 100}% of the ceiling` },
    ceiling: { cutoutsPerSecond: round(ceilingRate, 0), rounds: ceilings.rounds.map((c) => round(c, 0)), cpuMsPerCutout: round(ceilings.cpuMedian(), 2), cpuRounds: ceilings.cpuRounds.map((c) => round(c, 2)) },
    results,
    ...(profile === undefined ? {} : { profile }),
    target: { scoring: ofCeiling >= TARGET ? 'MET' : 'NOT met' },
    table: {
      columns: ['run', 'cutouts', 'scoring/s', 'end-to-end/s', 'start-up s', 'peak RSS MiB', 'of ceiling', 'CPU ms/cutout', 'of ceiling (CPU)'],
      rows: results.map((r) => [r.run, r.cutouts, r.scoringCutoutsPerSecond, r.endToEndCutoutsPerSecond, r.startupSeconds, r.peakRssMiB, r.ofCeiling, r.cpuMsPerCutout, r.ofCeilingCpu]),
    },
    summary: [
      `ceiling ${round(ceilingRate, 0)} cutouts/s, ${round(ceilings.cpuMedian(), 2)} CPU ms a cutout (median of ${ceilings.rounds.length} rounds, before and after)`,
      `darklens score: ${round(scoring, 0)} cutouts/s scoring (median of ${runs.length}), ${round(endToEnd, 0)} end to end = ${round(100 * ofCeiling, 1)}% of the ceiling -> ${ofCeiling >= TARGET ? 'MET' : 'NOT met'} (target ${TARGET * 100}%)`,
      ...(profile === undefined ? [] : profile.threads.slice(0, 1).map((t) => `main thread (--cpu-prof, ${t.busyMs} ms busy): ${t.byPackage.slice(0, 6).map((p) => `${p.percent}% ${p.name}`).join('; ')}`)),
    ],
  };
}
