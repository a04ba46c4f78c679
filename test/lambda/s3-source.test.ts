/**
 * The S3 model source over HTTP against a real S3-compatible server (s3rver on 127.0.0.1) with the real
 * AWS SDK client: the Lambda handler loads the shipped registry from the bucket and scores as the folder
 * does, keeps files across warm invocations, reloads when the registry's ETag moves (fetching only what
 * changed), and keeps serving when a new registry fails its sha256 checks.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '@darklens/core';
import { createService, type LogRecord, type ScoreResult } from '@darklens/functions';
import { createLambdaApp, registryPoller, s3Source, sourceFromEnv, type LambdaApp, type S3ModelSource } from '@darklens/functions/lambda';
import { ortNodeEngine } from '@darklens/functions/node';
import { invokeBuffered } from '../helpers/lambda.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';
import { fitsOf, post, shippedService, simulatedLenses, SHIPPED_MODELS, SHIPPED_VERSION, SHIPPED_REGISTRY, NEW_VERSION } from '../helpers/service.js';

const PREFIX = 'registry/';
const lens = simulatedLenses('no_sub', 1, 31)[0]!;
const req = (path: string, body?: Uint8Array): Request => new Request(`https://lambda.invalid${path}`, { method: body === undefined ? 'GET' : 'POST', ...(body === undefined ? {} : { body: body as BodyInit }) });

type Registry = { models: Record<string, { default: string; previousDefaults: string[]; versions: Record<string, unknown> }> };

let s3: LocalS3;
let registry: Registry;
beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.putTree(SHIPPED_MODELS, PREFIX);
  registry = JSON.parse(await readFile(join(SHIPPED_MODELS, 'registry.json'), 'utf8')) as Registry;
}, 120_000);
afterAll(() => s3?.close());

/** Uploads `version` of `model`: a copy of the shipped version's files, with `files` instead where given. */
async function putVersion(model: string, version: string, files: Record<string, Uint8Array> = {}): Promise<void> {
  for (const f of ['model.onnx', 'calibration.json', 'card.md', 'roc.png', 'scores.png', 'loss.png']) {
    await s3.put(`${PREFIX}${model}/${version}/${f}`, files[f] ?? (await readFile(join(SHIPPED_MODELS, model, SHIPPED_VERSION, f))));
  }
}

/** Rewrites registry.json with `version` (the shipped version's entry) as the default of `model`. */
async function putRegistry(model: string, version: string): Promise<void> {
  const m = registry.models[model]!;
  m.versions[version] = m.versions[SHIPPED_VERSION];
  m.previousDefaults.push(m.default);
  m.default = version;
  await s3.put(`${PREFIX}registry.json`, JSON.stringify(registry));
}

async function publish(model: string, version: string, files: Record<string, Uint8Array> = {}): Promise<void> {
  await putVersion(model, version, files);
  await putRegistry(model, version);
}

async function servedVersion(app: LambdaApp, model: string): Promise<string> {
  const r = await invokeBuffered(app.handler, req('/v1/models'), 'function-url');
  return ((await r.json()) as { models: { name: string; version: string }[] }).models.find((m) => m.name === model)!.version;
}

