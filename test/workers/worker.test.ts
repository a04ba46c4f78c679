/**
 * The Worker on the real runtime: the built bundle in workerd (Miniflare) with the shipped models in a
 * local R2 bucket. Scoring of every input kind, batches, models, OIP, API keys, every refusal including
 * the rate limit, the web page as static assets, lazy per-model sessions and registry changes.
 */
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRegistry, restrictRegistry, writeNpy, type Cutout } from '@darklens/core';
import type { BatchLine, ScoreResult } from '@darklens/functions';
import { fitsOf, simulatedLenses, SHIPPED_MODELS, SHIPPED_REGISTRY, SHIPPED_VERSION, DEFAULT_SET_MODELS, NEW_VERSION } from '../helpers/service.js';
import { putRegistry, startWorkerd, type WorkerdRuntime } from '../helpers/workerd.js';

const MODELS = ['dcae', 'vae', 'aae', 'rbm'];
let lenses: Cutout[];

function post(rt: WorkerdRuntime, path: string, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<Response> {
  return rt.fetch(new Request(`http://worker${path}`, { method: 'POST', body: body as BodyInit, headers }));
}

function get(rt: WorkerdRuntime, path: string): Promise<Response> {
  return rt.fetch(new Request(`http://worker${path}`));
}

async function json<T>(r: Response, status = 200): Promise<T> {
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return JSON.parse(text) as T;
}

type ErrorBody = { error: { code: string; message: string } };

/** Resolves once `check` holds, polling the Worker's logs (written by workerd asynchronously). */
async function eventually(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(() => {
  lenses = [...simulatedLenses('no_sub', 2), ...simulatedLenses('vortex', 2)];
});

describe('the Worker with the shipped models', () => {
  let rt: WorkerdRuntime;
  beforeAll(async () => {
    rt = await startWorkerd();
  });
  afterAll(() => rt.close());

  const opened = (): number => rt.logs.filter((l) => l.msg === 'session opened').length;

  it('opens no model before it is used, then each model once, on first use', async () => {
    const list = await json<{ models: { name: string; version: string }[] }>(await get(rt, '/v1/models'));
    expect(list.models.map((m) => m.name)).toEqual(Object.keys(SHIPPED_REGISTRY.models));
    expect(DEFAULT_SET_MODELS).toEqual(MODELS);
    expect(opened()).toBe(0);
    const one = await json<ScoreResult>(await post(rt, '/v1/score?models=rbm', fitsOf(lenses[0]!)));
    expect(Object.keys(one.models)).toEqual(['rbm']);
    await eventually(() => opened() === 1, 'rbm to open');
    await Promise.all([0, 1, 2].map(() => post(rt, '/v1/score', fitsOf(lenses[1]!)).then((r) => r.text())));
    await eventually(() => opened() === 4, 'the four models to open');
    await post(rt, '/v1/score', fitsOf(lenses[2]!)).then((r) => r.text());
    expect(opened(), 'sessions are cached for the isolate').toBe(4);
    const last = rt.logs.filter((l) => l.msg === 'session opened').at(-1)!;
    expect(last.sessions).toBe(4);
    expect(last.wasmBytes).toBeGreaterThan(20 * 2 ** 20); // the weights of four models live in wasm memory
  });

  it('scores FITS, FITS.gz and NPY alike with every model', async () => {
    const c = lenses[3]!;
    const fits = await json<ScoreResult>(await post(rt, '/v1/score', fitsOf(c)));
    const gz = await json<ScoreResult>(await post(rt, '/v1/score', gzipSync(fitsOf(c))));
    const npy = await json<ScoreResult>(await post(rt, '/v1/score', writeNpy(c.data, [64, 64])));
    expect(fits.input).toMatchObject({ format: 'fits', width: 64, height: 64, assumedPixelScale: false });
    expect(gz.input.format).toBe('fits');
    expect(npy.input).toMatchObject({ format: 'npy', assumedPixelScale: true });
    for (const m of MODELS) {
      expect(fits.models[m]!.version).toBe(SHIPPED_VERSION);
      expect(gz.models[m]!.loss).toBe(fits.models[m]!.loss);
      // NPY carries no pixel scale: the model's is assumed, which is this lens's, so the pixels are the same.
      expect(npy.models[m]!.loss).toBe(fits.models[m]!.loss);
      expect(fits.models[m]!.flagged).toBe(fits.models[m]!.loss > fits.models[m]!.threshold.value);
    }
    expect(fits.ensemble.pValue).toBeGreaterThan(0);
  });

  it('streams a batch as NDJSON, one line per cutout in order, each equal to its single score', async () => {
    const n = 40;
    const data = new Float32Array(n * 4096);
    for (let i = 0; i < n; i++) data.set(lenses[i % lenses.length]!.data, i * 4096);
    const r = await post(rt, '/v1/score/batch?models=dcae,vae', writeNpy(data, [n, 1, 64, 64]));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/ndjson/);
    const lines = (await r.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as BatchLine & ScoreResult);
    expect(lines.map((l) => l.index)).toEqual([...Array(n).keys()]);
    const single = await json<ScoreResult>(await post(rt, '/v1/score?models=dcae,vae', writeNpy(lenses[1]!.data, [64, 64])));
    expect(lines[1]!.models.vae!.loss).toBeCloseTo(single.models.vae!.loss, 7);
    expect(lines[1 + lenses.length]!.models.dcae!.loss).toBeCloseTo(single.models.dcae!.loss, 7);
  });

  it('answers the Open Inference Protocol: metadata and infer on the raw graph', async () => {
    expect(await json(await get(rt, '/v2/health/ready'))).toEqual({ ready: true });
    const meta = await json<{ outputs: { name: string }[] }>(await get(rt, '/v2/models/vae'));
    expect(meta.outputs.map((o) => o.name).slice(0, 2)).toEqual(['reconstruction', 'score']);
    expect(meta.outputs.map((o) => o.name).slice(2).every((n) => /^score_[a-z0-9]+$/.test(n))).toBe(true);
    const pixels = Array.from({ length: 4096 }, (_, k) => (k % 64) / 63);
    const r = await json<{ model_name: string; outputs: { name: string; shape: number[]; data: number[] }[] }>(
      await post(rt, '/v2/models/vae/infer', JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1, 64, 64], datatype: 'FP32', data: pixels }] }), { 'content-type': 'application/json' }),
    );
    expect(r.model_name).toBe('vae');
    const score = r.outputs.find((o) => o.name === 'score')!;
    const rec = r.outputs.find((o) => o.name === 'reconstruction')!;
    expect(score.shape).toEqual([1]);
    const mse = rec.data.reduce((s, v, k) => s + (v - pixels[k]!) ** 2, 0) / 4096;
    expect(score.data[0]).toBeCloseTo(mse, 6);
    const bad = await json<{ error: string }>(await post(rt, '/v2/models/nope/infer', '{}', { 'content-type': 'application/json' }), 404);
    expect(bad.error).toMatch(/nope/);
  });

  it('serves the web page and its examples as static assets, and the API beside them', async () => {
    const page = await get(rt, '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<html/);
    const manifest = await get(rt, '/examples/manifest.json');
    expect(manifest.status).toBe(200);
    expect((await get(rt, '/openapi.json')).status).toBe(200);
    expect((await json<ErrorBody>(await get(rt, '/v1/nothing-here'), 404)).error.code).toBe('not_found');
  });

  it('keeps answering through a hundred mixed requests in a row', async () => {
    // workerd 1.20260426 (wrangler 4.86.0's) livelocked here within a few dozen such requests, its GC
    // sweeper spinning: package.json overrides workerd with a release that does not.
    const pixels = Array.from({ length: 4096 }, (_, k) => (k % 64) / 63);
    const kinds: (() => Promise<Response>)[] = [
      () => post(rt, '/v1/score', fitsOf(lenses[0]!)),
      () => post(rt, '/v1/score', gzipSync(fitsOf(lenses[1]!))),
      () => post(rt, '/v1/score?outputs=residual&encoding=array', fitsOf({ ...lenses[2]!, pixelScale: 0.08 })),
      () => post(rt, '/v1/score/batch', writeNpy(lenses[3]!.data, [1, 64, 64])),
      () => post(rt, '/v2/models/aae/infer', JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1, 64, 64], datatype: 'FP32', data: pixels }] }), { 'content-type': 'application/json' }),
    ];
    const statuses = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const r = await kinds[i % kinds.length]!();
      await r.text();
      statuses.add(r.status);
    }
    expect([...statuses]).toEqual([200]);
  });

  it.each([
    ['unknown content', '/v1/score', 'hello, not a cutout', 415, 'unsupported_format'],
    ['a broken FITS file', '/v1/score', 'trunc', 422, 'truncated'],
    ['an unknown model', '/v1/score?models=nope', 'fits', 404, 'not_found'],
    ['a bad parameter', '/v1/score?fpr=2', 'fits', 400, 'invalid_argument'],
  ])('refuses %s', async (_what, path, kind, status, code) => {
    const body = kind === 'fits' ? fitsOf(lenses[0]!) : kind === 'trunc' ? fitsOf(lenses[0]!).slice(0, 3000) : kind;
    const r = await json<ErrorBody>(await post(rt, path, body), status);
    expect(r.error.code).toBe(code);
    expect(r.error.message.length).toBeGreaterThan(10);
  });
});

