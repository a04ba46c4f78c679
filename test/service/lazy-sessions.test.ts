/**
 * The model store's lazy sessions (what the Worker uses): a load reads the registry and calibrations
 * only; each model's session opens on its first run, once even when requests race for it and one model
 * at a time, scores as an
 * eagerly opened one does, and is released with its set. A graph that disagrees with the registry, or
 * a model file that is missing, is found at first use: 503 for that model, retried on the next request.
 */
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createService, type InferenceEngine, type ScoreResult } from '@darklens/functions';
import { folderSource, ortNodeEngine } from '@darklens/functions/node';
import { fitsOf, post, shippedService, simulatedLenses, SHIPPED_MODELS, SHIPPED_VERSION } from '../helpers/service.js';

/** onnxruntime-node, counting the sessions it opens (and how many at once) and releases. */
function countingEngine(): InferenceEngine & { opened: number; released: number; mostAtOnce: number } {
  const real = ortNodeEngine();
  let opening = 0;
  const engine = {
    name: real.name,
    opened: 0,
    released: 0,
    mostAtOnce: 0,
    async createSession(model: Uint8Array) {
      engine.mostAtOnce = Math.max(engine.mostAtOnce, ++opening);
      const s = await real.createSession(model).finally(() => opening--);
      engine.opened++;
      return {
        inputNames: s.inputNames,
        outputNames: s.outputNames,
        run: s.run.bind(s),
        release: async () => {
          engine.released++;
          await s.release();
        },
      };
    },
  };
  return engine;
}

const lens = simulatedLenses('vortex', 1)[0]!;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darklens-lazy-'));
  await cp(SHIPPED_MODELS, dir, { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('lazy sessions', () => {
  it('open nothing at load, each model once on first use, and score as eager sessions do', async () => {
    const engine = countingEngine();
    const { app, store, ready } = createService({ source: folderSource(dir), engine, lazySessions: true });
    await ready;
    expect(engine.opened).toBe(0);
    expect((await app.request('/v1/models')).status).toBe(200);
    expect((await app.request('/v2/models/dcae')).status).toBe(200);
    expect(engine.opened).toBe(0);
    await post(app, '/v1/score?models=vae', fitsOf(lens));
    expect(engine.opened).toBe(1);
    const lazy = await Promise.all([1, 2, 3].map(async () => (await post(app, '/v1/score', fitsOf(lens))).json() as Promise<ScoreResult>));
    expect(engine.opened, 'racing first uses open each model once').toBe(4);
    expect(engine.mostAtOnce, 'one at a time: one model file in memory at once').toBe(1);
    const eager = await shippedService();
    const reference = (await (await post(eager.app, '/v1/score', fitsOf(lens))).json()) as ScoreResult;
    eager.store.close();
    for (const r of lazy) expect(r).toEqual(reference);
    await store.reload();
    // The retired set is released once idle, and only what it opened has anything to release.
    await vi.waitFor(() => expect(engine.released).toBe(4));
    store.close();
  });

  it('refuse a graph whose outputs disagree with the registry at first use (503), releasing it', async () => {
    const registry = JSON.parse(await readFile(join(dir, 'registry.json'), 'utf8')) as { models: Record<string, { versions: Record<string, { onnx: { outputs: string[] } }> }> };
    registry.models.rbm!.versions[SHIPPED_VERSION]!.onnx.outputs.push('residual'); // the graph has no residual output
    const other = await mkdtemp(join(tmpdir(), 'darklens-lazy-'));
    try {
      await cp(dir, other, { recursive: true });
      await writeFile(join(other, 'registry.json'), JSON.stringify(registry));
      const engine = countingEngine();
      const { app, store, ready } = createService({ source: folderSource(other), engine, lazySessions: true });
      await ready;
      const r = await post(app, '/v1/score?models=rbm', fitsOf(lens));
      expect(r.status).toBe(503);
      expect(((await r.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'integrity_mismatch', message: expect.stringMatching(new RegExp(`rbm ${SHIPPED_VERSION}.*residual`)) as unknown });
      expect([engine.opened, engine.released]).toEqual([1, 1]);
      expect((await post(app, '/v1/score?models=dcae', fitsOf(lens))).status, 'the other models serve').toBe(200);
      store.close();
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('answer 503 while a model file is missing and open it once it is back', async () => {
    const engine = countingEngine();
    const { app, store, ready } = createService({ source: folderSource(dir), engine, lazySessions: true });
    await ready;
    const onnx = join(dir, 'aae', SHIPPED_VERSION, 'model.onnx');
    await rename(onnx, `${onnx}.away`);
    try {
      const r = await post(app, '/v1/score?models=aae', fitsOf(lens));
      expect(r.status).toBe(503);
      expect(((await r.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(new RegExp(`model aae ${SHIPPED_VERSION} could not be loaded`)) as unknown });
    } finally {
      await rename(`${onnx}.away`, onnx);
    }
    expect((await post(app, '/v1/score?models=aae', fitsOf(lens))).status).toBe(200);
    expect(engine.opened).toBe(1);
    store.close();
  });
});
