#!/usr/bin/env node
// Benchmark runner: `npm run bench [-- --quick] [-- FILTER...]` (see bench/README.md).
//
// Runs every benchmark module bench/<name>.mjs (all .mjs files here except this one and files
// starting with '_'; a module may export several cases), writes bench/results/<name>.json with the
// machine it ran on, and prints a compact table. Benchmarks use the BUILT packages (training/dist), so build first: npx tsc -b.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(BENCH_DIR, '..');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const TRAINING = join(ROOT, 'training', 'dist', 'index.js');

const USAGE = `usage: npm run bench [-- [--quick] [FILTER...]]
  --quick    fewer images per case (a smoke run, about a minute); results go to bench/results/<name>.quick.local.json
  FILTER     run only the benchmarks whose name contains one of these words (a benchmark's exact name selects only it)
  (npm run bench --quick also works: npm passes it on as npm_config_quick)`;

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const out = { quick: process.env.npm_config_quick === 'true', filters: [] };
  for (const a of argv) {
    if (a === '--quick') out.quick = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else if (a.startsWith('-')) fail(`unknown option '${a}'\n${USAGE}`);
    else out.filters.push(a);
  }
  return out;
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function machineInfo() {
  const cpu = cpus();
  const commit = git(['rev-parse', 'HEAD']);
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no']);
  return {
    cpuModel: cpu[0]?.model?.trim() ?? 'unknown',
    logicalCores: availableParallelism(),
    totalMemoryBytes: totalmem(),
    totalMemoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    v8: process.versions.v8,
    os: { platform: platform(), release: release(), arch: arch() },
    gitCommit: commit,
    // Uncommitted changes to tracked files: the numbers are then not those of gitCommit alone.
    gitDirty: status === null ? null : status !== '',
    date: new Date().toISOString(),
  };
}

/** Renders rows as an aligned text table; numbers right-aligned. */
function formatTable({ columns, rows }) {
  const cells = [columns, ...rows.map((r) => r.map((v) => (typeof v === 'number' ? String(v) : String(v ?? ''))))];
  const widths = columns.map((_, k) => Math.max(...cells.map((r) => r[k].length)));
  const numeric = columns.map((_, k) => rows.length > 0 && rows.every((r) => typeof r[k] === 'number'));
  const line = (r) => r.map((v, k) => (numeric[k] ? v.padStart(widths[k]) : v.padEnd(widths[k]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

async function main() {
  const { quick, filters } = parseArgs(process.argv.slice(2));
  if (!existsSync(TRAINING)) fail('training/dist/index.js is missing: run npx tsc -b first');

  const files = (await readdir(BENCH_DIR)).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs' && !f.startsWith('_')).sort();
  const modules = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(join(BENCH_DIR, f)).href);
    // One benchmark (name, description, run) or several: cases = [{ name, description, run }].
    const cases = Array.isArray(mod.cases) ? mod.cases : [mod];
    for (const c of cases) {
      if (typeof c.run !== 'function' || typeof c.name !== 'string') fail(`${f} does not export name and run() (or cases of them)`);
      if (modules.some((m) => m.name === c.name)) fail(`benchmark name '${c.name}' of ${f} is taken`);
      modules.push(c);
    }
  }
  // A filter that is a benchmark's exact name selects that one only ('service' is not 'service-soak').
  const matches = (m, w) => (modules.some((x) => x.name === w) ? m.name === w : m.name.includes(w));
  const selected = filters.length === 0 ? modules : modules.filter((m) => filters.some((w) => matches(m, w)));
  if (selected.length === 0) fail(`no benchmark matches ${filters.map((w) => `'${w}'`).join(', ')}; available: ${modules.map((m) => m.name).join(', ')}`);

  const training = await import(pathToFileURL(TRAINING).href);
  const machine = machineInfo();
  process.stdout.write(
    `machine: ${machine.cpuModel}, ${machine.logicalCores} logical cores, ${machine.totalMemoryGiB} GiB, node ${machine.node}, ` +
      `${machine.os.platform} ${machine.os.release}, commit ${machine.gitCommit?.slice(0, 12) ?? 'unknown'}${machine.gitDirty ? ' (dirty)' : ''}` +
      `${quick ? ', QUICK run' : ''}\n`,
  );
  await mkdir(RESULTS_DIR, { recursive: true });

  for (const mod of selected) {
    process.stdout.write(`\n== ${mod.name}: ${mod.description ?? ''}\n`);
    const loadAt0 = loadavg().map((v) => Number(v.toFixed(2)));
    const t0 = performance.now();
    const out = await mod.run({ quick, training, log: (s) => process.stderr.write(s + '\n') });
    const durationSeconds = Number(((performance.now() - t0) / 1000).toFixed(1));
    const { table, summary, ...rest } = out;
    // The machine's load (1, 5, 15 min) when this benchmark began and ended: other work on it slows every figure.
    const loadAverage = { start: loadAt0, end: loadavg().map((v) => Number(v.toFixed(2))) };
    const record = { name: mod.name, description: mod.description ?? '', quick, machine: { ...machine, loadAverage }, durationSeconds, ...rest, summary: summary ?? [] };
    const file = join(RESULTS_DIR, quick ? `${mod.name}.quick.local.json` : `${mod.name}.json`);
    await writeFile(file, JSON.stringify(record, null, 2) + '\n');
    if (table) process.stdout.write(formatTable(table) + '\n');
    for (const s of summary ?? []) process.stdout.write(s + '\n');
    process.stdout.write(`(${durationSeconds}s; load average ${loadAverage.start.join(' ')} at the start, ${loadAverage.end.join(' ')} at the end; written to ${file.slice(ROOT.length + 1)})\n`);
  }
}

await main();
