/**
 * The options of `darklens train`, declared once in TRAIN_FLAGS. From the table come the commander
 * options (addTrainFlags), the TrainOptions of each model's run (trainOptionsFor) and the arguments
 * of a `--jobs` child process (childArgs), so:
 *
 *   ADDING AN OPTION = ONE ENTRY in TRAIN_FLAGS (and the TrainOptions field it sets, if new).
 *
 * The key is the option's name in camelCase (its flag is the kebab-case form, `batchSize` ->
 * `--batch-size`, which is also how commander names its value). `train` names the TrainOptions field
 * the value sets (type-checked: a number option can only set a number field); an option without
 * one is the command's own (--jobs, --quiet). Three options differ per model when several are
 * trained (--model, --out, --pretrain): modelTargets resolves them.
 */
import type { Command } from 'commander';
import { AAE_LAMBDA, MODEL_DEFAULTS, MODEL_NAMES, SCHEDULES, TRAIN_DEFAULTS, type BackendName, type ModelName, type OptimizerName, type ScheduleName, type TrainOptions } from '@darklens/training';
import { backendHelp, choice, int, num, parseBackend } from '../options.js';

/** The TrainOptions fields a value of type T can set. */
type TrainField<T> = { [F in keyof TrainOptions]-?: [T] extends [NonNullable<TrainOptions[F]>] ? F : never }[keyof TrainOptions];

export interface FlagSpec<T> {
  /** One-letter alias (`e` for `-e`). */
  short?: string;
  /** The value's placeholder (`<n>`); absent for a switch (true when given). */
  arg?: string;
  help: string;
  parse?: (v: string) => T;
  default?: T;
  required?: boolean;
  /** The TrainOptions field it sets; absent for the command's own options. */
  train?: TrainField<T>;
  /**
   * In a `--jobs` child: passed on as given (absent), 'omit'ted, set 'per-model' (modelTargets), or
   * always { value }.
   */
  child?: 'omit' | 'per-model' | { value: T };
  /** A valid value other than the default: the test passes it through the `--jobs` serialisation. */
  example: T;
}

/** Marks a spec whose value is always there (a default, or required). */
declare const always: unique symbol;
type Always<T> = FlagSpec<T> & { readonly [always]: true };

function flag<T>(s: FlagSpec<T> & ({ default: T } | { required: true })): Always<T>;
function flag<T>(s: FlagSpec<T>): FlagSpec<T>;
function flag<T>(s: FlagSpec<T>): FlagSpec<T> {
  return s;
}

const perModel = (k: 'epochs' | 'learningRate'): string => MODEL_NAMES.map((m) => `${m} ${MODEL_DEFAULTS[m][k]}`).join(', ');

export const TRAIN_FLAGS = {
  data: flag({ short: 'd', arg: '<path>', required: true, train: 'dataPath', example: 'data/x.npy', help: '.npy file or folder of .npy/FITS files (each image min-max scaled to [0,1])' }),
  model: flag({ short: 'm', arg: '<name>', default: 'all', child: 'per-model', example: 'dcae,rbm', help: `model: ${MODEL_NAMES.join(', ')}, a comma-separated list, or all` }),
  epochs: flag({ short: 'e', arg: '<n>', parse: int('epochs', 1, 1_000_000), train: 'epochs', example: 7, help: `number of epochs (the total, also when resuming; default per model: ${perModel('epochs')})` }),
  batchSize: flag({ short: 'b', arg: '<n>', parse: int('batch size', 1, 65536), default: TRAIN_DEFAULTS.batchSize, train: 'batchSize', example: 8, help: 'images per batch' }),
  lr: flag({ arg: '<rate>', parse: num('learning rate'), train: 'learningRate', example: 3.5e-4, help: `peak learning rate (one-cycle) or the constant one (default per model: ${perModel('learningRate')})` }),
  optimizer: flag<OptimizerName>({ arg: '<name>', parse: choice<OptimizerName>('optimizer', ['adam', 'sgd']), default: TRAIN_DEFAULTS.optimizer, train: 'optimizer', example: 'sgd', help: 'adam or sgd' }),
  schedule: flag<ScheduleName>({ arg: '<name>', parse: choice<ScheduleName>('schedule', SCHEDULES), default: TRAIN_DEFAULTS.schedule, train: 'schedule', example: 'constant', help: `learning-rate schedule: ${SCHEDULES.join(', ')}` }),
  weightDecay: flag({ arg: '<w>', parse: num('weight decay'), default: TRAIN_DEFAULTS.weightDecay, train: 'weightDecay', example: 2e-4, help: 'L2 weight decay added to the gradients (0 disables)' }),
  adversarialWeight: flag({ arg: '<w>', parse: num('adversarial weight'), train: 'adversarialWeight', example: 1 / 3, help: `aae: weight of the adversarial term against the reconstruction MSE (default ${AAE_LAMBDA})` }),
  seed: flag({ short: 's', arg: '<n>', parse: int('seed', 0, 0xffffffff), default: TRAIN_DEFAULTS.seed, train: 'seed', example: 0xfffffffe, help: 'seed of the weights, split and batch order (same seed, data and backend give the same history)' }),
  out: flag({ short: 'o', arg: '<dir>', child: 'per-model', example: 'runs/x', help: 'checkpoint folder (default: checkpoints/<model>); with several models, the parent folder of one folder per model (default: checkpoints)' }),
  resume: flag({ train: 'resume', example: true, help: 'continue the run saved in --out at its next epoch (weights and optimizer state)' }),
  pretrain: flag({ arg: '<dir>', child: 'per-model', example: 'runs/old', help: 'start from the best weights of this checkpoint folder (new optimizer); with several models, the parent of one folder per model' }),
  patience: flag({ arg: '<n>', parse: int('patience', 1, 1_000_000), train: 'patience', example: 3, help: 'stop after this many epochs without a better validation loss' }),
  valFraction: flag({ arg: '<f>', parse: num('validation fraction'), default: TRAIN_DEFAULTS.validationFraction, train: 'validationFraction', example: 0.25, help: 'fraction of the images kept for validation' }),
  maxImages: flag({ arg: '<n>', parse: int('max images', 2, 100_000_000), train: 'maxImages', example: 500, help: 'use only the first N images' }),
  backend: flag<BackendName>({ arg: '<name>', parse: parseBackend, train: 'backend', example: 'cpu', help: backendHelp() }),
  jobs: flag({ short: 'j', arg: '<n>', parse: int('jobs', 1, 64), default: 1, child: 'omit', example: 2, help: 'with several models: train this many at once, one process each (wasm uses one core per process)' }),
  quiet: flag({ short: 'q', child: { value: true }, example: true, help: 'no progress bars (one line per epoch)' }),
};

