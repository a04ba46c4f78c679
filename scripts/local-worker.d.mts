// Types of local-worker.mjs for the TypeScript tests.
import type { Readable } from 'node:stream';
import type { Miniflare } from 'miniflare';

export const WORKER_DIR: string;
export const WORKER_CONFIG: string;
export const WORKER_BUNDLE: string;

export function builtWorker(): { main: string; wasm: string[] };

export type UploadStep = { key: string; file: string; text?: undefined } | { key: string; text: string; file?: undefined };
export function uploadPlan(modelsDir: string, only?: string[]): UploadStep[];

/** The part of an R2 bucket binding used to fill and change a registry. */
export interface LocalBucket {
  put(key: string, value: Uint8Array | string): Promise<unknown>;
  delete(key: string): Promise<void>;
}
export function putRegistry(bucket: LocalBucket, modelsDir: string, only?: string[]): Promise<void>;

export interface LocalWorkerOptions {
  vars?: Record<string, string>;
  rateLimit?: { limit: number; period: 10 | 60 };
  r2Persist?: string;
  inspectorPort?: number;
  onOutput?: (stdout: Readable, stderr: Readable) => void;
}
export function startLocalWorker(options?: LocalWorkerOptions): Promise<{ mf: Miniflare; url: URL; bucket: LocalBucket }>;
