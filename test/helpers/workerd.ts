/**
 * The BUILT Worker bundle (`npm run build:worker`; `npm test` builds it) in workerd through Miniflare,
 * listening on 127.0.0.1, with the bindings of functions/wrangler.jsonc (read by wrangler itself) and a
 * local in-memory R2 bucket that holds a model registry. `startWorkerd()` answers what the contract
 * suite's `start` needs: `fetch(Request)` and `close()`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { parseRegistry, REGISTRY_FILE } from '@darklens/core';
import { ROOT } from './cli.js';
import { SHIPPED_MODELS } from './service.js';

export const WORKER_DIR = join(ROOT, 'functions');
export const WORKER_BUNDLE = join(WORKER_DIR, 'dist', 'worker-bundle');

export interface WorkerdOptions {
  /** Registry folder put into the R2 bucket (default: the shipped models); null leaves the bucket empty. */
  models?: string | null;
  /** Put only these models of it (and a registry.json listing only them): less to copy. */
  only?: string[];
  /** A local R2 folder as wrangler writes it (`--persist-to DIR`: give DIR/v3/r2) instead of an in-memory bucket. */
  r2Persist?: string;
  /** Variables and secrets beside wrangler.jsonc's (DARKLENS_API_KEYS, DARKLENS_MAX_BODY_MB, ...). */
  vars?: Record<string, string>;
  /** Replaces the rate-limiting binding's budget (the binding allows a period of 10 or 60 s). */
  rateLimit?: { limit: number; period: 10 | 60 };
}

/** The subset of an R2 bucket binding the tests use to change the registry under a running Worker. */
export interface TestBucket {
  put(key: string, value: Uint8Array | string): Promise<unknown>;
  delete(key: string): Promise<void>;
}

export interface WorkerdRuntime {
  /** workerd's address on 127.0.0.1. */
  url: URL;
  /** Sends `req` to the Worker (its path and query; the origin is workerd's). */
  fetch(req: Request): Promise<Response>;
  /** The model bucket as the Worker sees it. */
  bucket: TestBucket;
  /** JSON log records the Worker printed so far (console.log lines that parse). */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** What the tests change of the Miniflare options wrangler derives from wrangler.jsonc. */
interface WranglerWorkerOptions {
  bindings?: Record<string, unknown>;
  ratelimits?: Record<string, { simple: { limit: number; period: 10 | 60 } }>;
}

/** Fails with a clear message when the bundle has not been built. */
export function requireBuiltWorker(): { main: string; wasm: string[] } {
  const main = join(WORKER_BUNDLE, 'index.js');
  if (!existsSync(main)) throw new Error(`the Worker bundle is not built (missing ${main}): run npm run build:worker first`);
  return { main, wasm: readdirSync(WORKER_BUNDLE).filter((f) => f.endsWith('.wasm')).map((f) => join(WORKER_BUNDLE, f)) };
}

/** Puts the files of the registry in `dir` (or of its models `only`) into `bucket` under their registry paths. */
export async function putRegistry(bucket: TestBucket, dir: string, only?: string[]): Promise<void> {
  const registry = parseRegistry(readFileSync(join(dir, REGISTRY_FILE), 'utf8'));
  if (only !== undefined) registry.models = Object.fromEntries(only.map((n) => [n, registry.models[n]!]));
  for (const [name, model] of Object.entries(registry.models)) {
    for (const [version, entry] of Object.entries(model.versions)) {
      for (const file of Object.keys(entry.files)) await bucket.put(`${name}/${version}/${file}`, new Uint8Array(readFileSync(join(dir, name, version, file))));
    }
  }
  await bucket.put(REGISTRY_FILE, JSON.stringify(registry, null, 2)); // last: it never names a file the bucket lacks
}

function collectLogs(stream: NodeJS.ReadableStream, logs: Record<string, unknown>[]): void {
  let buffered = '';
  stream.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const json = line.slice(line.indexOf('{'));
      try {
        logs.push(JSON.parse(json) as Record<string, unknown>);
      } catch {
        // workerd's own lines
      }
    }
  });
}

export async function startWorkerd(options: WorkerdOptions = {}): Promise<WorkerdRuntime> {
  const { main, wasm } = requireBuiltWorker();
  // wrangler's declarations name types of packages it bundles (unresolvable here), hence the shape given.
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(WORKER_DIR, 'wrangler.jsonc')) as unknown as { workerOptions: WranglerWorkerOptions };
  const logs: Record<string, unknown>[] = [];
  const ratelimits = options.rateLimit === undefined ? workerOptions.ratelimits : { RATE_LIMITER: { simple: options.rateLimit } };
  const mf = new Miniflare({
    ...workerOptions,
    ratelimits,
    bindings: { ...workerOptions.bindings, ...options.vars },
    // The bundle as wrangler wrote it: its entry and the CompiledWasm module it imports.
    modulesRoot: WORKER_BUNDLE,
    modules: [{ type: 'ESModule', path: main }, ...wasm.map((path) => ({ type: 'CompiledWasm' as const, path }))],
    r2Persist: options.r2Persist ?? false,
    host: '127.0.0.1',
    port: 0,
    cf: false,
    telemetry: { enabled: false },
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      collectLogs(stdout, logs);
      collectLogs(stderr, logs);
    },
  });
  const url = await mf.ready;
  const bucket = (await mf.getR2Bucket('MODELS')) as unknown as TestBucket;
  const models = options.models === undefined ? SHIPPED_MODELS : options.models;
  if (models !== null) await putRegistry(bucket, models, options.only);
  return {
    url,
    bucket,
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
