#!/usr/bin/env node
// Reproduces the shipped models from scratch: `npm run build-models` (see --help).
//
// Steps, each a darklens command (printed before it runs), each skipped when its output is already
// complete, so an interrupted build resumes where it stopped:
//   1. splits     data/<preset>/: no_sub_train (25,000), no_sub_test, spherical_test, vortex_test (2,500 each)
//   2. simulate   data/<preset>/no_sub_calib.npy: 2,500 more smooth lenses, only for calibration
//                 (the training of step 3 also makes loss.png beside each checkpoint)
//   3. train      runs/<preset>/<model> for dcae, vae, aae, rbm (the default budget, seed 0)
//   4. calibrate  each checkpoint on no_sub_calib (thresholds at 1% and 5% FPR)
//   5. evaluate   reports/<preset>/: one report per model and comparison.md
//   6. models add each checkpoint into the registry (models/) with its report and card
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'cli', 'bin', 'darklens.js');
const MODELS = ['dcae', 'vae', 'aae', 'rbm'];
const HELP = `usage: npm run build-models -- [--preset NAME] [--seed N] [--jobs N] [--registry DIR] [--new-version NAME] [--workdir DIR]
  --preset       physics preset of the data (default model-a)
  --seed         seed of the data and of training (default 0)
  --train, --test  training images, and test (and calibration) images per class (default 25000, 2500)
  --workdir      folder that data/, runs/, reports/ and the registry are relative to (default: the repository)
  --jobs         models trained at once, one process each (default 2)
  --registry     registry folder (default models)
  --new-version  version name to register (default: the next v1, v2, ...)
Works in data/<preset>, runs/<preset>, reports/<preset>; finished steps are skipped.`;

const opts = { preset: 'model-a', seed: '0', jobs: '2', registry: 'models', newVersion: undefined, train: '25000', test: '2500', workdir: ROOT };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--help' || a === '-h') {
    console.log(HELP);
    process.exit(0);
  }
  const key = { '--preset': 'preset', '--seed': 'seed', '--jobs': 'jobs', '--registry': 'registry', '--new-version': 'newVersion', '--train': 'train', '--test': 'test', '--workdir': 'workdir' }[a];
  if (key === undefined || argv[i + 1] === undefined) {
    console.error(`build-models: unknown or incomplete option ${a}\n${HELP}`);
    process.exit(2);
  }
  opts[key] = argv[++i];
}

const data = join('data', opts.preset);
const runs = join('runs', opts.preset);
const reports = join('reports', opts.preset);

function darklens(...args) {
  console.log(`\n$ darklens ${args.join(' ')}`);
  execFileSync(process.execPath, [BIN, ...args], { cwd: opts.workdir, stdio: 'inherit' });
}

const trained = (m) => {
  const p = join(opts.workdir, runs, m, 'training.json');
  if (!existsSync(p)) return false;
  const state = JSON.parse(readFileSync(p, 'utf8')).state;
  return state === 'completed' || state === 'early-stopping';
};

try {
  if (!existsSync(join(opts.workdir, data, 'vortex_test.json'))) {
    darklens('splits', '--preset', opts.preset, '--seed', opts.seed, '--train', opts.train, '--test', opts.test, '--out', data, '-q');
  }
  // A calibration set of its own: seed offset so it shares no lens with the splits.
  if (!existsSync(join(opts.workdir, data, 'no_sub_calib.json'))) {
    darklens('simulate', '--preset', opts.preset, '--class', 'no_sub', '--count', opts.test, '--seed', String(Number(opts.seed) + 1_000_003), '--out', data, '--name', 'no_sub_calib', '-q');
  }
  const todo = MODELS.filter((m) => !trained(m));
  if (todo.length > 0) {
    const resume = todo.filter((m) => existsSync(join(opts.workdir, runs, m, 'training.json')));
    for (const m of resume) darklens('train', '--data', join(data, 'no_sub_train.npy'), '--model', m, '--seed', opts.seed, '--out', join(runs, m), '--resume', '-q');
    const fresh = todo.filter((m) => !resume.includes(m));
    if (fresh.length > 0) darklens('train', '--data', join(data, 'no_sub_train.npy'), '--model', fresh.join(','), '--seed', opts.seed, '--out', runs, '--jobs', opts.jobs, '-q');
  }
  for (const m of MODELS) {
    if (!existsSync(join(opts.workdir, runs, m, 'calibration.json'))) darklens('calibrate', '--checkpoint', join(runs, m), '--data', join(data, 'no_sub_calib.npy'), '--fpr', '0.01,0.05');
  }
  if (!existsSync(join(opts.workdir, reports, 'comparison.json'))) {
    darklens('evaluate', '--checkpoint', runs, '--no-sub', join(data, 'no_sub_test.npy'), '--spherical', join(data, 'spherical_test.npy'), '--vortex', join(data, 'vortex_test.npy'), '--report', reports);
  }
  // A checkpoint already registered (same training end time) is not added twice.
  const regPath = join(opts.workdir, opts.registry, 'registry.json');
  const registered = (m) => {
    if (!existsSync(regPath)) return false;
    const savedAt = JSON.parse(readFileSync(join(opts.workdir, runs, m, 'training.json'), 'utf8')).savedAt;
    const versions = JSON.parse(readFileSync(regPath, 'utf8')).models?.[m]?.versions ?? {};
    return Object.values(versions).some((v) => v.training?.trainedAt === savedAt);
  };
  for (const m of MODELS) {
    if (registered(m)) continue;
    darklens('models', 'add', '--checkpoint', join(runs, m), '--report', join(reports, m), '--registry', opts.registry, ...(opts.newVersion !== undefined ? ['--new-version', opts.newVersion] : []));
  }
  darklens('models', 'list', '--registry', opts.registry);
} catch (e) {
  console.error(`build-models: a step failed (${e.status ?? e.message}); fix it and rerun: finished steps are skipped`);
  process.exit(typeof e.status === 'number' && e.status !== 0 ? e.status : 1);
}
