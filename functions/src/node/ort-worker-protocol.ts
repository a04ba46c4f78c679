/** Messages between ortWorkerEngine and its worker threads. */
import type { Tensor } from '../app/engine.js';

export type ToWorker =
  | { type: 'create'; call: number; session: number; model: Uint8Array; intraOpThreads: number }
  | { type: 'run'; call: number; session: number; feeds: Record<string, Tensor>; outputs?: readonly string[] }
  | { type: 'release'; call: number; session: number }
  /** Release every session and let the thread end on its own (never terminate() a thread inside onnxruntime). */
  | { type: 'exit'; call: number };

export type FromWorker =
  | { type: 'created'; call: number; inputNames: string[]; outputNames: string[] }
  | { type: 'result'; call: number; outputs: Record<string, Tensor> }
  | { type: 'released'; call: number }
  | { type: 'error'; call: number; message: string };
