/**
 * `darklens retrain <model>`: train a new version of a registered model on a preset's simulations or
 * on the user's own smooth cutouts, and serve it only if it passes the quality gate (retrain/).
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { DarklensError, type Registry } from '@darklens/core';
import { MODEL_NAMES, PRESET_NAMES, readRegistry, resolveSpec, type BackendName, type ModelName } from '@darklens/training';
import { runSignal, setOutcomeExitCode } from '../context.js';
import { choice, int, num, withBackendOption } from '../options.js';
import { ProgressBar, formatDuration } from '../progress.js';
import { DEFAULT_TOLERANCES } from '../retrain/gate.js';
import { retrain, type DeployStep, type RetrainOptions } from '../retrain/pipeline.js';
import { stageRegistry } from '../retrain/staged-registry.js';
import { deployStep } from '../retrain/deploy-step.js';
import { withTargetOptions, type TargetFlags } from './models-deploy.js';

/** The options of a deploy target (withTargetOptions) that retrain passes on. */
const TARGET_KEYS = ['dir', 'bucket', 'prefix', 'region', 'endpoint', 'accountId', 'local', 'persistTo'] as const;

/** Exit code of a run whose candidate failed the gate (not promoted). */
export const GATE_FAILED_EXIT = 3;

interface RetrainCommandOptions extends Omit<TargetFlags, 'registry'> {
  preset?: string;
  data?: string;
  kind?: ModelName;
  registry: string;
  workdir?: string;
  benchmarkDir: string;
  benchmarkImages: number;
  seed: number;
  epochs?: number;
  trainImages: number;
  calibImages: number;
  backend?: BackendName;
  pixelScale?: number;
  psfFwhm?: number;
  score?: string;
  maxAucDrop: number;
  maxTprDrop: number;
  force?: boolean;
  restart?: boolean;
  quiet?: boolean;
}

const EXAMPLES = `
Steps (each resumable: rerun the same command after Ctrl-C or a crash): data, benchmark, train,
calibrate, evaluate, baseline, register, gate, promote, deploy. The gate compares the candidate with
the current default on one fixed simulated benchmark set (made once per preset, the current default's
numbers recorded beside it); it fails when the pooled ROC AUC drops by more than --max-auc-drop or the
TPR at 1% FPR by more than --max-tpr-drop. On your own smooth cutouts (--data, no labelled anomalies)
the gate uses the simulated benchmark of the matching preset and checks the calibrated 1% false-positive
rate on held-out cutouts. A failed gate leaves the version registered but not served (exit code 3);
--force promotes it anyway. The report is <workdir>/gate.md.

Examples:
  $ darklens retrain dcae --preset model-b                 (a new default dcae trained on model-b lenses)
  $ darklens retrain lsst-vae --data my-smooth-cutouts/ --pixel-scale 0.2
  $ darklens retrain dcae --preset model-b --epochs 2 --train-images 2000 --dry-run
  $ darklens retrain dcae --preset model-b --target aws --bucket my-stack-models --dry-run
  $ darklens retrain dcae --preset model-b --target cloudflare --account-id 0123abcd
  $ darklens models rollback dcae                          (back to the previous default)`;

/** The network kind of a registered model: its role in a set, else its name's last part. */
function kindOf(reg: Registry, model: string): ModelName | undefined {
  for (const set of Object.values(reg.sets ?? {})) {
    for (const [role, name] of Object.entries(set.models)) if (name === model && (MODEL_NAMES as readonly string[]).includes(role)) return role as ModelName;
  }
  const last = model.split('-').pop()!;
  return (MODEL_NAMES as readonly string[]).includes(last) ? (last as ModelName) : undefined;
}

