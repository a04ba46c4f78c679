import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { DarklensError, DriftAccumulator, isDarklensError } from '@darklens/core';
import { configFromEnv, decodeOptions, type BatchLine } from '@darklens/functions';
import { runSignal } from '../context.js';
import { int } from '../options.js';
import { ProgressBar } from '../progress.js';
import { driftPath, driftReport, driftText } from '../score/drift-report.js';
import { inputFiles } from '../score/input-files.js';
import { openLocalScorer } from '../score/local-scorer.js';
import { lineWriter, outputFormat } from '../score/output-file.js';
import { resumeState, runScoring } from '../score/run.js';
import { inputsHash, sha256, statePath } from '../score/run-state.js';
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

Examples:
  $ darklens score cutouts/ --out results.csv
  $ darklens score "data/**/*.fits" lenses.tar.gz --out results.jsonl
  $ darklens score survey.npy --survey lsst --fpr 0.01 --out flagged.csv
  $ darklens score cutouts/ --models vae,rbm --score mf --out results.csv --restart`;

function scoringQuery(o: ScoreCommandOptions): Record<string, string> {
  if (o.fpr !== undefined && o.threshold !== undefined) throw new DarklensError('invalid_argument', '--fpr and --threshold both choose the threshold; give one');
  const q: Record<string, string> = {};
  for (const k of QUERY_KEYS) if (o[k] !== undefined) q[k] = o[k];
  return q;
}

async function score(args: string[], o: ScoreCommandOptions): Promise<void> {
  const t0 = performance.now();
  const format = outputFormat(o.out);
  const query = scoringQuery(o);
  const out = resolve(o.out);
  const progress = statePath(out);
  const files = await inputFiles(args, { cwd: process.cwd(), exclude: [out, progress, `${progress}.tmp`, driftPath(out)] });
  const limits = configFromEnv(process.env).limits;
  const decode = decodeOptions(limits);
  const source = await localWork(files, { limits: decode.limits!, maxGunzipBytes: limits.maxGunzipBytes });
  const registry = sha256(await readFile(join(o.registry, 'registry.json')));
  const fingerprint = { inputs: inputsHash(files), files: files.length, cutouts: source.total, options: query, registry, format };
  await resumeState(o.out, fingerprint, o.restart === true); // refused before any model loads
  const scorer = await openLocalScorer({ registry: o.registry, query, limits, ...(o.workers === undefined ? {} : { workers: o.workers }) });

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
        if (!o.quiet) bar = new ProgressBar({ total: total - resumedAt, label: 'score', unit: 'cutouts' });
      },
      onLines,
    });
  } catch (e) {
    // Scoring broke (not the usage): the progress file still marks the last step written.
    if (!isDarklensError(e) && existsSync(progress)) process.stderr.write(`darklens: ${o.out} is kept as far as it got; run the same command again to continue\n`);
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
    .description('score cutouts on this machine (all cores) into a CSV or JSONL file; resumable after Ctrl-C or a crash')
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
    .option('--registry <dir>', 'registry folder (env DARKLENS_MODELS_DIR)', process.env.DARKLENS_MODELS_DIR ?? SHIPPED_MODELS)
    .option('--workers <n>', 'inference worker threads (default: one per core; 0 = on the main thread)', int('workers', 0, 256))
    .option('--restart', 'start over, overwriting the results file, even when it holds a run to continue')
    .option('-q, --quiet', 'no progress bar')
    .addHelpText('after', EXAMPLES)
    .action((inputs: string[], o: ScoreCommandOptions) => score(inputs, o));
}
