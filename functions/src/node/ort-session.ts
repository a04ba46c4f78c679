/** onnxruntime-node sessions as ModelSessions: shared by the in-thread engine and the worker threads. */
import * as ort from 'onnxruntime-node';
import type { ModelSession, Tensor } from '../app/engine.js';

export const ORT_VERSION = ort.env.versions.common;

export function createOrtSession(model: Uint8Array, intraOpThreads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

/** Runs one session on float32 feeds; outputs are copied out of onnxruntime's memory. */
export async function runOrt(session: ort.InferenceSession, feeds: Record<string, Tensor>, outputs?: readonly string[]): Promise<Record<string, Tensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, [...t.dims]);
  const result = outputs === undefined ? await session.run(ortFeeds) : await session.run(ortFeeds, [...outputs]);
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(result)) {
    out[name] = { dims: [...t.dims], data: (t.data as Float32Array).slice() };
    t.dispose();
  }
  return out;
}

export class OrtSession implements ModelSession {
  constructor(private readonly session: ort.InferenceSession) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  run(feeds: Record<string, Tensor>, outputs?: readonly string[]): Promise<Record<string, Tensor>> {
    return runOrt(this.session, feeds, outputs);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