type Flags = typeof TRAIN_FLAGS;
type FlagValue<S> = S extends Always<infer T> ? T : S extends FlagSpec<infer T> ? T | undefined : never;
/** The parsed options of `darklens train`. */
export type TrainFlagValues = { [K in keyof Flags]: FlagValue<Flags[K]> };

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** Every option's value is one of these (commander parses each into one). */
type FlagScalar = string | number | boolean;
const entries = (): [keyof Flags, FlagSpec<FlagScalar>][] => Object.entries(TRAIN_FLAGS) as [keyof Flags, FlagSpec<FlagScalar>][];

/** Adds every option of the table to `cmd`. */
export function addTrainFlags(cmd: Command): Command {
  for (const [key, s] of entries()) {
    const flags = `${s.short !== undefined ? `-${s.short}, ` : ''}--${kebab(key)}${s.arg !== undefined ? ` ${s.arg}` : ''}`;
    const add = s.required === true ? cmd.requiredOption.bind(cmd) : cmd.option.bind(cmd);
    if (s.parse !== undefined) add(flags, s.help, s.parse, s.default);
    else add(flags, s.help, s.default as string | boolean | undefined);
  }
  return cmd;
}

/** `all`, one name or a comma-separated list, in MODEL_NAMES order. */
function modelList(v: string): ModelName[] {
  if (v === 'all') return [...MODEL_NAMES];
  const names = v.split(',').map((s) => s.trim());
  for (const n of names) choice<ModelName>('model', MODEL_NAMES)(n);
  return MODEL_NAMES.filter((m) => names.includes(m));
}

/** What differs per model: the model, its checkpoint folder and the checkpoint it starts from. */
export interface ModelTarget {
  model: ModelName;
  out: string;
  pretrain: string | undefined;
}

/** One target per model of --model: with several, --out and --pretrain are parents of one folder per model. */
export function modelTargets(o: TrainFlagValues): ModelTarget[] {
  const models = modelList(o.model);
  const many = models.length > 1;
  return models.map((model) => ({
    model,
    out: many ? `${o.out ?? 'checkpoints'}/${model}` : (o.out ?? `checkpoints/${model}`),
    pretrain: o.pretrain === undefined ? undefined : many ? `${o.pretrain}/${model}` : o.pretrain,
  }));
}

/** The TrainOptions of one model's run (without the callbacks). */
export function trainOptionsFor(o: TrainFlagValues, t: ModelTarget): TrainOptions {
  const out: Record<string, unknown> = {};
  for (const [key, s] of entries()) if (s.train !== undefined && o[key] !== undefined) out[s.train] = o[key];
  return { ...(out as Omit<TrainOptions, 'checkpointDir'>), model: t.model, checkpointDir: t.out, ...(t.pretrain !== undefined ? { pretrain: t.pretrain } : {}) };
}

/** The `darklens train` arguments of one model's child process (train-jobs.ts). */
export function childArgs(o: TrainFlagValues, t: ModelTarget): string[] {
  const args = ['train'];
  for (const [key, s] of entries()) {
    const v = s.child === 'omit' ? undefined : s.child === 'per-model' ? t[key as keyof ModelTarget] : s.child !== undefined ? s.child.value : o[key];
    if (s.arg === undefined) {
      if (v === true) args.push(`--${kebab(key)}`);
    } else if (v !== undefined) {
      args.push(`--${kebab(key)}`, String(v));
    }
  }
  return args;
}
