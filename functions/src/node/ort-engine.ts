/**
 * The Node server's runtime choice: onnxruntime-node (native CPU), either on worker threads (the
 * server's default, see ort-worker-engine.ts) or on the calling thread (tests, tools). onnxruntime-node
 * runs a session synchronously on the thread that calls it, so on the main thread inference and HTTP
 * share one core; workers let the server use every core.
 */
import type { InferenceEngine, ModelSession } from '../app/engine.js';
import { createOrtSession, OrtSession, ORT_VERSION } from './ort-session.js';

export interface OrtNodeOptions {
  /** onnxruntime intra-op threads per inference (default 1). */
  intraOpThreads?: number;
}

/** onnxruntime-node on the calling thread. */
export function ortNodeEngine(options: OrtNodeOptions = {}): InferenceEngine {
  const threads = options.intraOpThreads ?? 1;
  return {
    name: `onnxruntime-node ${ORT_VERSION} (main thread, ${threads} intra-op thread${threads === 1 ? '' : 's'})`,
    async createSession(model: Uint8Array): Promise<ModelSession> {
      return new OrtSession(await createOrtSession(model, threads));
    },
  };
}