/** The pipeline's options from the command's and the registry's (what the model is, what it takes). */
export async function retrainOptions(model: string, o: RetrainCommandOptions): Promise<RetrainOptions> {
  const registry = resolve(o.registry);
  const reg = await readRegistry(registry);
  const m = reg.models[model];
  const entry = m === undefined ? undefined : m.versions[m.default]!;
  const kind = o.kind ?? kindOf(reg, model);
  if (kind === undefined) throw new DarklensError('invalid_argument', m === undefined ? `${model} is not registered in ${registry}; give --kind (${MODEL_NAMES.join(', ')}) to train a new model under that name` : `cannot tell the network kind of ${model}; give --kind`);
  if (m !== undefined && o.kind !== undefined && kindOf(reg, model) !== undefined && kindOf(reg, model) !== o.kind) throw new DarklensError('invalid_argument', `${model} is a ${kindOf(reg, model)}; --kind ${o.kind} would register another network under its name`);
  const preset = o.preset ?? entry?.training?.preset ?? undefined;
  if (typeof preset !== 'string') throw new DarklensError('invalid_argument', `give --preset (${PRESET_NAMES.join(', ')}): the simulations to train on${o.data !== undefined ? ', and whose benchmark gates your data\'s model' : ''}`);
  const spec = resolveSpec(preset);
  if (o.data === undefined && entry !== undefined && Math.abs(entry.input.pixelScale - spec.pixelScale) > 1e-9) {
    throw new DarklensError('invalid_argument', `${model} serves ${entry.input.pixelScale}"/px cutouts but preset ${preset} is ${spec.pixelScale}"/px; retrain a model of that scale, or a new name with --kind`);
  }
  let score = o.score;
  if (score === undefined && entry !== undefined) {
    score = (JSON.parse(await readFile(join(registry, model, m!.default, 'calibration.json'), 'utf8')) as { defaultScore: string }).defaultScore;
  }
  return {
    model,
    kind,
    preset,
    ...(o.data !== undefined ? { data: resolve(o.data) } : {}),
    registry,
    workdir: resolve(o.workdir ?? join('runs', 'retrain', model)),
    benchmarkRoot: resolve(o.benchmarkDir),
    benchmarkPerClass: o.benchmarkImages,
    seed: o.seed,
    ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
    trainImages: o.trainImages,
    calibImages: o.calibImages,
    ...(o.backend !== undefined ? { backend: o.backend } : {}),
    pixelScale: o.pixelScale ?? entry?.input.pixelScale ?? spec.pixelScale,
    ...((o.psfFwhm ?? entry?.input.psfFwhm) !== undefined ? { psfFwhm: o.psfFwhm ?? entry!.input.psfFwhm! } : {}),
    ...(entry !== undefined ? { size: entry.input.width } : {}),
    score: score ?? 'psf',
    tolerances: { auc: o.maxAucDrop, tpr: o.maxTprDrop },
    force: o.force === true,
    dryRun: o.dryRun === true,
    restart: o.restart === true,
    signal: runSignal,
  };
}

async function run(model: string, o: RetrainCommandOptions, deploy: DeployStep): Promise<void> {
  const opts = await retrainOptions(model, o);
  const say = (s: string): boolean => process.stderr.write(`${s}\n`);
  const t0 = performance.now();
  const out = await retrain(
    opts,
    {
      deploy,
      log: (s) => void say(s),
      report: (s) => void process.stdout.write(`${s}\n`),
      progress: (total, unit) => {
        if (o.quiet === true) return { update: () => undefined, done: () => undefined };
        const bar = new ProgressBar({ total, label: '  ', unit });
        let last = 0;
        return {
          update: (d) => {
            if (d > last) bar.tick(d - last);
            last = d;
          },
          done: () => bar.done(),
        };
      },
      onStep: (i, n, _name, label, state) => void say(`[${i + 1}/${n}] ${label}${state === 'skip' ? ': done earlier' : ''}`),
      onDone: (_name, s) => (s >= 1 ? void say(`      (${formatDuration(s)})`) : undefined),
    },
    (from) => stageRegistry(from, join(opts.workdir, 'staged-registry')),
  );
  const took = formatDuration((performance.now() - t0) / 1000);
  if (!out.promoted) {
    say(`darklens: ${model} ${out.version} failed the gate and was not promoted (it stays registered); see ${join(opts.workdir, 'gate.md')}; --force promotes it anyway (${took})`);
    setOutcomeExitCode(GATE_FAILED_EXIT);
  } else if (opts.dryRun) {
    say(`dry run: ${model} ${out.version} would become the default; ${opts.registry} is unchanged (staged in ${join(opts.workdir, 'staged-registry')}) (${took})`);
  } else {
    const where = o.target === undefined ? '' : ` --target ${o.target}${TARGET_KEYS.filter((k) => o[k] !== undefined).map((k) => ` --${k.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)}${o[k] === true ? '' : ` ${String(o[k])}`}`).join('')}`;
    say(`${model} ${out.version} is the default now${out.verdict.passed ? '' : ' (gate failed: --force)'}; roll back with: darklens models rollback ${model} --registry ${o.registry}${where} (${took})`);
  }
}

