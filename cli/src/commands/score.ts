import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { DarklensError, DriftAccumulator, isDarklensError } from '@darklens/core';
import { configFromEnv, decodeOptions, type BatchLine, type ServiceLimits } from '@darklens/functions';
import { runSignal } from '../context.js';
import { int } from '../options.js';
import { ProgressBar } from '../progress.js';
import { driftPath, driftReport, driftText } from '../score/drift-report.js';
import { inputFiles } from '../score/input-files.js';
import { openLocalScorer } from '../score/local-scorer.js';
import { lineWriter, outputFormat } from '../score/output-file.js';
import { resumeState, runScoring, STEP } from '../score/run.js';
import { fingerprintDifference, inputsHash, readState, removeState, sha256, statePath, type Fingerprint } from '../score/run-state.js';
import { DEFAULT_API_CONCURRENCY, openRemoteScorer, type RemoteScorer } from '../score/remote-scorer.js';
import type { Scorer } from '../score/scorer.js';
import { summaryLines } from '../score/tally.js';
import { localWork } from '../score/work-source.js';
import { SHIPPED_MODELS } from './serve.js';

interface ScoreCommandOptions {
  out: string;
  models?: string;
  score?: string;
  ensemble?: string;
  survey?: string;
  fpr?: string;
  threshold?: string;
  combine?: string;
  alpha?: string;
  hdu?: string;
  registry: string;
  workers?: number;
  api?: string;
  apiKey?: string;
  concurrency?: number;
  restart?: boolean;
  quiet?: boolean;
}

/** The options that are the service's scoring parameters, under the service's names. */
const QUERY_KEYS = ['models', 'score', 'ensemble', 'survey', 'fpr', 'threshold', 'combine', 'alpha', 'hdu'] as const;

/** Failures printed one by one before only the summary counts them. */
const MAX_FAILURE_LINES = 20;

const EXAMPLES = `
Inputs: files in the order given, folders recursed in sorted order (hidden files skipped), quoted
globs ("data/**/*.fits"), tar / tar.gz archives (rows named archive.tar:entry) and NPY stacks (rows
named stack.npy[i]). A file that cannot be read or scored gets an error row and a line on stderr.

Interrupted (Ctrl-C, a crash)? Run the same command again: it continues where it stopped, and the
results equal those of one uninterrupted run. The progress is kept in <out>.darklens-progress.json
until the run completes.

With --api URL the same work is scored by a darklens service (npm start, darklens serve, or a
deployment) through its jobs API, one job per ${STEP} cutouts: the same rows, scored by the service's
models, resumable the same way (a rerun against a service serving other models is refused as
another run). Ctrl-C cancels the jobs in flight. --registry and --workers are refused with --api: the
service scores with its own. The key: --api-key or env DARKLENS_API_KEY (sent as a bearer token).

Examples:
  $ darklens score cutouts/ --out results.csv
  $ darklens score "data/**/*.fits" lenses.tar.gz --out results.jsonl
  $ darklens score survey.npy --survey lsst --fpr 0.01 --out flagged.csv
  $ darklens score cutouts/ --models vae,rbm --score mf --out results.csv --restart
  $ darklens score cutouts/ survey.npy --api http://127.0.0.1:8787 --out results.csv
  $ DARKLENS_API_KEY=... darklens score "season1/**/*.fits" --api https://darklens.example.org --concurrency 16 --out season1.jsonl`;

function scoringQuery(o: ScoreCommandOptions): Record<string, string> {
  if (o.fpr !== undefined && o.threshold !== undefined) throw new DarklensError('invalid_argument', '--fpr and --threshold both choose the threshold; give one');
  const q: Record<string, string> = {};
  for (const k of QUERY_KEYS) if (o[k] !== undefined) q[k] = o[k];
  return q;
}

/** Options of one mode given in the other are refused, so nobody believes their registry or key was used. */
function checkMode(o: ScoreCommandOptions, cmd: Command): void {
  const given = (name: string): boolean => cmd.getOptionValueSource(name) === 'cli';
  if (o.api !== undefined) {
    for (const [name, flag] of [['registry', '--registry'], ['workers', '--workers']] as const) {
      if (given(name)) throw new DarklensError('invalid_argument', `${flag} is for scoring on this machine; with --api the service scores with its own models and workers (drop ${flag}, or drop --api to score here)`);
    }
  } else {
    for (const [name, flag] of [['apiKey', '--api-key'], ['concurrency', '--concurrency']] as const) {
      if (given(name)) throw new DarklensError('invalid_argument', `${flag} goes with --api URL (scoring by a service); without --api the cutouts are scored on this machine`);
    }
  }
}

