/**
 * Checkpoints on disk without tfjs-node: a folder holding the best model (`model.json` +
 * `weights.bin`, the tfjs layers format), the state after the last finished epoch for resuming
 * (`last/model.json`, `last/weights.bin`, `last/optimizer.bin` + `last/optimizer.json`) and
 * `training.json` (what was trained on what, and how). Models trained with more than one network or
 * optimizer (the AAE's discriminator) add `last/extras/<name>/` and `last/optimizer-<name>.*`. Models are serialized with
 * tf.io.withSaveHandler and read back with tf.io.fromMemory; files are written with node:fs.
 *
 * A checkpoint is written whole into a temporary sibling folder and then swapped in by renames,
 * so an interrupted run always leaves the previous complete checkpoint behind.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';

type Tf = typeof TfNamespace;

/** A serialized model: its topology and its weights in one buffer. */
export interface ModelBlob {
  modelTopology: object;
  weightSpecs: TfNamespace.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/** Serialized optimizer state (tf Optimizer.getWeights, encoded). */
export interface OptimizerBlob {
  specs: TfNamespace.io.WeightsManifestEntry[];
  data: ArrayBuffer;
}

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const TRAINING_FILE = 'training.json';
export const LAST_DIR = 'last';

export async function serializeModel(tf: Tf, model: TfNamespace.LayersModel): Promise<ModelBlob> {
  let blob: ModelBlob | undefined;
  await model.save(
    tf.io.withSaveHandler((a) => {
      if (a.modelTopology === undefined || a.weightSpecs === undefined || a.weightData === undefined) {
        return Promise.reject(new Error('tfjs produced incomplete model artifacts'));
      }
      blob = {
        modelTopology: a.modelTopology,
        weightSpecs: a.weightSpecs,
        weightData: tf.io.CompositeArrayBuffer.join(a.weightData),
      };
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
    }),
  );
  if (blob === undefined) throw new Error('model.save did not call the save handler');
  return blob;
}

export async function deserializeModel(tf: Tf, blob: ModelBlob): Promise<TfNamespace.LayersModel> {
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: blob.modelTopology, weightSpecs: blob.weightSpecs, weightData: blob.weightData }),
  );
}

export async function serializeOptimizer(tf: Tf, optimizer: TfNamespace.Optimizer): Promise<OptimizerBlob> {
  const named = await optimizer.getWeights();
  try {
    const { data, specs } = await tf.io.encodeWeights(named);
    return { specs, data };
  } finally {
    // 'iter' is a fresh scalar; the others are the optimizer's own variables.
    for (const n of named) if (n.name === 'iter') n.tensor.dispose();
  }
}

export async function restoreOptimizer(tf: Tf, optimizer: TfNamespace.Optimizer, blob: OptimizerBlob): Promise<void> {
  const map = tf.io.decodeWeights(blob.data, blob.specs);
  const named = blob.specs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
  await optimizer.setWeights(named);
  for (const n of named) n.tensor.dispose();
  exactAdamBetaPowers(tf, optimizer);
}

/**
 * tfjs Adam keeps beta1^t and beta2^t as running float32 products (one multiplication per step),
 * but setWeights recomputes them with pow(), which can differ in the last bit; a resumed run then
 * drifts by ~1e-7 from the uninterrupted one. Recompute them as the same sequence of float32
 * products (a float32 product of two float32 values is the double product rounded once, so
 * Math.fround reproduces it exactly), so resuming is bit-exact at every step count.
 */
function exactAdamBetaPowers(tf: Tf, optimizer: TfNamespace.Optimizer): void {
  if (!(optimizer instanceof tf.AdamOptimizer)) return;
  const o = optimizer as unknown as { beta1?: unknown; beta2?: unknown; accBeta1?: unknown; accBeta2?: unknown; iterations: number };
  const steps = o.iterations;
  for (const [beta, acc] of [
    [o.beta1, o.accBeta1],
    [o.beta2, o.accBeta2],
  ] as const) {
    if (typeof beta !== 'number' || !(acc instanceof tf.Variable) || !Number.isInteger(steps)) return;
    const b = Math.fround(beta);
    let p = b;
    for (let t = 0; t < steps; t++) p = Math.fround(p * b);
    tf.tidy(() => acc.assign(tf.scalar(p)));
  }
}

