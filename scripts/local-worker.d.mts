// Types of local-worker.mjs for the TypeScript tests.
import type { Readable } from 'node:stream';
import type { Miniflare } from 'miniflare';
import type { R2BucketBinding } from '@darklens/cli/deploy';

export const WORKER_DIR: string;
export const WORKER_CONFIG: string;
export const WORKER_BUNDLE: string;

export function builtWorker(): { main: string; wasm: string[] };

/** The part of an R2 bucket binding used to fill and change a registry. */
export interface LocalBucket extends R2BucketBinding {
  put(key: string, value: Uint8Array | string, options?: { sha256?: string }): Promise<unknown>;
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
