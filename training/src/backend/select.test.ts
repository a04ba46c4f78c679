import type { Rank } from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { isDarklensError } from '@darklens/core';
import { describe, expect, it } from 'vitest';
import { BACKEND_ORDER, selectBackend, wasmBinaryDir, type BackendName } from './select.js';

const quiet = { log: () => {} };
const requireHere = createRequire(import.meta.url);
const installed = (pkg: string) => {
  try {
    requireHere.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
};
const hasTfjsNode = installed('@tensorflow/tfjs-node');
const hasTfjsNodeGpu = installed('@tensorflow/tfjs-node-gpu');

describe('selectBackend', () => {
  it("force 'cpu' activates the cpu backend", async () => {
    const r = await selectBackend({ force: 'cpu', ...quiet });
    expect(r.name).toBe('cpu');
    expect(r.tf.getBackend()).toBe('cpu');
    expect(r.tried).toEqual([{ name: 'cpu', ok: true }]);
    expect(r.reason).toMatch(/^forced: /);
  });

  it("force 'wasm' activates wasm from the installed binaries, with the filter-gradient kernel registered", async () => {
    const listeners = () => [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    const before = listeners();
    const r = await selectBackend({ force: 'wasm', ...quiet });
    // The Emscripten runtime's rethrowing process listeners are removed again.
    expect(listeners()).toEqual(before);
    expect(r.name).toBe('wasm');
    expect(r.tf.getBackend()).toBe('wasm');
    expect(r.tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(existsSync(`${wasmBinaryDir()}tfjs-backend-wasm-simd.wasm`)).toBe(true);
    // A real computation on it.
    const y = r.tf.tidy(() => r.tf.conv2d(r.tf.ones<Rank.R4>([1, 4, 4, 1]), r.tf.ones<Rank.R4>([3, 3, 1, 1]), 1, 'valid'));
    expect(Array.from(await y.data())).toEqual([9, 9, 9, 9]);
    y.dispose();
  });

  it.skipIf(hasTfjsNode)("force 'tensorflow' fails with a clear DarklensError when @tensorflow/tfjs-node is absent", async () => {
    const err: unknown = await selectBackend({ force: 'tensorflow', ...quiet }).catch((e: unknown) => e);
    expect(isDarklensError(err)).toBe(true);
    if (!isDarklensError(err)) return;
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toMatch(/backend 'tensorflow' is unavailable/);
    expect(err.message).toMatch(/@tensorflow\/tfjs-node is not installed/);
    expect(err.message).toMatch(/'wasm' or 'cpu'/);
  });

  it('rejects an unknown backend name', async () => {
    const err: unknown = await selectBackend({ force: 'webgpu' as BackendName, ...quiet }).catch((e: unknown) => e);
    expect(isDarklensError(err) && err.code === 'invalid_argument').toBe(true);
    expect(String(err)).toMatch(/unknown backend "webgpu"/);
  });

  it.skipIf(hasTfjsNode || hasTfjsNodeGpu)('auto picks wasm here, recording why the libtensorflow backends were skipped', async () => {
    const lines: string[] = [];
    const r = await selectBackend({ log: (m) => lines.push(m) });
    expect(r.name).toBe('wasm');
    expect(r.tf.getBackend()).toBe('wasm');
    expect(r.tried.map((t) => [t.name, t.ok])).toEqual([
      ['tensorflow-gpu', false],
      ['tensorflow', false],
      ['wasm', true],
    ]);
    expect(r.tried[0]?.error).toMatch(/tfjs-node-gpu is not installed/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/backend 'wasm' \(auto\)/);
  });

  it('tries backends in the documented order', () => {
    expect(BACKEND_ORDER).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
  });
});