function modelJson(blob: ModelBlob): object {
  return {
    format: 'layers-model',
    generatedBy: 'darklens',
    convertedBy: null,
    modelTopology: blob.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: blob.weightSpecs }],
  };
}

async function writeModel(dir: string, blob: ModelBlob): Promise<void> {
  await writeFile(join(dir, MODEL_FILE), JSON.stringify(modelJson(blob)));
  await writeFile(join(dir, WEIGHTS_FILE), new Uint8Array(blob.weightData));
}

/** Reads `model.json` + its weight files from `dir`. */
export async function readModelBlob(dir: string): Promise<ModelBlob> {
  const jsonPath = join(dir, MODEL_FILE);
  if (!existsSync(jsonPath)) throw new DarklensError('not_found', `${dir} is not a darklens checkpoint (no ${MODEL_FILE})`);
  const json = JSON.parse(await readFile(jsonPath, 'utf8')) as {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: TfNamespace.io.WeightsManifestEntry[] }[];
  };
  if (json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
    throw new DarklensError('bad_header', `${jsonPath} is not a tfjs layers model`);
  }
  const weightSpecs: TfNamespace.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(new Uint8Array(await readFile(join(dir, basename(p)))));
  }
  const total = buffers.reduce((s, b) => s + b.length, 0);
  const weightData = new Uint8Array(total);
  let at = 0;
  for (const b of buffers) {
    weightData.set(b, at);
    at += b.length;
  }
  return { modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer };
}

export async function loadModelFrom(tf: Tf, dir: string): Promise<TfNamespace.LayersModel> {
  return deserializeModel(tf, await readModelBlob(dir));
}

/** A saved optimizer: its kind (adam, sgd) and state. */
export interface SavedOptimizer {
  type: string;
  blob: OptimizerBlob;
}

export interface CheckpointContents {
  /** Other files for the checkpoint's root (pictures), by file name. */
  files?: Record<string, Uint8Array>;
  best: ModelBlob;
  last: ModelBlob;
  /** By name; 'main' is the inference network's. */
  optimizers?: Record<string, SavedOptimizer>;
  /** Training-only networks by name, as of the last epoch. */
  extras?: Record<string, ModelBlob>;
  training: object;
}

export const MAIN_OPTIMIZER = 'main';
export const EXTRAS_DIR = 'extras';
const NAME_RE = /^[a-z][a-z0-9_-]{0,63}$/;

/** File stem of optimizer `name` inside last/. */
function optimizerStem(name: string): string {
  if (!NAME_RE.test(name)) throw new DarklensError('invalid_argument', `bad checkpoint part name ${JSON.stringify(name)}`);
  return name === MAIN_OPTIMIZER ? 'optimizer' : `optimizer-${name}`;
}

/** Writes a complete checkpoint to `dir`, replacing the previous one only once the new one is complete. */
export async function writeCheckpoint(dir: string, c: CheckpointContents): Promise<void> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  const tmp = join(parent, `.${basename(dir)}.tmp-${stamp}`);
  const old = join(parent, `.${basename(dir)}.old-${stamp}`);
  try {
    await mkdir(join(tmp, LAST_DIR), { recursive: true });
    await writeModel(tmp, c.best);
    await writeModel(join(tmp, LAST_DIR), c.last);
    for (const [name, o] of Object.entries(c.optimizers ?? {})) {
      const stem = optimizerStem(name);
      await writeFile(join(tmp, LAST_DIR, `${stem}.bin`), new Uint8Array(o.blob.data));
      await writeFile(join(tmp, LAST_DIR, `${stem}.json`), JSON.stringify({ type: o.type, weights: o.blob.specs }));
    }
    for (const [name, blob] of Object.entries(c.extras ?? {})) {
      if (!NAME_RE.test(name)) throw new DarklensError('invalid_argument', `bad checkpoint part name ${JSON.stringify(name)}`);
      const d = join(tmp, LAST_DIR, EXTRAS_DIR, name);
      await mkdir(d, { recursive: true });
      await writeModel(d, blob);
    }
    await writeFile(join(tmp, TRAINING_FILE), JSON.stringify(c.training, null, 2) + '\n');
    for (const [name, bytes] of Object.entries(c.files ?? {})) {
      if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(name) || name.startsWith('.')) throw new DarklensError('invalid_argument', `bad checkpoint file name ${JSON.stringify(name)}`);
      await writeFile(join(tmp, name), bytes);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  const had = existsSync(dir);
  if (had) await rename(dir, old);
  await rename(tmp, dir);
  if (had) await rm(old, { recursive: true, force: true });
}