/**
 * The scorer and the run's fingerprint. Local: the registry's sha256, checked against a run to
 * continue before any model loads. --api: the service's URL and what it serves (a cheap look at its
 * models), so a rerun against other models or another service is another run.
 */
async function openScorer(o: ScoreCommandOptions, query: Record<string, string>, limits: ServiceLimits, run: Omit<Fingerprint, 'registry'>): Promise<{ scorer: Scorer; fingerprint: Fingerprint; remote?: RemoteScorer }> {
  if (o.api === undefined) {
    const fingerprint = { ...run, registry: sha256(await readFile(join(o.registry, 'registry.json'))) };
    await resumeState(o.out, fingerprint, o.restart === true);
    const scorer = await openLocalScorer({ registry: o.registry, query, limits, ...(o.workers === undefined ? {} : { workers: o.workers }) });
    return { scorer, fingerprint };
  }
  const key = o.apiKey ?? process.env.DARKLENS_API_KEY;
  const remote = await openRemoteScorer({ url: o.api, ...(key === undefined ? {} : { key }), query, concurrency: o.concurrency ?? DEFAULT_API_CONCURRENCY, signal: runSignal });
  const fingerprint = { ...run, registry: remote.models, service: remote.url };
  await resumeState(o.out, fingerprint, o.restart === true);
  return { scorer: remote, fingerprint, remote };
}

/**
 * What is said (and tidied) when a run ends by an exception: stopped by Ctrl-C (--api: the jobs in
 * flight were cancelled), or failed. A run that failed before its first step leaves no files, so the
 * corrected command is not refused as another run; otherwise the results are kept as far as they got.
 */
async function afterFailure(e: unknown, o: ScoreCommandOptions, fingerprint: Fingerprint, total: number, remote?: RemoteScorer): Promise<void> {
  const progress = statePath(resolve(o.out));
  const state = await readState(progress).catch(() => undefined);
  if (runSignal.aborted) {
    if (remote !== undefined && remote.cancelled > 0) process.stderr.write(`darklens: cancelled ${remote.cancelled} job${remote.cancelled === 1 ? '' : 's'} in flight on ${remote.url}\n`);
    if (state !== undefined) process.stderr.write(`darklens: stopped after ${state.done} of ${total} cutouts; run the same command again to continue\n`);
    return;
  }
  if (state === undefined) return;
  if (state.done === 0 && fingerprintDifference(state.fingerprint, fingerprint) === undefined) {
    await removeState(progress);
    await rm(o.out, { force: true });
    return;
  }
  if (!isDarklensError(e) || remote !== undefined) process.stderr.write(`darklens: ${o.out} is kept as far as it got (${state.done} of ${total} cutouts); run the same command again to continue\n`);
}

