import { Command } from 'commander';
import { SCORE_NAMES } from '@darklens/core';
import { DEFAULT_F_SUBS, DEFAULT_SCORE, defaultThreads, findCheckpoints, MODEL_NAMES, PRESET_NAMES, resolveSpec, sensitivity, type BackendName } from '@darklens/training';
import { int, num, withBackendOption } from '../options.js';
import { ProgressBar } from '../progress.js';
import { runSignal } from '../context.js';

interface SensitivityOptions {
  checkpoints: string;
  preset: string;
  fSub: string;
  count: number;
  seed: number;
  out: string;
  threads: number;
  backend?: BackendName;
  score: string;
  quiet?: boolean;
}

function fSubList(v: string): number[] {
  const parse = num('f_sub');
  return v.split(',').map((s) => parse(s.trim()));
}

export function sensitivityCommand(): Command {
  const cmd = new Command('sensitivity')
    .description('pooled ROC AUC of trained models against the substructure mass fraction f_sub: simulates test sets at each f_sub (same lenses, only subhalo masses change) and writes a table and a plot')
    .option('-c, --checkpoints <dir>', 'a checkpoint folder, or a parent folder with one per model (dcae/, vae/, aae/, rbm/)', 'checkpoints')
    .option('-p, --preset <name>', `physics preset: ${PRESET_NAMES.join(', ')}`, 'model-a')
    .option('--f-sub <list>', 'comma-separated mass fractions', DEFAULT_F_SUBS.join(','))
    .option('-n, --count <n>', 'test images per class and f_sub', int('count', 2, 1_000_000), 1000)
    .option('-s, --seed <n>', 'seed of the test sets', int('seed', 0, 0xffffffff), 0)
    .option('-o, --out <dir>', 'output folder (data/, sensitivity.json, sensitivity.md, sensitivity.png)', 'reports/sensitivity')
    .option('-j, --threads <n>', 'simulation worker threads (0 = the calling thread)', int('threads', 0, 256), defaultThreads())
    .option('--score <name>', `the score of the printed table and the plot (the files hold every score): ${SCORE_NAMES.join(', ')}, or ${DEFAULT_SCORE}: each model's calibrated default`, DEFAULT_SCORE)
    .option('-q, --quiet', 'no progress bars');
  withBackendOption(cmd);
  cmd.addHelpText('after', '\nExample:\n  darklens sensitivity --checkpoints checkpoints --preset model-a --f-sub 0.02,0.05,0.1,0.25 --out reports/sensitivity\n');
  return cmd.action(async (o: SensitivityOptions) => {
    const checkpoints = findCheckpoints(o.checkpoints, MODEL_NAMES);
    const fSubs = fSubList(o.fSub);
    const backend = o.backend;
    let bar: ProgressBar | undefined;
    let stage = '';
    let shown = 0;
    let logged = false;
    const r = await sensitivity({
      checkpoints,
      spec: resolveSpec(o.preset),
      fSubs,
      count: o.count,
      seed: o.seed,
      outDir: o.out,
      threads: o.threads,
      score: o.score,
      ...(backend !== undefined ? { backend } : {}),
      signal: runSignal,
      // The backend line once, not once per scored set.
      log: (msg) => {
        if (!logged) process.stderr.write(`${msg}\n`);
        logged = true;
      },
      onProgress: (label, done, total) => {
        if (o.quiet) return;
        if (label !== stage) {
          bar?.done();
          bar = new ProgressBar({ total, label, unit: 'img', stream: process.stderr });
          stage = label;
          shown = 0;
        }
        bar!.tick(done - shown);
        shown = done;
      },
    });
    bar?.done();
    const header = ['model', 'score', ...r.fSubs.map((f) => `f_sub ${f}`)];
    process.stdout.write(header.join('\t') + '\n');
    for (const c of r.checkpoints) {
      const score = r.plotted[c.name]!;
      const cells = r.fSubs.map((f) => r.rows.find((x) => x.model === c.name && x.score === score && x.fSub === f)?.aucPooled.toFixed(3) ?? '-');
      process.stdout.write([c.name, score, ...cells].join('\t') + '\n');
    }
    process.stdout.write(`wrote ${r.files.markdown}, ${r.files.json}, ${r.files.plot}\n`);
  });
}
