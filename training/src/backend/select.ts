/**
 * The one place that chooses the TensorFlow.js backend for training.
 *
 * Order tried: libtensorflow with CUDA (@tensorflow/tfjs-node-gpu), libtensorflow on CPU
 * (@tensorflow/tfjs-node), wasm (@tensorflow/tfjs-backend-wasm, SIMD, single-threaded in Node, plus
 * our Conv2DBackpropFilter kernel and faster Conv2DBackpropInput / transposed BatchMatMul), then
 * plain JS 'cpu'. The two tfjs-node packages are opt-in: their install script downloads
 * libtensorflow, and darklens's own install never downloads anything, so they are not dependencies
 * of the project; a user with libtensorflow (or CUDA) runs `npm install @tensorflow/tfjs-node-gpu`
 * (or `-node`) and this file picks it up. A package that is not installed is an ordinary outcome
 * recorded in `tried`, never a crash.
 *
 * Nothing here touches the network: the wasm binaries are read from the installed
 * @tensorflow/tfjs-backend-wasm/dist folder.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { registerWasmConv2DBackpropFilter } from './wasm-conv2d-backprop-filter.js';
import { registerWasmSpeedups } from './wasm-speedups.js';

/** The tfjs namespace (`typeof import('@tensorflow/tfjs')`). */
export type Tf = typeof TfNamespace;

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Preference order of the automatic choice. */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  error?: string;
}

export interface SelectedBackend {
  name: BackendName;
  tf: Tf;
  reason: string;
  tried: BackendAttempt[];
}

export interface SelectBackendOptions {
  /** Use exactly this backend; fail (DarklensError 'invalid_argument') if it is unavailable. */
  force?: BackendName;
  /** Where the choice is reported (default: one line on stderr). */
  log?: (msg: string) => void;
}

const PKG = {
  tfjs: '@tensorflow/tfjs',
  wasm: '@tensorflow/tfjs-backend-wasm',
  node: '@tensorflow/tfjs-node',
  nodeGpu: '@tensorflow/tfjs-node-gpu',
} as const;

const requireHere = createRequire(import.meta.url);

/** Thrown inside an attempt when a package is simply absent (reported as "not installed"). */
class NotInstalled extends Error {}

function isBackendName(v: unknown): v is BackendName {
  return typeof v === 'string' && (BACKEND_ORDER as readonly string[]).includes(v);
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string') return e.message;
  return String(e);
}

/** Folder of an installed package, or NotInstalled. */
function packageDir(pkg: string): string {
  try {
    return dirname(requireHere.resolve(`${pkg}/package.json`));
  } catch {
    throw new NotInstalled(`${pkg} is not installed`);
  }
}

/** Imports a package that may be absent without TypeScript needing its types. */
async function importOptional(pkg: string): Promise<unknown> {
  packageDir(pkg);
  const spec: string = pkg;
  return (await import(spec)) as unknown;
}

async function loadTfjs(): Promise<Tf> {
  packageDir(PKG.tfjs);
  return await import('@tensorflow/tfjs');
}

/** The tfjs namespace a tfjs-node package re-exports (CommonJS: its `module.exports`). */
function nodeNamespace(mod: unknown, pkg: string): Tf {
  const m = mod as { default?: unknown; setBackend?: unknown };
  const ns = typeof m.setBackend === 'function' ? m : (m.default as { setBackend?: unknown } | undefined);
  if (ns === undefined || typeof ns.setBackend !== 'function') throw new Error(`${pkg} did not export tfjs`);
  return ns as unknown as Tf;
}

async function activate(tf: Tf, backend: string): Promise<void> {
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`tf.setBackend('${backend}') failed to initialize`);
  await tf.ready();
  if (tf.getBackend() !== backend) throw new Error(`active backend is '${tf.getBackend()}', not '${backend}'`);
}

function usingGpu(tf: Tf): boolean {
  return (tf.backend() as unknown as { isUsingGpuDevice?: unknown }).isUsingGpuDevice === true;
}

let nodeGpuTf: Tf | undefined; // set once tfjs-node-gpu has been loaded in this process

async function tryTensorflowGpu(): Promise<{ tf: Tf; reason: string }> {
  const tf = nodeNamespace(await importOptional(PKG.nodeGpu), PKG.nodeGpu);
  nodeGpuTf = tf;
  await activate(tf, 'tensorflow');
  if (!usingGpu(tf)) throw new Error(`${PKG.nodeGpu} loaded, but libtensorflow sees no CUDA GPU`);
  return { tf, reason: 'libtensorflow with a CUDA GPU (@tensorflow/tfjs-node-gpu)' };
}

async function tryTensorflow(): Promise<{ tf: Tf; reason: string }> {
  // tfjs-node and tfjs-node-gpu both register the backend 'tensorflow'; never load both bindings.
  if (nodeGpuTf !== undefined) {
    await activate(nodeGpuTf, 'tensorflow');
    return { tf: nodeGpuTf, reason: 'libtensorflow on CPU (the already loaded @tensorflow/tfjs-node-gpu, no GPU)' };
  }
  const tf = nodeNamespace(await importOptional(PKG.node), PKG.node);
  await activate(tf, 'tensorflow');
  return { tf, reason: 'libtensorflow on CPU (@tensorflow/tfjs-node)' };
}

