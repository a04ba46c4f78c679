/** Operations of the app: API keys, CORS, metrics, docs, atomic registry reload, integrity refusal, hidden internals. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, DEFAULT_CONFIG, type InferenceEngine, type ScoreResult } from '@darklens/functions';
import { folderSource } from '@darklens/functions/node';
import { fitsOf, post, shippedService, simulatedLenses, SHIPPED_MODELS, SHIPPED_VERSION, NEW_VERSION } from '../helpers/service.js';

const lens = simulatedLenses('no_sub', 1)[0]!;

describe('API keys', () => {
  it('are required on scoring routes when configured, compared exactly; metadata stays open', async () => {
    const svc = await shippedService({ apiKeys: ['k-one', 'another-key'] });
    const body = fitsOf(lens);
    const none = await post(svc.app, '/v1/score?models=rbm', body);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    for (const wrong of ['k-on', 'k-one2', 'K-ONE', '']) {
      expect((await post(svc.app, '/v1/score?models=rbm', body, { authorization: `Bearer ${wrong}` })).status, wrong).toBe(401);
    }
    expect((await post(svc.app, '/v1/score?models=rbm', body, { authorization: 'Bearer another-key' })).status).toBe(200);
    expect((await post(svc.app, '/v2/models/rbm/infer', '{}', { 'content-type': 'application/json' })).status).toBe(401);
    for (const open of ['/v1/models', '/v2/health/ready', '/v2/models/rbm', '/openapi.json', '/metrics']) {
      expect((await svc.app.request(open)).status, open).toBe(200);
    }
    svc.store.close();
  });
});

describe('CORS', () => {
  it('is off unless configured, then answers preflights for the configured origin only', async () => {
    const off = await shippedService();
    const r = await off.app.request('/v1/models', { headers: { origin: 'https://example.org' } });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    off.store.close();
    const on = await shippedService({ corsOrigins: ['https://example.org'] });
    const pre = await on.app.request('/v1/score', { method: 'OPTIONS', headers: { origin: 'https://example.org', 'access-control-request-method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://example.org');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const other = await on.app.request('/v1/models', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    on.store.close();
  });
});

describe('metrics, logs and docs', () => {
  let svc: Awaited<ReturnType<typeof shippedService>>;
  beforeAll(async () => {
    svc = await shippedService();
  });
  afterAll(() => svc.store.close());

  it('counts requests by route pattern, latency and scores in Prometheus text format', async () => {
    await post(svc.app, '/v1/score?models=dcae', fitsOf(lens));
    await post(svc.app, '/v1/score', 'garbage');
    await svc.app.request('/v1/models/nope');
    const text = await (await svc.app.request('/metrics')).text();
    expect(text).toMatch(/^darklens_http_requests_total\{method="POST",route="\/v1\/score",status="200"\} 1$/m);
    expect(text).toMatch(/^darklens_http_requests_total\{method="POST",route="\/v1\/score",status="415"\} 1$/m);
    expect(text).toMatch(/^darklens_http_requests_total\{method="GET",route="\/v1\/models\/:name",status="404"\} 1$/m);
    expect(text).toMatch(/^darklens_http_request_duration_seconds_count\{route="\/v1\/score"\} 2$/m);
    expect(text).toMatch(new RegExp(`^darklens_normalized_score_count\\{model="dcae",version="${SHIPPED_VERSION}"\\} 1$`, 'm'));
    expect(text).toMatch(/^darklens_cutouts_total\{outcome="unsupported_format"\} 1$/m);
    expect(text).toMatch(new RegExp(`^darklens_model_info\\{model="rbm",version="${SHIPPED_VERSION}"\\} 1$`, 'm'));
    for (const line of text.trim().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [\d.e+-]+)$/);
  });

  it('logs one structured record per request with its status, route and error code', async () => {
    svc.logs.length = 0;
    await post(svc.app, '/v1/score', 'garbage');
    expect(svc.logs).toHaveLength(1);
    expect(svc.logs[0]).toMatchObject({ level: 'warn', msg: 'request', method: 'POST', path: '/v1/score', status: 415, error: 'unsupported_format' });
    expect(typeof svc.logs[0]!.requestId).toBe('string');
  });

  it('generates an OpenAPI 3.1 document from the route schemas, and a docs page from it', async () => {
    const doc = (await (await svc.app.request('/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, { parameters?: { name: string }[] }>>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/score', '/v1/score/batch', '/v1/models', '/v1/models/{name}', '/v2/models/{name}/infer']));
    expect(doc.paths['/v1/score']!.post!.parameters!.map((p) => p.name)).toEqual(['models', 'survey', 'score', 'threshold', 'fpr', 'alpha', 'combine', 'ensemble', 'outputs', 'encoding', 'hdu']);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['ScoreResult', 'ModelScore', 'Ensemble', 'Error', 'OipInferRequest', 'Route', 'Domain']));
    const html = await (await svc.app.request('/docs')).text();
    expect(html).toMatch(/<code>\/v1\/score\/batch<\/code>/);
    expect(html).toMatch(/curl --data-binary/);
  });

  it('answers unknown routes with the JSON error shape', async () => {
    const r = await svc.app.request('/v1/nothing');
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});

describe('registry reload', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'darklens-reload-'));
    await cp(SHIPPED_MODELS, dir, { recursive: true });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function publishNew(): Promise<void> {
    // A new version of dcae and rbm: the same files under a new name, made the default of both at once.
    const reg = JSON.parse(await readFile(join(dir, 'registry.json'), 'utf8')) as { models: Record<string, { default: string; previousDefaults: string[]; versions: Record<string, unknown> }> };
    for (const name of ['dcae', 'rbm']) {
      await cp(join(dir, name, SHIPPED_VERSION), join(dir, name, NEW_VERSION), { recursive: true });
      const m = reg.models[name]!;
      m.versions[NEW_VERSION] = m.versions[SHIPPED_VERSION];
      m.previousDefaults.push(m.default);
      m.default = NEW_VERSION;
    }
    await writeFile(join(dir, 'registry.json'), JSON.stringify(reg));
  }

  it('swaps atomically: requests during the reload all succeed, each on one version', async () => {
    const { app, store, ready } = createService({ source: folderSource(dir), engine: (await import('@darklens/functions/node')).ortNodeEngine(), config: { ...DEFAULT_CONFIG, adminKey: 'admin' } });
    await ready;
    await publishNew();
    const body = fitsOf(lens);
    const requests = Array.from({ length: 24 }, () => post(app, '/v1/score?models=dcae,rbm', body));
    const reload = post(app, '/admin/reload', '', { authorization: 'Bearer admin' });
    const more = Array.from({ length: 24 }, () => post(app, '/v1/score?models=dcae,rbm', body));
    const results = await Promise.all([...requests, ...more]);
    const r = await reload;
    expect(r.status).toBe(200);
    expect(((await r.json()) as { models: Record<string, string> }).models.dcae).toBe(NEW_VERSION);
    for (const res of results) {
      expect(res.status).toBe(200);
      const { models } = (await res.json()) as ScoreResult;
      expect([SHIPPED_VERSION, NEW_VERSION]).toContain(models.dcae!.version);
      expect(models.rbm!.version, 'one request, one registry generation').toBe(models.dcae!.version);
    }
    const after = (await (await post(app, '/v1/score?models=dcae', body)).json()) as ScoreResult;
    expect(after.models.dcae!.version).toBe(NEW_VERSION);
    expect((await post(app, '/admin/reload', '')).status).toBe(401);
    store.close();
  });

  it('refuses a model file that does not match its sha256 and keeps serving the previous set', async () => {
    const { store, ready } = createService({ source: folderSource(dir), engine: (await import('@darklens/functions/node')).ortNodeEngine() });
    const first = await ready;
    const onnx = join(dir, 'aae', SHIPPED_VERSION, 'model.onnx'); // aae's default stays the shipped one through this suite
    const bytes = await readFile(onnx);
    bytes[bytes.length - 10]! ^= 0xff;
    await writeFile(onnx, bytes);
    await expect(store.reload()).rejects.toMatchObject({ code: 'integrity_mismatch' });
    expect(store.lastError).toMatch(/sha256/);
    expect(store.current()).toBe(first);
    const { app, ready: freshReady } = createService({ source: folderSource(dir), engine: (await import('@darklens/functions/node')).ortNodeEngine() });
    await expect(freshReady).rejects.toMatchObject({ code: 'integrity_mismatch' });
    const r = await app.request('/v2/health/ready');
    expect(r.status).toBe(503);
    expect(((await (await post(app, '/v1/score', fitsOf(lens))).json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'unavailable' });
    bytes[bytes.length - 10]! ^= 0xff;
    await writeFile(onnx, bytes);
    store.close();
  });
});

describe('internal errors', () => {
  it('are a bare 500 with a request id; the stack goes to the log, not the client', async () => {
    const real = (await import('@darklens/functions/node')).ortNodeEngine();
    const failing: InferenceEngine = {
      name: 'failing',
      async createSession(model) {
        const s = await real.createSession(model);
        return { inputNames: s.inputNames, outputNames: s.outputNames, release: () => s.release(), run: () => Promise.reject(new Error('kernel exploded at secret/path.ts:12')) };
      },
    };
    const logs: Record<string, unknown>[] = [];
    const { app, store, ready } = createService({ source: folderSource(SHIPPED_MODELS), engine: failing, models: ['rbm'], log: (r) => logs.push(r) });
    await ready;
    const r = await post(app, '/v1/score', fitsOf(lens));
    expect(r.status).toBe(500);
    const text = await r.text();
    expect(text).not.toMatch(/exploded|secret|\.ts/);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'internal' } });
    expect(logs.some((l) => l.msg === 'unhandled error' && String(l.error).includes('kernel exploded'))).toBe(true);
    store.close();
  });
});

describe('model files', () => {
  it('serves the card and pictures of a served model, sha256-checked, and nothing else', async () => {
    const svc = await shippedService();
    const roc = await svc.app.request('/v1/models/vae/files/roc.png');
    expect(roc.status).toBe(200);
    expect(roc.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await roc.arrayBuffer()).equals(await readFile(join(SHIPPED_MODELS, 'vae', SHIPPED_VERSION, 'roc.png')))).toBe(true);
    const card = await svc.app.request('/v1/models/vae/files/card.md');
    expect(await card.text()).toMatch(/^# /m);
    for (const bad of ['model.onnx', 'calibration.json', '..%2Fregistry.json', 'nope.png']) {
      const r = await svc.app.request(`/v1/models/vae/files/${bad}`);
      expect(r.status, bad).toBe(404);
    }
    svc.store.close();
  });
});
