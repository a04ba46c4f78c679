/**
 * The BUILT Worker bundle (`npm run build:worker`; `npm test` builds it) in workerd through Miniflare,
 * listening on 127.0.0.1, with the bindings of functions/wrangler.jsonc and a local R2 bucket holding a
 * model registry (scripts/local-worker.mjs starts it). `startWorkerd()` answers what the contract
 * suite's `start` needs: `fetch(Request)` and `close()`. The jobs bindings of wrangler.jsonc come
 * with it: local R2 buckets JOBS and INPUTS, and the local queue JOBS_QUEUE that workerd delivers to
 * the Worker's own queue() (its dead-letter queue too), so a job runs end to end on this machine.
 */
import type { Readable } from 'node:stream';
import type { Miniflare } from 'miniflare';
import { builtWorker, putRegistry, startLocalWorker, WORKER_BUNDLE, type LocalBucket } from '../../scripts/local-worker.mjs';
import { SHIPPED_MODELS } from './service.js';

export { putRegistry, WORKER_BUNDLE };

export interface WorkerdOptions {
  /** Registry folder put into the R2 bucket (default: the shipped models); null leaves the bucket empty. */
  models?: string | null;
  /** Put only these models of it (and a registry.json listing only them): less to copy. */
  only?: string[];
  /** Variables and secrets beside wrangler.jsonc's (DARKLENS_API_KEYS, DARKLENS_MAX_BODY_MB, ...). */
  vars?: Record<string, string>;
  /** Replaces the rate-limiting binding's budget (the binding allows a period of 10 or 60 s). */
  rateLimit?: { limit: number; period: 10 | 60 };
  /** A local R2 folder as wrangler writes it (`--persist-to DIR`: give DIR/v3/r2) instead of an in-memory bucket. */
  r2Persist?: string;
}

export interface WorkerdRuntime {
  /** workerd's address on 127.0.0.1. */
  url: URL;
  /** Sends `req` to the Worker (its path and query; the origin is workerd's). */
  fetch(req: Request): Promise<Response>;
  /** The model bucket as the Worker sees it. */
  bucket: LocalBucket;
  /** The jobs' bucket (JOBS) and the keys jobs' inputs bucket (INPUTS) as the Worker sees them. */
  jobs: Awaited<ReturnType<Miniflare['getR2Bucket']>>;
  inputs: Awaited<ReturnType<Miniflare['getR2Bucket']>>;
  /** The jobs queue's producer (JOBS_QUEUE): messages sent here reach the Worker's queue() as its own do. */
  queue: Awaited<ReturnType<Miniflare['getQueueProducer']>>;
  /** JSON log records the Worker printed so far (console.log lines that parse). */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Fails with a clear message when the bundle has not been built. */
export const requireBuiltWorker = builtWorker;

function collectLogs(stream: Readable, logs: Record<string, unknown>[]): void {
  let buffered = '';
  stream.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>);
      } catch {
        // workerd's own lines
      }
    }
  });
}

export async function startWorkerd(options: WorkerdOptions = {}): Promise<WorkerdRuntime> {
  const logs: Record<string, unknown>[] = [];
  const { mf, url, bucket } = await startLocalWorker({
    vars: options.vars,
    rateLimit: options.rateLimit,
    r2Persist: options.r2Persist,
    onOutput: (stdout, stderr) => {
      collectLogs(stdout, logs);
      collectLogs(stderr, logs);
    },
  });
  const models = options.models === undefined ? SHIPPED_MODELS : options.models;
  if (models !== null) await putRegistry(bucket, models, options.only);
  const [jobs, inputs, queue] = await Promise.all([mf.getR2Bucket('JOBS'), mf.getR2Bucket('INPUTS'), mf.getQueueProducer('JOBS_QUEUE')]);
  return {
    url,
    bucket,
    jobs,
    inputs,
    queue,
    logs,
    async fetch(req: Request): Promise<Response> {
      const { pathname, search } = new URL(req.url);
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : new Uint8Array(await req.arrayBuffer());
      const res = await mf.dispatchFetch(new URL(pathname + search, url), { method: req.method, headers: [...req.headers], body, redirect: 'manual' });
      // Miniflare answers with its own undici's Response: hand the caller a standard one.
      return new Response(res.body as ReadableStream<Uint8Array> | null, { status: res.status, statusText: res.statusText, headers: [...res.headers] });
    },
    close: () => mf.dispose(),
  };
}
