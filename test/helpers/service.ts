/**
 * The scoring app in-process over the shipped registry (onnxruntime-node), plus simulated lens
 * cutouts to send it, for the service and contract suites.
 */
import { join } from 'node:path';
import { writeFits, type Cutout } from '@darklens/core';
import { createService, type ModelStore, type ServiceConfig, DEFAULT_CONFIG, type LogRecord, type App } from '@darklens/functions';
import { folderSource, ortNodeEngine } from '@darklens/functions/node';
import { renderRange, resolveSpec, type LensClass } from '@darklens/training';
import { ROOT } from './cli.js';

export const SHIPPED_MODELS = join(ROOT, 'models');

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

/** `count` model-a lenses of `klass` in physical units (unscaled), as the telescope would give them. */
export function simulatedLenses(klass: LensClass, count: number, seed = 7): Cutout[] {
  const spec = resolveSpec('model-a');
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