describe('the models bucket', () => {
  let source: S3ModelSource;
  let app: LambdaApp;
  const logs: LogRecord[] = [];

  beforeAll(() => {
    source = s3Source({ client: s3.client, bucket: s3.bucket, prefix: PREFIX });
    // A poll interval of 0: every request checks the registry's ETag (one HEAD).
    app = createLambdaApp({ source, env: { DARKLENS_REGISTRY_POLL_SECONDS: '0' }, log: (r) => logs.push(r) });
  });
  afterAll(() => app.service.store.close());

  it('loads the registry over HTTP and scores exactly as the folder source', async () => {
    const r = await invokeBuffered(app.handler, req('/v1/score', fitsOf(lens)), 'function-url');
    expect(r.status).toBe(200);
    const node = await shippedService();
    const expected = (await (await post(node.app, '/v1/score', fitsOf(lens))).json()) as ScoreResult;
    node.store.close();
    expect(((await r.json()) as ScoreResult).models).toEqual(expected.models);
    expect(source.location).toBe(`s3://${s3.bucket}/registry`);
    expect(source.downloads, 'registry.json and each model\'s onnx and calibration').toBe(1 + Object.keys(SHIPPED_REGISTRY.models).length * 2);
  });

  it('keeps every file across warm invocations: scoring again downloads nothing, a card picture once', async () => {
    const before = source.downloads;
    for (let i = 0; i < 3; i++) expect((await invokeBuffered(app.handler, req('/v1/score?models=rbm', fitsOf(lens)), 'function-url')).status).toBe(200);
    expect(source.downloads).toBe(before);
    for (let i = 0; i < 2; i++) {
      const png = await invokeBuffered(app.handler, req('/v1/models/vae/files/roc.png'), 'http-api');
      expect(new Uint8Array(await png.arrayBuffer())).toEqual(new Uint8Array(await readFile(join(SHIPPED_MODELS, 'vae', SHIPPED_VERSION, 'roc.png'))));
    }
    expect(source.downloads).toBe(before + 1);
  });

  it('reloads when the registry\'s ETag changes, fetching only the new version\'s files', async () => {
    const before = source.downloads;
    const tag = source.loadedRegistryTag;
    await publish('rbm', NEW_VERSION);
    expect(await servedVersion(app, 'rbm')).toBe(NEW_VERSION);
    expect(source.loadedRegistryTag).not.toBe(tag);
    // registry.json + the new rbm version's onnx and calibration; the other models' files answered 304 Not Modified.
    expect(source.downloads).toBe(before + 3);
    expect(logs.some((l) => l.msg === 'registry reloaded')).toBe(true);
    const r = (await (await invokeBuffered(app.handler, req('/v1/score/batch?models=rbm,dcae', writeNpy(lens.data, [1, 64, 64])), 'function-url')).json()) as ScoreResult;
    expect([r.models.rbm!.version, r.models.dcae!.version]).toEqual([NEW_VERSION, SHIPPED_VERSION]);
  });

  it('loads a registry uploaded before the files it lists once they are there', async () => {
    await putRegistry('vae', 'v5');
    expect(await servedVersion(app, 'vae'), 'the files are missing: still the shipped version').toBe(SHIPPED_VERSION);
    // The model file and its calibration are read at once: whichever answers first names the miss.
    expect(app.service.store.lastError).toMatch(/vae\/v5\/(model\.onnx|calibration\.json) does not exist/);
    await putVersion('vae', 'v5');
    expect(await servedVersion(app, 'vae'), 'the same registry, tried again').toBe('v5');
  });

  it('refuses a new version whose file does not match its sha256, and keeps serving the previous set', async () => {
    const onnx = new Uint8Array(await readFile(join(SHIPPED_MODELS, 'aae', SHIPPED_VERSION, 'model.onnx')));
    onnx[onnx.length - 10]! ^= 0xff;
    await publish('aae', NEW_VERSION, { 'model.onnx': onnx });
    expect(await servedVersion(app, 'aae')).toBe(SHIPPED_VERSION);
    expect(logs.some((l) => l.level === 'error' && String(l.msg).startsWith('registry reload failed') && /sha256/.test(String(l.error)))).toBe(true);
    expect(app.service.store.lastError).toMatch(/sha256/);
    expect((await invokeBuffered(app.handler, req('/v1/score?models=aae', fitsOf(lens)), 'function-url')).status).toBe(200);
  });
});

describe('registry checks', () => {
  it('happen at most once per interval: a change is seen only after it', async () => {
    let now = 0;
    const source = s3Source({ client: s3.client, bucket: s3.bucket, prefix: PREFIX });
    const { store, ready } = createService({ source, engine: ortNodeEngine(), models: ['dcae'] });
    await ready;
    const poller = registryPoller(store, source, { intervalMs: 5000, log: () => undefined, now: () => now });
    await publish('dcae', 'v3');
    now = 4999;
    await poller.check();
    expect(store.current().model('dcae').version, 'within the interval: not checked').not.toBe('v3');
    now = 5000;
    await poller.check();
    expect(store.current().model('dcae').version).toBe('v3');
    store.close();
  });

  it('name the missing object and retry a first load that failed', async () => {
    const logs: LogRecord[] = [];
    const source = s3Source({ client: s3.client, bucket: s3.bucket, prefix: 'elsewhere/' });
    const app = createLambdaApp({ source, env: { DARKLENS_REGISTRY_POLL_SECONDS: '0' }, log: (r) => logs.push(r) });
    const r = await invokeBuffered(app.handler, req('/v1/score', fitsOf(lens)), 'function-url');
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain(`s3://${s3.bucket}/elsewhere/registry.json does not exist`);
    await s3.putTree(SHIPPED_MODELS, 'elsewhere/');
    expect((await invokeBuffered(app.handler, req('/v1/score', fitsOf(lens)), 'function-url')).status).toBe(200);
    expect(logs.some((l) => l.msg === 'models loaded on retry')).toBe(true);
    app.service.store.close();
  });

  it('the deployed entry picks the bucket from DARKLENS_MODELS_BUCKET, else the bundled models', () => {
    const fromBucket = sourceFromEnv({ DARKLENS_MODELS_BUCKET: s3.bucket, DARKLENS_MODELS_PREFIX: PREFIX, DARKLENS_S3_ENDPOINT: s3.endpoint, AWS_REGION: 'us-east-1' }, '/bundled');
    expect(fromBucket.location).toBe(`s3://${s3.bucket}/registry`);
    expect(sourceFromEnv({}, '/opt/bundled/models').location).toBe('/opt/bundled/models');
  });
});
