/**
 * What the Lambda handlers add to the contract: base64 bodies scored bit for bit as on Node, a batch
 * that starts answering before it ends (response streaming), Lambda's payload limits with a 413 that
 * names the route for large work, the response caps, and the first model load.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '@darklens/core';
import type { InferenceEngine, ScoreResult } from '@darklens/functions';
import { createLambdaApp, lambdaConfig, LAMBDA_MAX_BODY_BYTES, type LambdaApp } from '@darklens/functions/lambda';
import { folderSource, ortNodeEngine } from '@darklens/functions/node';
import { installAwsLambdaGlobal, invokeBuffered, invokeStreaming, lambdaEvent } from '../helpers/lambda.js';
import { fitsOf, npyStack, post, shippedService, simulatedLenses, SHIPPED_MODELS, type TestService } from '../helpers/service.js';

installAwsLambdaGlobal();

const quiet = (): undefined => undefined;
const lenses = simulatedLenses('vortex', 3, 21);
const req = (path: string, body?: Uint8Array | string, headers: Record<string, string> = {}): Request =>
  new Request(`https://lambda.invalid${path}`, { method: body === undefined ? 'GET' : 'POST', headers, ...(body === undefined ? {} : { body: body as BodyInit }) });

let lambda: LambdaApp;
let node: TestService;
beforeAll(async () => {
  lambda = createLambdaApp({ source: folderSource(SHIPPED_MODELS), log: quiet });
  node = await shippedService();
});
afterAll(() => {
  lambda.service.store.close();
  node.store.close();
});

describe('binary bodies', () => {
  it('arrive base64-encoded and score FITS, FITS.gz and NPY exactly as the Node app does', async () => {
    const bodies = { fits: fitsOf(lenses[0]!), gz: gzipSync(fitsOf(lenses[1]!)), npy: writeNpy(lenses[2]!.data, [64, 64]) };
    for (const [what, body] of Object.entries(bodies)) {
      const event = await lambdaEvent(req('/v1/score', body, { 'content-type': 'application/octet-stream' }), 'function-url');
      expect(event.isBase64Encoded, what).toBe(true);
      expect(event.body, what).toBe(Buffer.from(body).toString('base64'));
      const expected = (await (await post(node.app, '/v1/score', body)).json()) as ScoreResult;
      for (const kind of ['function-url', 'http-api'] as const) {
        const r = await invokeBuffered(lambda.handler, req('/v1/score', body, { 'content-type': 'application/octet-stream' }), kind);
        expect(r.status, `${what} ${kind}`).toBe(200);
        const got = (await r.json()) as ScoreResult;
        expect(got.models, `${what} ${kind}`).toEqual(expected.models);
        expect(got.input).toEqual(expected.input);
      }
      const streamed = await invokeStreaming(lambda.streamingHandler(), event);
      expect(((await streamed.response.json()) as ScoreResult).models, `${what} streamed`).toEqual(expected.models);
    }
  });

  it('a binary answer (a model card picture) comes back base64-encoded in a buffered result', async () => {
    const result = await lambda.handler(await lambdaEvent(req('/v1/models/dcae/files/roc.png'), 'http-api'));
    expect(result.isBase64Encoded).toBe(true);
    expect(Buffer.from(result.body, 'base64').subarray(1, 4).toString()).toBe('PNG');
    const ndjson = await lambda.handler(await lambdaEvent(req('/v1/score/batch?models=rbm', writeNpy(lenses[0]!.data, [1, 64, 64])), 'http-api'));
    expect(ndjson.isBase64Encoded, 'NDJSON lines stay text').toBe(false);
    expect(JSON.parse(ndjson.body)).toMatchObject({ index: 0 });
  });
});

describe('response streaming', () => {
  it('writes the first NDJSON lines of a batch before its last cutout is scored', async () => {
    // An engine that notes when each model run ends, to order them against the stream's writes.
    const base = ortNodeEngine();
    const runEnds: number[] = [];
    const engine: InferenceEngine = {
      name: 'timed',
      async createSession(model) {
        const s = await base.createSession(model);
        return { inputNames: s.inputNames, outputNames: s.outputNames, release: () => s.release(), run: async (f, o) => {
          const out = await s.run(f, o);
          runEnds.push(performance.now());
          return out;
        } };
      },
    };
    const timed = createLambdaApp({ source: folderSource(SHIPPED_MODELS), engine, log: quiet });
    const n = 250; // 4 MB of NPY: four streaming steps within the Lambda payload
    const answer = await invokeStreaming(timed.streamingHandler(), await lambdaEvent(req('/v1/score/batch?models=rbm', npyStack(lenses, n)), 'function-url'));
    timed.service.store.close();
    expect(answer.response.status).toBe(200);
    expect(answer.response.headers.get('content-type')).toMatch(/ndjson/);
    expect((await answer.response.text()).trimEnd().split('\n')).toHaveLength(n);
    expect(answer.chunks.length, 'written in several parts').toBeGreaterThan(1);
    expect(answer.chunks[0]!.at, 'first lines written before the last run ended').toBeLessThan(runEnds[runEnds.length - 1]!);
  });
});

describe('Lambda limits', () => {
  it('clamp the body limits to what an event can carry, whatever the environment asks', () => {
    const config = lambdaConfig({ DARKLENS_MAX_BODY_MB: '100', DARKLENS_MAX_BATCH_MB: '2' });
    expect(config.limits.maxBodyBytes).toBe(LAMBDA_MAX_BODY_BYTES);
    expect(config.limits.maxBatchBodyBytes).toBe(2 * 2 ** 20);
    // base64 of the largest body, plus the event, stays within the 6 MB invocation payload
    expect(Math.ceil(LAMBDA_MAX_BODY_BYTES / 3) * 4).toBeLessThan(6 * 2 ** 20);
  });

  it('answer a body over them with a 413 that names the route for large work', async () => {
    const body = new Uint8Array(LAMBDA_MAX_BODY_BYTES + 1);
    for (const path of ['/v1/score', '/v1/score/batch']) {
      const r = await invokeBuffered(lambda.handler, req(path, body), 'function-url');
      expect(r.status, path).toBe(413);
      const { error } = (await r.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('too_large');
      expect(error.message).toMatch(/AWS Lambda/);
      expect(error.message).toMatch(/POST \/v1\/score\/batch/);
      expect(error.message).toMatch(/darklens serve/);
    }
  });

  it('cap a buffered answer with a 413, and end a streamed batch over its cap with an error line', async () => {
    const capped = createLambdaApp({ source: folderSource(SHIPPED_MODELS), log: quiet, caps: { buffered: 60_000, streamed: 20_000 } });
    const big = await invokeBuffered(capped.handler, req('/v1/score?models=vae&outputs=input,reconstruction,residual&encoding=both', fitsOf(lenses[0]!)), 'function-url');
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { message: string } }).error.message).toMatch(/buffered response limit.*streaming function URL/);
    const small = await invokeBuffered(capped.handler, req('/v1/score?models=vae', fitsOf(lenses[0]!)), 'function-url');
    expect(small.status).toBe(200);

    const n = 70;
    const streamed = await invokeStreaming(capped.streamingHandler(), await lambdaEvent(req('/v1/score/batch', npyStack(lenses, n)), 'function-url'));
    expect(streamed.response.status).toBe(200);
    const lines = (await streamed.response.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeLessThan(n);
    expect(lines[lines.length - 1]).toMatchObject({ error: { code: 'too_large' } });
    capped.service.store.close();
  });
});

describe('model loading', () => {
  let empty: string;
  beforeAll(async () => {
    empty = await mkdtemp(join(tmpdir(), 'darklens-no-registry-'));
  });
  afterAll(() => rm(empty, { recursive: true, force: true }));

  it('a first load that fails answers 503 with the reason, and the health check says not ready', async () => {
    const logs: Record<string, unknown>[] = [];
    const broken = createLambdaApp({ source: folderSource(empty), log: (r) => logs.push(r) });
    const ready = await invokeBuffered(broken.handler, req('/v2/health/ready'), 'http-api');
    expect(ready.status).toBe(503);
    const r = await invokeBuffered(broken.handler, req('/v1/score', fitsOf(lenses[0]!)), 'http-api');
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/registry\.json/) as unknown });
    expect(logs.some((l) => l.msg === 'models not loaded')).toBe(true);
  });
});