/** The resumable state of a checkpoint folder. */
export interface SavedState {
  training: Record<string, unknown>;
  best: ModelBlob;
  last: ModelBlob;
  optimizers: Record<string, SavedOptimizer>;
  extras: Record<string, ModelBlob>;
}

/** The training-only networks saved in checkpoint `dir` (none for single-network models). */
export async function readExtras(dir: string): Promise<Record<string, ModelBlob>> {
  const root = join(dir, LAST_DIR, EXTRAS_DIR);
  const out: Record<string, ModelBlob> = {};
  if (!existsSync(root)) return out;
  for (const name of (await readdir(root)).sort()) {
    if (NAME_RE.test(name)) out[name] = await readModelBlob(join(root, name));
  }
  return out;
}

export async function readCheckpoint(dir: string): Promise<SavedState> {
  const tj = join(dir, TRAINING_FILE);
  if (!existsSync(tj)) throw new DarklensError('not_found', `${dir} is not a darklens checkpoint (no ${TRAINING_FILE})`);
  const training = JSON.parse(await readFile(tj, 'utf8')) as Record<string, unknown>;
  const best = await readModelBlob(dir);
  const last = existsSync(join(dir, LAST_DIR, MODEL_FILE)) ? await readModelBlob(join(dir, LAST_DIR)) : best;
  const optimizers: Record<string, SavedOptimizer> = {};
  const lastDir = join(dir, LAST_DIR);
  for (const f of existsSync(lastDir) ? (await readdir(lastDir)).sort() : []) {
    const m = /^optimizer(?:-([a-z][a-z0-9_-]*))?\.json$/.exec(f);
    if (m === null) continue;
    const name = m[1] ?? MAIN_OPTIMIZER;
    const meta = JSON.parse(await readFile(join(lastDir, f), 'utf8')) as { type: string; weights: TfNamespace.io.WeightsManifestEntry[] };
    const data = new Uint8Array(await readFile(join(lastDir, `${optimizerStem(name)}.bin`)));
    optimizers[name] = { type: meta.type, blob: { specs: meta.weights, data: data.slice().buffer } };
  }
  return { training, best, last, optimizers, extras: await readExtras(dir) };
}

/**
 * The checkpoints under `dir`: `dir` itself when it is one (named after its folder) or an exported
 * `.onnx` file, else its
 * subfolders named after the models (`names`, in that order) that are checkpoints. Throws not_found
 * when there are none.
 */
export function findCheckpoints(dir: string, names: readonly string[]): { name: string; dir: string }[] {
  if (existsSync(join(dir, MODEL_FILE))) return [{ name: basename(dir), dir }];
  // An exported model scores like a checkpoint (evaluate reads .onnx files with onnxruntime).
  if (dir.toLowerCase().endsWith('.onnx') && existsSync(dir)) return [{ name: basename(dir).replace(/\.onnx$/i, ''), dir }];
  const found = names.filter((m) => existsSync(join(dir, m, MODEL_FILE))).map((m) => ({ name: m, dir: join(dir, m) }));
  if (found.length === 0) {
    throw new DarklensError('not_found', `${dir} holds no checkpoint (no ${MODEL_FILE} in it or in ${names.map((m) => `${m}/`).join(', ')})`);
  }
  return found;
}