/** The folder holding the .wasm binaries, with a trailing separator (what setWasmPaths expects). */
export function wasmBinaryDir(): string {
  const dist = join(packageDir(PKG.wasm), 'dist');
  const simd = join(dist, 'tfjs-backend-wasm-simd.wasm');
  if (!existsSync(simd)) throw new Error(`${simd} is missing: reinstall ${PKG.wasm}`);
  return dist + sep;
}

type ProcessEvent = 'uncaughtException' | 'unhandledRejection';
const PROCESS_EVENTS: readonly ProcessEvent[] = ['uncaughtException', 'unhandledRejection'];

/**
 * Runs `f`, then removes the process-wide 'uncaughtException' / 'unhandledRejection' listeners it
 * added. The Emscripten runtime inside tfjs-backend-wasm installs listeners that rethrow, which turns
 * every later unhandled rejection into exit code 7 and bypasses the CLI's own error handling.
 */
async function withoutAddedProcessListeners<T>(f: () => Promise<T>): Promise<T> {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(emitter.listeners(e))] as const));
  try {
    return await f();
  } finally {
    for (const e of PROCESS_EVENTS) {
      for (const l of emitter.listeners(e)) {
        if (!before.get(e)?.has(l)) emitter.removeListener(e, l as (...args: unknown[]) => void);
      }
    }
  }
}

async function tryWasm(): Promise<{ tf: Tf; reason: string }> {
  return withoutAddedProcessListeners(initWasm);
}

async function initWasm(): Promise<{ tf: Tf; reason: string }> {
  const tf = await loadTfjs();
  const wasm = (await importOptional(PKG.wasm)) as { setWasmPaths?: (prefix: string) => void };
  if (typeof wasm.setWasmPaths !== 'function') throw new Error(`${PKG.wasm} has no setWasmPaths`);
  if (!tf.findBackend('wasm')) {
    // Only before the first initialization; a file path, read with fs by the Node build.
    wasm.setWasmPaths(wasmBinaryDir());
  }
  registerWasmConv2DBackpropFilter(tf); // missing from tfjs-backend-wasm: training throws without it
  registerWasmSpeedups(tf); // faster Conv2DBackpropInput and transposed BatchMatMul
  await activate(tf, 'wasm');
  return { tf, reason: 'WebAssembly with SIMD, single-threaded (@tensorflow/tfjs-backend-wasm)' };
}

async function tryCpu(): Promise<{ tf: Tf; reason: string }> {
  const tf = await loadTfjs();
  await activate(tf, 'cpu');
  return { tf, reason: 'plain JavaScript (tfjs cpu backend): correct but very slow for conv training' };
}

const ATTEMPTS: Record<BackendName, () => Promise<{ tf: Tf; reason: string }>> = {
  'tensorflow-gpu': tryTensorflowGpu,
  tensorflow: tryTensorflow,
  wasm: tryWasm,
  cpu: tryCpu,
};

/**
 * Picks and activates a TensorFlow.js backend. Without `force`, the first that works of
 * BACKEND_ORDER; with `force`, exactly that one or a DarklensError.
 */
export async function selectBackend(opts: SelectBackendOptions = {}): Promise<SelectedBackend> {
  const log = opts.log ?? ((msg: string) => void process.stderr.write(`${msg}\n`));
  const { force } = opts;
  if (force !== undefined && !isBackendName(force)) {
    throw new DarklensError(
      'invalid_argument',
      `unknown backend ${JSON.stringify(force)}: expected one of ${BACKEND_ORDER.join(', ')}`,
    );
  }
  const order = force === undefined ? BACKEND_ORDER : [force];
  const tried: BackendAttempt[] = [];
  for (const name of order) {
    try {
      const { tf, reason } = await ATTEMPTS[name]();
      tried.push({ name, ok: true });
      const skipped = tried
        .filter((t) => !t.ok)
        .map((t) => `${t.name}: ${t.error}`)
        .join('; ');
      log(`darklens: TensorFlow.js backend '${name}' (${force !== undefined ? 'forced' : 'auto'}): ${reason}` +
        (skipped !== '' ? ` [skipped ${skipped}]` : ''));
      return { name, tf, reason: force !== undefined ? `forced: ${reason}` : reason, tried };
    } catch (e) {
      const error = message(e);
      tried.push({ name, ok: false, error });
    }
  }
  const detail = tried.map((t) => `${t.name}: ${t.error}`).join('; ');
  if (force !== undefined) {
    const hint =
      force === 'tensorflow' || force === 'tensorflow-gpu'
        ? ` (install it with \`npm install ${force === 'tensorflow' ? PKG.node : PKG.nodeGpu}\` where libtensorflow can be` +
          ` downloaded; otherwise use 'wasm' or 'cpu')`
        : '';
    throw new DarklensError('invalid_argument', `TensorFlow.js backend '${force}' is unavailable: ${detail}${hint}`);
  }
  throw new DarklensError('invalid_argument', `no TensorFlow.js backend could be initialized: ${detail}`);
}
