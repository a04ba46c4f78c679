// The Worker on this machine: the BUILT bundle (`npm run build:worker`) in workerd through Miniflare,
// on 127.0.0.1, with the bindings wrangler derives from functions/wrangler.jsonc and a local R2 bucket.
// Shared by the runtime tests (test/helpers/workerd.ts) and the benchmark (bench/workers.mjs), so both
// see the Worker the same way.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { deployRegistry, r2BindingTarget } from '@darklens/cli/deploy';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WORKER_DIR = join(ROOT, 'functions');
export const WORKER_CONFIG = join(WORKER_DIR, 'wrangler.jsonc');
export const WORKER_BUNDLE = join(WORKER_DIR, 'dist', 'worker-bundle');

/** The bundle's entry and the wasm modules it imports; throws when it has not been built. */
export function builtWorker() {
  const main = join(WORKER_BUNDLE, 'index.js');
  if (!existsSync(main)) throw new Error(`the Worker bundle is not built (missing ${main}): run npm run build:worker first`);
  return { main, wasm: readdirSync(WORKER_BUNDLE).filter((f) => f.endsWith('.wasm')).map((f) => join(WORKER_BUNDLE, f)) };
}

/**
 * Puts the registry of `modelsDir` (or only its models `only`) into an R2 bucket binding (Miniflare's)
 * the way `darklens models deploy --target cloudflare` does: the files the bucket lacks, then registry.json.
 */
export async function putRegistry(bucket, modelsDir, only) {
  await deployRegistry({ registryDir: modelsDir, target: r2BindingTarget(bucket, 'r2://MODELS'), ...(only === undefined ? {} : { only }) });
}

/**
 * Starts workerd with the Worker. Options: vars (variables and secrets beside wrangler.jsonc's),
 * rateLimit ({ limit, period } replacing the binding's), r2Persist (a local R2 folder as wrangler
 * writes it, DIR/v3/r2 of --persist-to; default: an empty in-memory bucket), inspectorPort,
 * onOutput(stdout, stderr) (workerd's output streams: the Worker's console.log lines).
 * Resolves with { mf, url, bucket }.
 */
export async function startLocalWorker(options = {}) {
  const { main, wasm } = builtWorker();
  const { workerOptions } = unstable_getMiniflareWorkerOptions(WORKER_CONFIG);
  const mf = new Miniflare({
    ...workerOptions,
    ratelimits: options.rateLimit === undefined ? workerOptions.ratelimits : { RATE_LIMITER: { simple: options.rateLimit } },
    bindings: { ...workerOptions.bindings, ...options.vars },
    // The bundle as wrangler wrote it: its entry and the CompiledWasm module it imports.
    modulesRoot: WORKER_BUNDLE,
    modules: [{ type: 'ESModule', path: main }, ...wasm.map((path) => ({ type: 'CompiledWasm', path }))],
    r2Persist: options.r2Persist ?? false,
    host: '127.0.0.1',
    port: 0,
    cf: false,
    telemetry: { enabled: false },
    ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort, unsafeInspectorProxy: true }),
    ...(options.onOutput === undefined ? {} : { handleRuntimeStdio: options.onOutput }),
  });
  const url = await mf.ready;
  return { mf, url, bucket: await mf.getR2Bucket('MODELS') };
}
