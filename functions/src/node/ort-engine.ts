/**
 * The Node server's InferenceEngine: onnxruntime-node (native CPU). This file is the only place the
 * Node adapter chooses a runtime; Workers get onnxruntime-web from their own adapter.
 */
import * as ort from 'onnxruntime-node';
import type { InferenceEngine, ModelSession, Tensor } from '../app/engine.js';

export interface OrtNodeOptions {
  /** Threads per inference (default 1: on a small machine concurrent requests use the cores better). */
  intraOpThreads?: number;
}

class OrtSession implements ModelSession {
  constructor(private readonly session: ort.InferenceSession) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Record<string, Tensor>, outputs?: readonly string[]): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, [...t.dims]);
    const result = outputs === undefined ? await this.session.run(ortFeeds) : await this.session.run(ortFeeds, [...outputs]);
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(result)) {
      out[name] = { dims: t.dims, data: t.data as Float32Array };
      t.dispose();
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export function ortNodeEngine(options: OrtNodeOptions = {}): InferenceEngine {
  const threads = options.intraOpThreads ?? 1;
  return {
    name: `onnxruntime-node ${ort.env.versions.common} (${threads} thread${threads === 1 ? '' : 's'})`,
    async createSession(model: Uint8Array): Promise<ModelSession> {
      const session = await ort.InferenceSession.create(model, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      return new OrtSession(session);
    },
  };
}
