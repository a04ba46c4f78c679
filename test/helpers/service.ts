/**
 * The scoring app in-process over the shipped registry (onnxruntime-node), plus simulated lens
 * cutouts to send it, for the service and contract suites.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseRegistry, registrySets, writeFits, writeNpy, type Cutout } from '@darklens/core';
import { createService, type ModelStore, type ServiceConfig, DEFAULT_CONFIG, type LogRecord, type App } from '@darklens/functions';
import { folderSource, ortNodeEngine } from '@darklens/functions/node';
import { renderRange, resolveSpec, type LensClass } from '@darklens/training';
import { ROOT } from './cli.js';

export const SHIPPED_MODELS = join(ROOT, 'models');

export const SHIPPED_REGISTRY = parseRegistry(readFileSync(join(SHIPPED_MODELS, 'registry.json'), 'utf8'));

/** The registered models of the shipped default set (model-a: dcae, vae, aae, rbm), the ones cutouts without a header get. */
export const DEFAULT_SET_MODELS: string[] = (() => {
  const { sets, defaultSet } = registrySets(SHIPPED_REGISTRY);
  return Object.values(sets[defaultSet]!.models);
})();

/**
 * The version the shipped default set serves: every one of its models' default (they are registered
 * together). Tests that add a version of their own name it NEW_VERSION, which the registry does not have.
 */
export const SHIPPED_VERSION: string = (() => {
  const defaults = new Set(DEFAULT_SET_MODELS.map((m) => SHIPPED_REGISTRY.models[m]!.default));
  if (defaults.size !== 1) throw new Error(`the shipped default set's models have different default versions (${[...defaults].join(', ')}); the tests assume one`);
  return [...defaults][0]!;
})();
export const NEW_VERSION = 'v99';

export interface TestService {
  app: App;
  store: ModelStore;
  logs: LogRecord[];
}

export async function shippedService(config: Partial<ServiceConfig> = {}, modelsDir = SHIPPED_MODELS): Promise<TestService> {
  const logs: LogRecord[] = [];
  const { app, store, ready } = createService({ source: folderSource(modelsDir), engine: ortNodeEngine(), config: { ...DEFAULT_CONFIG, ...config }, log: (r) => logs.push(r) });
  await ready;
  return { app, store, logs };
}

/** `count` lenses of `klass` of a preset (default model-a) in physical units (unscaled), as the telescope would give them. */
export function simulatedLenses(klass: LensClass, count: number, seed = 7, preset = 'model-a'): Cutout[] {
  const spec = resolveSpec(preset);
  const { raw } = renderRange({ spec, klass, seed, count, keepRaw: true }, 0, count);
  const n = spec.grid * spec.grid;
  return Array.from({ length: count }, (_, i) => ({
    width: spec.grid,
    height: spec.grid,
    data: raw!.slice(i * n, (i + 1) * n),
    masked: 0,
    pixelScale: spec.pixelScale,
    format: 'fits' as const,
    meta: {},
  }));
}

export function fitsOf(c: Pick<Cutout, 'width' | 'height' | 'data' | 'pixelScale'>): Uint8Array {
  return writeFits({ width: c.width, height: c.height, data: c.data }, c.pixelScale === undefined ? {} : { pixelScale: c.pixelScale });
}

export function post(app: TestService['app'], path: string, body: BodyInit | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return Promise.resolve(app.request(path, { method: 'POST', body: body as BodyInit, headers }));
}

/** A Blob of file bytes for multipart forms (DOM typings want an ArrayBuffer-backed view). */
export function blob(bytes: Uint8Array): Blob {
  return new Blob([bytes as Uint8Array<ArrayBuffer>]);
}

/** An NPY stack [n, 1, H, W] of `n` cutouts, going round `lenses` (all of one size). */
export function npyStack(lenses: readonly Cutout[], n: number): Uint8Array<ArrayBuffer> {
  const { width, height } = lenses[0]!;
  const data = new Float32Array(n * width * height);
  for (let i = 0; i < n; i++) data.set(lenses[i % lenses.length]!.data, i * width * height);
  return writeNpy(data, [n, 1, height, width]) as Uint8Array<ArrayBuffer>;
}

/** The JSON body of `r`, after checking its status (the body is shown when the status is not the one expected). */
export async function json<T>(r: Response, status = 200): Promise<T> {
  const text = await r.text();
  expect(r.status, text.slice(0, 500)).toBe(status);
  return JSON.parse(text) as T;
}
