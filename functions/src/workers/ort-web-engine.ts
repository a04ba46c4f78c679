/**
 * The Worker's runtime choice: onnxruntime-web's single-threaded wasm backend inside workerd. workerd
 * refuses to compile WebAssembly from bytes at run time, so the wasm comes in as a module compiled at
 * deploy time (wrangler's CompiledWasm rule) and onnxruntime is handed a marker instead of the binary:
 * the wrapped WebAssembly.instantiate recognises the marker and instantiates the compiled module.
 */
import * as ort from 'onnxruntime-web/wasm';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import type { InferenceEngine, ModelSession, Tensor } from '../app/engine.js';
import { serial, type Serial } from '../app/serial.js';

const MARKER = new TextEncoder().encode('darklens: compiled ort wasm module');

function isMarker(source: unknown): boolean {
  if (!(source instanceof ArrayBuffer) && !ArrayBuffer.isView(source)) return false;
  const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return bytes.length === MARKER.length && bytes.every((b, i) => b === MARKER[i]);
}

/** The linear memory onnxruntime's wasm instance works in (weights, activations), once instantiated. */
let wasmMemory: WebAssembly.Memory | undefined;

/** The instance's memory: exported, or (threaded builds) imported from the glue code. */
function findMemory(exports: WebAssembly.Exports, imports: WebAssembly.Imports | undefined): WebAssembly.Memory | undefined {
  const candidates = [...Object.values(exports), ...Object.values(imports ?? {}).flatMap((ns) => Object.values(ns))];
  return candidates.find((v): v is WebAssembly.Memory => v instanceof WebAssembly.Memory);
}

let configured = false;

function configure(): void {
  if (configured) return;
  configured = true;
  const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (source: unknown, imports?: WebAssembly.Imports) => Promise<unknown>;
  const wrapped = async (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    if (!isMarker(source)) return instantiate(source, imports);
    const instance = (await instantiate(ortWasm, imports)) as WebAssembly.Instance;
    wasmMemory = findMemory(instance.exports, imports);
    return { instance, module: ortWasm };
  };
  (WebAssembly as unknown as { instantiate: typeof wrapped }).instantiate = wrapped;
  ort.env.wasm.wasmBinary = MARKER;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
}

/** Bytes of onnxruntime's wasm memory now (0 before the first session): most of the isolate's memory. */
export function ortWasmMemoryBytes(): number {
  return wasmMemory?.buffer.byteLength ?? 0;
}

/** One session; onnxruntime-web's wasm backend runs one call at a time, so calls queue here. */
class OrtWebSession implements ModelSession {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly queue: Serial,
    private readonly hooks: { ran: () => void; released: () => void },
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  run(feeds: Record<string, Tensor>, outputs?: readonly string[]): Promise<Record<string, Tensor>> {
    return this.queue(async () => {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, [...t.dims]);
      const result = outputs === undefined ? await this.session.run(ortFeeds) : await this.session.run(ortFeeds, [...outputs]);
      const out: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(result)) {
        out[name] = { dims: [...t.dims], data: t.data as Float32Array };
        t.dispose();
      }
      this.hooks.ran();
      return out;
    });
  }

  async release(): Promise<void> {
    this.hooks.released();
    await this.session.release();
  }
}

export interface OrtWebEngineOptions {
  /**
   * Called when a session opens and when onnxruntime's wasm memory grows (it never shrinks: its size
   * is the peak), with the sessions open and the memory's size: most of the isolate's memory.
   */
  onMemory?: (info: { event: 'session opened' | 'wasm memory grew'; sessions: number; wasmBytes: number }) => void;
}

/** onnxruntime-web (wasm, one thread) for workerd; every session of the isolate shares one queue. */
export function ortWebEngine(options: OrtWebEngineOptions = {}): InferenceEngine {
  configure();
  const queue = serial();
  let sessions = 0;
  let reported = 0;
  const report = (event: 'session opened' | 'wasm memory grew'): void => {
    const wasmBytes = ortWasmMemoryBytes();
    if (event === 'wasm memory grew' && wasmBytes <= reported) return;
    reported = wasmBytes;
    options.onMemory?.({ event, sessions, wasmBytes });
  };
  return {
    name: `onnxruntime-web ${ort.env.versions.web ?? ort.env.versions.common} (wasm, 1 thread)`,
    async createSession(model: Uint8Array): Promise<ModelSession> {
      const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      sessions++;
      report('session opened');
      return new OrtWebSession(session, queue, {
        ran: () => report('wasm memory grew'),
        released: () => sessions--,
      });
    },
  };
}
