/**
 * The Worker bundle as `npm run build:worker` (wrangler deploy --dry-run) wrote it: what esbuild put in
 * it (its metafile) and what it imports. It must not pull the Node server's runtime (onnxruntime-node,
 * @hono/node-server, functions/src/node) and must fit Workers' 64 MiB script limit.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { requireBuiltWorker, WORKER_BUNDLE } from '../helpers/workerd.js';

interface Metafile {
  inputs: Record<string, { bytes: number }>;
  outputs: Record<string, { bytes: number; imports: { path: string; kind: string; external?: boolean }[] }>;
}

describe('the Worker bundle', () => {
  const { main, wasm } = requireBuiltWorker();
  const meta = JSON.parse(readFileSync(join(WORKER_BUNDLE, 'meta.json'), 'utf8')) as Metafile;
  const inputs = Object.keys(meta.inputs);

  it('holds the app, the Worker adapter, hono and onnxruntime-web, and nothing of the Node server', () => {
    for (const wanted of ['dist/workers/worker.js', 'dist/app/app.js', 'node_modules/hono/', 'node_modules/onnxruntime-web/']) {
      expect(inputs.some((i) => i.includes(wanted)), wanted).toBe(true);
    }
    for (const banned of ['onnxruntime-node', '@hono/node-server', 'dist/node/']) {
      expect(inputs.filter((i) => i.includes(banned)), banned).toEqual([]);
    }
  });

  it('imports nothing but onnxruntime-web wasm, compiled at deploy time (no Node built-ins)', () => {
    const out = Object.entries(meta.outputs).find(([path]) => path.endsWith('index.js'))![1];
    expect(out.imports.map((i) => i.path)).toEqual(wasm.map((w) => `./${w.split('/').pop()!}`));
    expect(wasm).toHaveLength(1);
    const shipped = readFileSync(join(ROOT, 'node_modules', 'onnxruntime-web', 'dist', 'ort-wasm-simd-threaded.wasm'));
    expect(readFileSync(wasm[0]!).equals(shipped)).toBe(true);
    expect(readFileSync(main, 'utf8')).not.toMatch(/from\s*["']node:/);
  });

  it('fits the 64 MiB script limit', () => {
    const bytes = statSync(main).size + wasm.reduce((s, w) => s + statSync(w).size, 0);
    expect(bytes).toBeLessThan(64 * 2 ** 20);
  });
});
