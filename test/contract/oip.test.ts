/**
 * Open Inference Protocol v2 contract, on the protocol's own examples (KServe "required API" REST
 * examples: the inference request with id "42", server metadata, model metadata, health), adapted
 * only where the example's tensor names/shapes are the protocol's placeholders.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minMaxScale } from '@darklens/core';
import { post, shippedService, simulatedLenses, SHIPPED_MODELS, SHIPPED_VERSION, type TestService } from '../helpers/service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await shippedService();
});
afterAll(() => svc.store.close());

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await svc.app.request(path);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function infer(path: string, request: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await post(svc.app, path, JSON.stringify(request), { 'content-type': 'application/json' });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

const isOipError = (b: Record<string, unknown>): boolean => Object.keys(b).length === 1 && typeof b.error === 'string' && b.error.length > 0;

describe('health and metadata', () => {
  it('server live, ready and metadata have the protocol shapes', async () => {
    expect(await get('/v2/health/live')).toEqual({ status: 200, body: { live: true } });
    expect(await get('/v2/health/ready')).toEqual({ status: 200, body: { ready: true } });
    const meta = await get('/v2');
    expect(meta.status).toBe(200);
    expect(Object.keys(meta.body).sort()).toEqual(['extensions', 'name', 'version']);
    expect(meta.body).toMatchObject({ name: 'darklens', extensions: [] });
  });

  it('model metadata lists versions, platform and tensor metadata; ready per model and version', async () => {
    const registry = JSON.parse(readFileSync(join(SHIPPED_MODELS, 'registry.json'), 'utf8')) as { models: Record<string, { versions: Record<string, { onnx: { outputs: string[] } }> }> };
    const dcae = registry.models.dcae!;
    const m = await get('/v2/models/dcae');
    expect(m).toEqual({
      status: 200,
      body: {
        name: 'dcae',
        versions: Object.keys(dcae.versions),
        platform: 'onnxruntime_onnx',
        // The protocol's clients send the scaled image; the noise model is estimated from it.
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 1, 64, 64] }],
        outputs: dcae.versions[SHIPPED_VERSION]!.onnx.outputs.map((name) => ({ name, datatype: 'FP32', shape: name === 'reconstruction' ? [-1, 1, 64, 64] : [-1] })),
      },
    });
    expect((await get('/v2/models/dcae/versions/v1')).body.versions).toEqual(['v1']);
    expect(await get('/v2/models/vae/ready')).toEqual({ status: 200, body: { name: 'vae', ready: true } });
    expect(await get(`/v2/models/vae/versions/${SHIPPED_VERSION}/ready`)).toEqual({ status: 200, body: { name: 'vae', ready: true } });
    for (const path of ['/v2/models/nope', '/v2/models/nope/ready', '/v2/models/vae/versions/v7', '/v2/models/vae/versions/v7/ready']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(isOipError(r.body), path).toBe(true);
    }
  });
});

describe('inference', () => {
  const spec = { id: '42', inputs: [{ name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] }], outputs: [{ name: 'output0' }] };

  it('refuses the specification\'s example request as it is (its placeholder tensor) with a protocol error', async () => {
    const r = await infer('/v2/models/dcae/infer', spec);
    expect(r.status).toBe(400);
    expect(isOipError(r.body)).toBe(true);
    expect(r.body.error).toMatch(/input/);
  });

  it('answers the example request adapted to the model with the protocol\'s response, equal to onnxruntime\'s', async () => {
    const lens = simulatedLenses('spherical', 2);
    const data = new Float32Array(2 * 4096);
    lens.forEach((c, i) => data.set(minMaxScale(c.data), i * 4096));
    const request = { id: '42', inputs: [{ name: 'input', shape: [2, 1, 64, 64], datatype: 'FP32', data: Array.from(data) }], outputs: [{ name: 'score' }] };
    const r = await infer('/v2/models/rbm/infer', request);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['id', 'model_name', 'model_version', 'outputs']);
    expect(r.body).toMatchObject({ id: '42', model_name: 'rbm', model_version: SHIPPED_VERSION });
    const outputs = r.body.outputs as { name: string; shape: number[]; datatype: string; data: number[] }[];
    expect(outputs.map((o) => [o.name, o.shape, o.datatype])).toEqual([['score', [2], 'FP32']]);
    const session = await ort.InferenceSession.create(readFileSync(join(SHIPPED_MODELS, 'rbm', SHIPPED_VERSION, 'model.onnx')));
    const feeds: Record<string, ort.Tensor> = { input: new ort.Tensor('float32', data, [2, 1, 64, 64]) };
    // The MSE output of a noise-aware graph uses the noise model only to mask: unit variance masks nothing.
    if (session.inputNames.includes('variance')) {
      feeds.variance = new ort.Tensor('float32', new Float32Array(data.length).fill(1), [2, 1, 64, 64]);
      feeds.noise = new ort.Tensor('float32', new Float32Array(4), [2, 2]);
    }
    const direct = await session.run(feeds);
    await session.release();
    expect(outputs[0]!.data).toEqual(Array.from(direct.score!.data as Float32Array));
  });

  it('accepts nested (row-major) data and returns every output when none are named, at a version path too', async () => {
    const rows = Array.from({ length: 64 }, (_, y) => Array.from({ length: 64 }, (_, x) => ((x + y) % 7) / 7));
    const r = await infer('/v2/models/dcae/versions/v1/infer', { inputs: [{ name: 'input', shape: [1, 1, 64, 64], datatype: 'FP32', data: [[rows]] }] });
    expect(r.status).toBe(200);
    const outputs = r.body.outputs as { name: string; shape: number[]; data: number[] }[];
    expect(outputs.map((o) => [o.name, o.shape, o.data.length])).toEqual([
      ['reconstruction', [1, 1, 64, 64], 4096],
      ['score', [1], 1],
    ]);
    expect(r.body.id).toBeUndefined();
  });

  it.each([
    ['wrong datatype', { inputs: [{ name: 'input', shape: [1, 1, 64, 64], datatype: 'FP64', data: new Array(4096).fill(0) }] }],
    ['wrong shape', { inputs: [{ name: 'input', shape: [1, 1, 32, 32], datatype: 'FP32', data: new Array(1024).fill(0) }] }],
    ['too little data', { inputs: [{ name: 'input', shape: [1, 1, 64, 64], datatype: 'FP32', data: [1, 2, 3] }] }],
    ['a string in the data', { inputs: [{ name: 'input', shape: [1, 1, 64, 64], datatype: 'FP32', data: ['NaN', ...new Array<number>(4095).fill(0)] }] }],
    ['an unknown output', { inputs: [{ name: 'input', shape: [1, 1, 64, 64], datatype: 'FP32', data: new Array(4096).fill(0) }], outputs: [{ name: 'logits' }] }],
    ['no inputs field', { id: '1' }],
  ])('refuses %s with 400 and a protocol error', async (_what, request) => {
    const r = await infer('/v2/models/dcae/infer', request);
    expect(r.status).toBe(400);
    expect(isOipError(r.body)).toBe(true);
  });

  it('refuses the binary data extension and non-JSON with 415, unknown models with 404', async () => {
    const bin = await post(svc.app, '/v2/models/dcae/infer', new Uint8Array(8), { 'content-type': 'application/octet-stream', 'inference-header-content-length': '0' });
    expect(bin.status).toBe(415);
    expect(isOipError((await bin.json()) as Record<string, unknown>)).toBe(true);
    const r = await infer('/v2/models/nope/infer', spec);
    expect(r.status).toBe(404);
    expect(isOipError(r.body)).toBe(true);
  });
});