export function retrainCommand(): Command {
  const cmd = new Command('retrain')
    .description('train, export, calibrate and evaluate a new version of a model, register it, and promote and deploy it if it passes the quality gate')
    .argument('<model>', 'the registered model to retrain (dcae, lsst-vae...), or a new name with --kind')
    .option('--preset <name>', `simulations to train on and the benchmark's preset: ${PRESET_NAMES.join(', ')} (default: the model's training preset)`)
    .option('--data <path>', 'train on your own smooth cutouts instead (a folder of FITS or .npy, at least 1,000): 80% train, 10% calibrate, 10% held out')
    .option('--kind <name>', `the network of a new model: ${MODEL_NAMES.join(', ')}`, choice<ModelName>('kind', MODEL_NAMES))
    .option('-r, --registry <dir>', 'registry folder', process.env.DARKLENS_MODELS_DIR ?? 'models')
    .option('--workdir <dir>', 'where the run keeps its data, checkpoint, reports and progress (default runs/retrain/<model>)')
    .option('--benchmark-dir <dir>', 'where the gate\'s benchmark sets are kept, one per preset and size', join('data', 'benchmarks'))
    .option('--benchmark-images <n>', 'benchmark lenses per class', int('benchmark images', 50, 1_000_000), 1000)
    .option('--seed <n>', 'seed of the data and of training', int('seed', 0, 0xffffffff), 0)
    .option('--epochs <n>', 'epochs (default: the model\'s default budget, see darklens train --help)', int('epochs', 1, 1_000_000))
    .option('--train-images <n>', 'simulated training lenses', int('train images', 10, 10_000_000), 25_000)
    .option('--calib-images <n>', 'simulated calibration lenses (thresholds at 1% FPR need >= 1,000)', int('calib images', 100, 10_000_000), 20_000)
    .option('--pixel-scale <arcsec>', 'arcsec per pixel of your own cutouts (default: the model\'s)', num('pixel scale'))
    .option('--psf-fwhm <arcsec>', 'PSF FWHM of your own cutouts, which sizes the filtered scores (default: the model\'s)', num('PSF FWHM'))
    .option('--score <name>', 'the score to calibrate, gate and serve (default: the current default\'s, else psf)')
    .option('--max-auc-drop <x>', 'the gate\'s tolerance on the pooled ROC AUC', num('max AUC drop'), DEFAULT_TOLERANCES.auc)
    .option('--max-tpr-drop <x>', 'the gate\'s tolerance on the TPR at 1% FPR', num('max TPR drop'), DEFAULT_TOLERANCES.tpr)
    .option('--force', 'promote and deploy even when the gate fails')
    .option('--restart', 'start over: the workdir (its data, checkpoint and recorded steps) is removed first')
    .option('-q, --quiet', 'no progress bars');
  // --target and its options as `models deploy` has them; --dry-run: register and promote in a staged
  // copy of the registry and print what the deploy would do (the registry and the target are untouched).
  withTargetOptions(cmd, false);
  withBackendOption(cmd, 'TensorFlow.js backend for training (a GPU: install @tensorflow/tfjs-node-gpu, then --backend tensorflow-gpu)');
  cmd.addHelpText('after', EXAMPLES);
  cmd.action((model: string, o: RetrainCommandOptions) => {
    if (o.only !== undefined) throw new DarklensError('invalid_argument', '--only does not apply to retrain: the whole registry is published');
    const { target, only: _only, dryRun: _dryRun, quiet: _quiet, ...rest } = o;
    const targetOptions = Object.fromEntries(TARGET_KEYS.filter((k) => rest[k] !== undefined).map((k) => [k, rest[k]]));
    return run(model, o, deployStep(resolve(o.registry), target, targetOptions));
  });
  return cmd;
}
