/**
 * The one small interface between darklens and an ONNX runtime. Neither the scoring code here nor the
 * service's app imports a runtime: each caller passes its engine (onnxruntime-node on the Node server
 * and in training's evaluation, onnxruntime-web in Workers and browsers), so they stay free of
 * Node-only APIs and of any particular runtime's packaging.
 */

/** A float32 tensor, row-major. */
export interface Tensor {
  dims: readonly number[];
  data: Float32Array;
}

/**
 * Where an engine would have feed planes built: memory it hands to its runtime without a copy (the
 * worker-thread engine: shared memory), reused once the runs on it are answered.
 */
export interface FeedPlanes {
  /** A plane of `length` floats; its contents are undefined. */
  take(length: number): Float32Array;
  /** Every run given `plane` has been answered: it may be taken again. */
  give(plane: Float32Array): void;
}

/** One loaded model. `run` may be called concurrently; the engine serialises if it has to. */
export interface ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The engine's feed planes, when it has a better place for them than a fresh array. */
  readonly planes?: FeedPlanes;
  run(feeds: Record<string, Tensor>, outputs?: readonly string[]): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

export interface InferenceEngine {
  /** For logs and /v2 metadata, e.g. "onnxruntime-node 1.30.0". */
  readonly name: string;
  createSession(model: Uint8Array): Promise<ModelSession>;
}