describe('configuration from the Worker env', () => {
  it('requires the API key (a secret) on scoring routes only, and applies the body limit', async () => {
    const rt = await startWorkerd({ only: ['rbm'], vars: { DARKLENS_API_KEYS: 'worker-key', DARKLENS_MAX_BODY_MB: '0.02' } });
    try {
      const body = fitsOf(lenses[0]!); // 20,160 bytes: under the 20,971-byte limit
      const none = await post(rt, '/v1/score?models=rbm', body);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
      expect((await post(rt, '/v1/score?models=rbm', body, { authorization: 'Bearer wrong-key' })).status).toBe(401);
      expect((await post(rt, '/v1/score?models=rbm', body, { authorization: 'Bearer worker-key' })).status).toBe(200);
      expect((await post(rt, '/v2/models/rbm/infer', '{}', { 'content-type': 'application/json' })).status).toBe(401);
      expect((await get(rt, '/v1/models')).status).toBe(200);
      const big = await json<ErrorBody>(await post(rt, '/v1/score', new Uint8Array(30_000), { authorization: 'Bearer worker-key' }), 413);
      expect(big.error.code).toBe('too_large');
    } finally {
      await rt.close();
    }
  });

  it('serves only the configured models', async () => {
    const rt = await startWorkerd({ vars: { DARKLENS_SERVED_MODELS: 'vae, rbm' } });
    try {
      const r = await json<ScoreResult>(await post(rt, '/v1/score', fitsOf(lenses[0]!)));
      expect(Object.keys(r.models)).toEqual(['vae', 'rbm']);
      expect((await json<ErrorBody>(await post(rt, '/v1/score?models=dcae', fitsOf(lenses[0]!)), 404)).error.message).toMatch(/served: vae, rbm/);
    } finally {
      await rt.close();
    }
  });

  it('answers 503 naming the bad setting when the configuration is invalid', async () => {
    const rt = await startWorkerd({ models: null, vars: { DARKLENS_MAX_BATCH_ITEMS: 'many' } });
    try {
      const r = await json<ErrorBody>(await get(rt, '/v1/models'), 503);
      expect(r.error).toMatchObject({ code: 'unavailable' });
      expect(r.error.message).toMatch(/DARKLENS_MAX_BATCH_ITEMS=many/);
    } finally {
      await rt.close();
    }
  });

  it('limits scoring requests per client with the rate-limiting binding: 429 with Retry-After', async () => {
    const rt = await startWorkerd({ only: ['rbm'], rateLimit: { limit: 3, period: 60 } });
    try {
      // The local limiter counts in windows aligned to the clock (floor(now / 60 s)): start early in one,
      // so the six limited requests below never straddle two windows on a slow machine.
      const intoWindow = Date.now() % 60_000;
      if (intoWindow > 20_000) await new Promise((r) => setTimeout(r, 60_000 - intoWindow + 250));
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await post(rt, '/v1/score?models=rbm', fitsOf(lenses[0]!));
        statuses.push(r.status);
        if (r.status === 429) {
          expect(r.headers.get('retry-after')).toBe('60');
          expect((await r.json()) as ErrorBody).toMatchObject({ error: { code: 'rate_limited' } });
        } else await r.text();
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const oip = await post(rt, '/v2/models/rbm/infer', '{}', { 'content-type': 'application/json' });
      expect(oip.status).toBe(429);
      expect(Object.keys((await oip.json()) as object)).toEqual(['error']); // the protocol's error shape
      expect((await get(rt, '/v1/models')).status, 'reads are not limited').toBe(200);
    } finally {
      await rt.close();
    }
  }, 150_000);
});