async function score(args: string[], o: ScoreCommandOptions, cmd: Command): Promise<void> {
  const t0 = performance.now();
  checkMode(o, cmd);
  const format = outputFormat(o.out);
  const query = scoringQuery(o);
  const out = resolve(o.out);
  const progress = statePath(out);
  const files = await inputFiles(args, { cwd: process.cwd(), exclude: [out, progress, `${progress}.tmp`, driftPath(out)] });
  const limits = configFromEnv(process.env).limits;
  const decode = decodeOptions(limits);
  const source = await localWork(files, { limits: decode.limits!, maxGunzipBytes: limits.maxGunzipBytes });
  const { scorer, fingerprint, remote } = await openScorer(o, query, limits, { inputs: inputsHash(files), files: files.length, cutouts: source.total, options: query, format });

  let bar: ProgressBar | undefined;
  let failuresShown = 0;
  const drift = new DriftAccumulator();
  const tty = process.stderr.isTTY === true;
  const onLines = (lines: readonly BatchLine[]): void => {
    for (const l of lines) {
      if (!('error' in l) || failuresShown > MAX_FAILURE_LINES) continue;
      const text = ++failuresShown > MAX_FAILURE_LINES ? 'further failures are in the results and the summary only' : `${l.name}: ${l.error.code}: ${l.error.message.split('\n')[0]}`;
      process.stderr.write(`${tty ? '\r\x1b[K' : ''}darklens: ${text}\n`);
    }
    for (const l of lines) drift.add(l);
    bar?.tick(lines.length);
  };
  let outcome;
  try {
    outcome = await runScoring({
      source,
      scorer,
      writer: lineWriter(format, scorer.roles),
      out: o.out,
      fingerprint,
      restart: o.restart === true,
      signal: runSignal,
      onStart: (resumedAt, total) => {
        if (resumedAt > 0) process.stderr.write(`darklens: continuing ${o.out} at cutout ${resumedAt} of ${total}\n`);
        if (remote !== undefined) process.stderr.write(`darklens: scoring on ${remote.url}, ${remote.concurrency} job${remote.concurrency === 1 ? '' : 's'} in flight\n`);
        if (!o.quiet) bar = new ProgressBar({ total: total - resumedAt, label: 'score', unit: 'cutouts' });
      },
      onLines,
    });
  } catch (e) {
    if (tty && bar !== undefined && !runSignal.aborted) process.stderr.write('\n'); // off the progress line
    await afterFailure(e, o, fingerprint, source.total, remote);
    throw e;
  } finally {
    await scorer.close();
  }
  if (outcome.complete) bar?.done();
  const wallSeconds = (performance.now() - t0) / 1000;
  for (const line of summaryLines(outcome.tally, { out: o.out, total: source.total, resumedAt: outcome.resumedAt, scoredNow: outcome.scoredNow, scoringSeconds: outcome.seconds, wallSeconds })) process.stderr.write(`${line}\n`);
  if (outcome.complete) {
    const report = await driftReport(o.out, format, drift, outcome.resumedAt, scorer.calibrations);
    process.stderr.write(`${driftText(report)}\n`);
  }
  if (!outcome.complete) {
    process.stderr.write(`darklens: stopped after ${outcome.done} of ${source.total} cutouts; run the same command again to continue\n`);
    throw runSignal.reason instanceof Error ? runSignal.reason : new Error('stopped');
  }
}

export function scoreCommand(): Command {
  return new Command('score')
    .description('score cutouts on this machine (all cores) or on a service (--api) into a CSV or JSONL file; resumable after Ctrl-C or a crash')
    .argument('<inputs...>', 'cutout files, folders, quoted globs, tar archives, NPY stacks')
    .requiredOption('-o, --out <file>', 'results file: .csv (one row per cutout) or .jsonl (the lines of POST /v1/score/batch)')
    .option('--models <roles>', 'models by role, comma-separated, e.g. vae,rbm (default: every model of each cutout\'s set)')
    .option('--score <name>', 'the anomaly score every model uses: mse, chi2, psf, mf, mf2, sharp (default: each model\'s calibrated default)')
    .option('--ensemble <name>', 'a named ensemble of the registry for the verdict (default: the set\'s default ensemble)')
    .option('--survey <name>', 'the model set by name or alias (e.g. lsst), or auto (default): routed by each file\'s header')
    .option('--fpr <rate>', 'flag at this false-positive rate on the calibration set, in (0, 1)')
    .option('--threshold <name|value>', 'a calibrated threshold name (e.g. fpr-0.01) or a loss value (one model only)')
    .option('--combine <method>', 'how the models\' p-values combine: cauchy or bonferroni')
    .option('--alpha <p>', 'significance level of the ensemble verdict, in (0, 1)')
    .option('--hdu <name|index>', 'FITS: the HDU to read (EXTNAME or index); default the first image HDU with data')
    .option('--registry <dir>', 'registry folder (env DARKLENS_MODELS_DIR; not with --api)', process.env.DARKLENS_MODELS_DIR ?? SHIPPED_MODELS)
    .option('--workers <n>', 'inference worker threads (default: one per core; 0 = on the main thread; not with --api)', int('workers', 0, 256))
    .option('--api <url>', 'score on a darklens service through its jobs API instead of this machine, e.g. http://127.0.0.1:8787')
    .option('--api-key <key>', 'with --api: the service\'s API key (default: env DARKLENS_API_KEY, which keeps it out of the process list)')
    .option('--concurrency <n>', `with --api: jobs in flight at once, ${STEP} cutouts each (default ${DEFAULT_API_CONCURRENCY}; more for a service with many workers)`, int('concurrency', 1, 256))
    .option('--restart', 'start over, overwriting the results file, even when it holds a run to continue')
    .option('-q, --quiet', 'no progress bar')
    .addHelpText('after', EXAMPLES)
    .action((inputs: string[], o: ScoreCommandOptions, cmd: Command) => score(inputs, o, cmd));
}