describe('the registry in R2', () => {
  it('answers 503 while the bucket is empty, then serves the models once they are uploaded', async () => {
    const rt = await startWorkerd({ models: null, vars: { DARKLENS_REGISTRY_CHECK_SECONDS: '0' } });
    try {
      const r = await json<ErrorBody>(await post(rt, '/v1/score', fitsOf(lenses[0]!)), 503);
      expect(r.error.code).toBe('unavailable');
      expect(r.error.message).toMatch(/registry\.json does not exist/);
      await putRegistry(rt.bucket, SHIPPED_MODELS, ['aae']);
      const ok = await json<ScoreResult>(await post(rt, '/v1/score?models=aae', fitsOf(lenses[0]!)));
      expect(ok.models.aae!.version).toBe(SHIPPED_VERSION);
    } finally {
      await rt.close();
    }
  });

  it('sees a changed registry and swaps the new default in; a model file missing in R2 is a 503 for that model only', async () => {
    const rt = await startWorkerd({ only: ['dcae', 'rbm'], vars: { DARKLENS_REGISTRY_CHECK_SECONDS: '0' } });
    try {
      const before = await json<ScoreResult>(await post(rt, '/v1/score?models=rbm,dcae', fitsOf(lenses[0]!)));
      expect(before.models.rbm!.version).toBe(SHIPPED_VERSION);
      // Publish a new rbm version (the shipped one's files under a new name) but leave its model.onnx out of the bucket.
      const registry = restrictRegistry(parseRegistry(await readFile(`${SHIPPED_MODELS}/registry.json`, 'utf8')), ['dcae', 'rbm']);
      const rbm = registry.models.rbm!;
      registry.models.rbm = { ...rbm, default: NEW_VERSION, versions: { ...rbm.versions, [NEW_VERSION]: rbm.versions[SHIPPED_VERSION]! } };
      for (const f of Object.keys(rbm.versions[SHIPPED_VERSION]!.files)) {
        if (f !== 'model.onnx') await rt.bucket.put(`rbm/${NEW_VERSION}/${f}`, new Uint8Array(await readFile(`${SHIPPED_MODELS}/rbm/${SHIPPED_VERSION}/${f}`)));
      }
      await rt.bucket.put('registry.json', JSON.stringify(registry));
      // The look at the registry happens after a response; the next requests get the new set.
      await (await get(rt, '/v2/health/live')).text();
      await eventually(() => rt.logs.some((l) => l.msg === 'registry reloaded'), 'the reload');
      const missing = await json<ErrorBody>(await post(rt, '/v1/score?models=rbm', fitsOf(lenses[0]!)), 503);
      expect(missing.error.message).toMatch(new RegExp(`rbm ${NEW_VERSION} could not be loaded: .*rbm/${NEW_VERSION}/model\\.onnx does not exist`));
      const dcae = await json<ScoreResult>(await post(rt, '/v1/score?models=dcae', fitsOf(lenses[0]!)));
      expect(dcae.models.dcae!.loss).toBe(before.models.dcae!.loss);
      await rt.bucket.put(`rbm/${NEW_VERSION}/model.onnx`, new Uint8Array(await readFile(`${SHIPPED_MODELS}/rbm/${SHIPPED_VERSION}/model.onnx`)));
      const after = await json<ScoreResult>(await post(rt, '/v1/score?models=rbm', fitsOf(lenses[0]!)));
      expect(after.models.rbm!.version).toBe(NEW_VERSION);
      expect(after.models.rbm!.loss).toBe(before.models.rbm!.loss);
    } finally {
      await rt.close();
    }
  });
});
