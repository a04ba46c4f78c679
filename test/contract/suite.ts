/**
 * The scoring service's contract, one vitest suite for every runtime (Node in-process, the Node
 * server, the Lambda handler, the Worker). A runtime's test file calls
 *
 *   contractSuite('my-runtime', async (env) => ({ fetch: (req) => ..., close: async () => ... }));
 *
 * - `env`: DARKLENS_* settings the target must apply as `configFromEnv` reads them: an API key
 *   (CONTRACT_KEY) and small body / batch limits, so that auth and the 413s are part of the contract.
 * - The target serves the shipped registry (`models/`: dcae, vae, aae, rbm).
 * - `fetch(req)`: answer one Request; only its method, path, query, headers and body matter (its origin
 *   is a placeholder: see `retarget` for targets on a real URL). `close()`: stop the target.
 *
 * The suite runs in Node. Every score it gets is compared with the Node reference computed in the same
 * file (the app in-process on onnxruntime-node) within 1e-5 (relative), so the same inputs give the same
 * scores on every runtime, and written to test-artifacts/contract/<runtime>.json for the record.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePngGray, minMaxScale, writeNpy, type Cutout } from '@darklens/core';
import type { BatchLine, ScoreResult } from '@darklens/functions';
import { ROOT } from '../helpers/cli.js';
import { blob, fitsOf, json, npyStack, SHIPPED_REGISTRY, SHIPPED_VERSION, shippedService, simulatedLenses, type TestService } from '../helpers/service.js';

export interface ContractTarget {
  fetch(req: Request): Promise<Response>;
  close(): Promise<void>;
}

export type StartTarget = (env: Record<string, string>) => Promise<ContractTarget>;

export const CONTRACT_KEY = 'contract-key-0123456789';

/** The settings every target is started with. */
export const CONTRACT_ENV: Record<string, string> = {
  DARKLENS_API_KEYS: CONTRACT_KEY,
  DARKLENS_MAX_BODY_MB: '1',
  DARKLENS_MAX_BATCH_MB: '3',
  DARKLENS_MAX_BATCH_ITEMS: '100',
};

/** Relative tolerance between a runtime's scores and the Node reference's. */
export const SCORE_TOLERANCE = 1e-5;

const ORIGIN = 'http://contract.invalid';
const MODELS = ['dcae', 'vae', 'aae', 'rbm'];
const auth = { authorization: `Bearer ${CONTRACT_KEY}` };

/** `req` sent to `origin` instead (its body read once), for targets that listen on a real URL. */
export async function retarget(req: Request, origin: string): Promise<Request> {
  const url = new URL(req.url);
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer();
  return new Request(new URL(url.pathname + url.search, origin), { method: req.method, headers: req.headers, ...(body === undefined ? {} : { body }) });
}

function request(path: string, init: { method?: string; body?: BodyInit | Uint8Array; headers?: Record<string, string> } = {}): Request {
  return new Request(`${ORIGIN}${path}`, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: init.body as BodyInit }) });
}

/** The fixed inputs: four simulated lenses, one per format. */
function inputs(): { fits: Uint8Array; 'fits.gz': Uint8Array; npy: Uint8Array; png: Uint8Array } {
  const [a, b, c, d] = [...simulatedLenses('no_sub', 2, 11), ...simulatedLenses('vortex', 2, 11)] as [Cutout, Cutout, Cutout, Cutout];
  return {
    fits: fitsOf(a),
    'fits.gz': gzipSync(fitsOf(b)),
    npy: writeNpy(c.data, [64, 64]),
    png: encodePngGray(64, 64, Uint8Array.from(minMaxScale(d.data), (v) => Math.round(255 * v))),
  };
}

/** An NPY stack of `n` lenses (more than one streaming step when n > 64). */
const stack = (n: number): Uint8Array => npyStack(simulatedLenses('spherical', 5, 12), n);

function oipRequest(): unknown {
  const lenses = simulatedLenses('spherical', 2, 13);
  const data = new Float32Array(2 * 4096);
  lenses.forEach((l, i) => data.set(minMaxScale(l.data), i * 4096));
  return { id: 'contract', inputs: [{ name: 'input', shape: [2, 1, 64, 64], datatype: 'FP32', data: Array.from(data) }], outputs: [{ name: 'score' }] };
}

function expectClose(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs the reference's ${expected}`).toBeLessThanOrEqual(SCORE_TOLERANCE * Math.abs(expected));
}

type ErrorShape = { error: { code: string; message: string } };

async function expectError(r: Response, status: number, code: string): Promise<string> {
  const body = await json<ErrorShape>(r, status);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error.message;
}

export function contractSuite(runtime: string, start: StartTarget): void {
  describe(`contract: ${runtime}`, () => {
    let target: ContractTarget;
    let reference: TestService;
    const record: Record<string, unknown> = { runtime, tolerance: SCORE_TOLERANCE, scores: {} };
    const send = (path: string, init?: Parameters<typeof request>[1]): Promise<Response> => target.fetch(request(path, init));
    const refSend = (path: string, init?: Parameters<typeof request>[1]): Promise<Response> => Promise.resolve(reference.app.fetch(request(path, init)));

    beforeAll(async () => {
      [target, reference] = await Promise.all([start({ ...CONTRACT_ENV }), shippedService()]);
    }, 120_000);
    afterAll(async () => {
      await target?.close();
      reference?.store.close();
      const dir = join(ROOT, 'test-artifacts', 'contract');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${runtime}.json`), `${JSON.stringify(record, null, 2)}\n`);
    });

    it('answers health, readiness and server metadata (Open Inference Protocol v2)', async () => {
      expect(await json(await send('/v2/health/live'), 200)).toEqual({ live: true });
      expect(await json(await send('/v2/health/ready'), 200)).toEqual({ ready: true });
      expect(await json(await send('/v2'), 200)).toMatchObject({ name: 'darklens', extensions: [] });
      const meta = await json<{ name: string; inputs: unknown[] }>(await send('/v2/models/dcae'), 200);
      expect(meta).toEqual(await json(await refSend('/v2/models/dcae'), 200));
      expect(await json(await send('/v2/models/vae/ready'), 200)).toEqual({ name: 'vae', ready: true });
    });

    it('lists the served models and one model\'s calibration, and serves its card pictures byte for byte', async () => {
      const list = await json<{ models: { name: string; version: string }[] }>(await send('/v1/models'), 200);
      // Every registered model (each set's) at its default; the default set's are MODELS at the shipped version.
      expect(list.models.map((m) => `${m.name}@${m.version}`)).toEqual(Object.entries(SHIPPED_REGISTRY.models).map(([name, m]) => `${name}@${m.default}`));
      expect(list.models.filter((m) => MODELS.includes(m.name)).map((m) => `${m.name}@${m.version}`)).toEqual(MODELS.map((m) => `${m}@${SHIPPED_VERSION}`));
      const one = await json<{ scores: number[] }>(await send('/v1/models/vae'), 200);
      expect(one.scores).toEqual((await json<{ scores: number[] }>(await refSend('/v1/models/vae'), 200)).scores);
      const png = await send('/v1/models/rbm/files/roc.png');
      expect(png.status).toBe(200);
      expect(png.headers.get('content-type')).toBe('image/png');
      expect(new Uint8Array(await png.arrayBuffer())).toEqual(new Uint8Array(await (await refSend('/v1/models/rbm/files/roc.png')).arrayBuffer()));
    });

    it('scores one cutout as FITS, FITS.gz, NPY and PNG as the Node reference does', async () => {
      const scores: Record<string, Record<string, number>> = {};
      for (const [format, body] of Object.entries(inputs())) {
        const r = await json<ScoreResult>(await send('/v1/score', { body, headers: auth }), 200);
        const ref = await json<ScoreResult>(await refSend('/v1/score', { body }), 200);
        expect(r.input, format).toEqual(ref.input);
        // The same model set, route, guard and verdict on every runtime.
        expect([r.set, r.domain, r.verdict], format).toEqual([ref.set, ref.domain, ref.verdict]);
        expect(r.set.name, format).toBe('model-a');
        expect(Object.keys(r.models), format).toEqual(MODELS);
        scores[format] = {};
        for (const m of MODELS) {
          expect(r.models[m]!.version).toBe(SHIPPED_VERSION);
          expect(r.models[m]!.threshold).toEqual(ref.models[m]!.threshold);
          expectClose(r.models[m]!.loss, ref.models[m]!.loss, `${format} ${m}`);
          scores[format][m] = r.models[m]!.loss;
        }
      }
      (record.scores as Record<string, unknown>).single = scores;
    });

    it('streams a batch as NDJSON, one line per cutout in input order, scored as the reference scores them', async () => {
      const n = 70;
      const body = stack(n);
      const r = await send('/v1/score/batch?models=dcae,rbm', { body, headers: auth });
      expect(r.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      const text = await r.text();
      expect(r.status, text.slice(0, 300)).toBe(200);
      const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as BatchLine & { models: ScoreResult['models'] });
      const ref = (await (await refSend('/v1/score/batch?models=dcae,rbm', { body })).text()).trimEnd().split('\n').map((l) => JSON.parse(l) as BatchLine & { models: ScoreResult['models'] });
      expect(lines.map((l) => l.index)).toEqual([...Array(n).keys()]);
      for (let i = 0; i < n; i++) for (const m of ['dcae', 'rbm']) expectClose(lines[i]!.models[m]!.loss, ref[i]!.models[m]!.loss, `line ${i} ${m}`);
      (record.scores as Record<string, unknown>).batch = lines.slice(0, 5).map((l) => ({ index: l.index, dcae: l.models.dcae!.loss, rbm: l.models.rbm!.loss }));

      const form = new FormData();
      form.append('a', blob(inputs().fits), 'a.fits');
      form.append('b', blob(new TextEncoder().encode('not a cutout')), 'b.txt');
      const mixed = (await (await send('/v1/score/batch?models=aae', { body: form, headers: auth })).text()).trimEnd().split('\n').map((l) => JSON.parse(l) as BatchLine);
      expect(mixed.map((l) => l.name)).toEqual(['a.fits', 'b.txt']);
      expect('error' in mixed[1]! && mixed[1].error.code).toBe('unsupported_format');
    });

    it('answers an Open Inference Protocol v2 infer request as the reference does', async () => {
      const body = JSON.stringify(oipRequest());
      const headers = { 'content-type': 'application/json' };
      const r = await json<{ id: string; model_name: string; outputs: { name: string; shape: number[]; data: number[] }[] }>(await send('/v2/models/rbm/infer', { body, headers: { ...headers, ...auth } }), 200);
      const ref = await json<typeof r>(await refSend('/v2/models/rbm/infer', { body, headers }), 200);
      expect(r).toMatchObject({ id: 'contract', model_name: 'rbm' });
      expect(r.outputs.map((o) => [o.name, o.shape])).toEqual([['score', [2]]]);
      r.outputs[0]!.data.forEach((v, i) => expectClose(v, ref.outputs[0]!.data[i]!, `infer score ${i}`));
      (record.scores as Record<string, unknown>).infer = r.outputs[0]!.data;
    });

    it('requires the API key on scoring routes only, compared exactly', async () => {
      const body = inputs().npy;
      for (const headers of [{}, { authorization: `Bearer ${CONTRACT_KEY}x` }, { authorization: CONTRACT_KEY }] as Record<string, string>[]) {
        await expectError(await send('/v1/score?models=rbm', { body, headers }), 401, 'unauthorized');
      }
      await expectError(await send('/v1/score/batch?models=rbm', { body }), 401, 'unauthorized');
      const infer = await send('/v2/models/rbm/infer', { body: JSON.stringify(oipRequest()), headers: { 'content-type': 'application/json' } });
      expect(infer.status).toBe(401);
      for (const open of ['/v1/models', '/v2/health/ready', '/v2/models/rbm', '/openapi.json']) expect((await send(open)).status, open).toBe(200);
    });

    it('refuses what it cannot score with the documented status and error shape', async () => {
      const fits = inputs().fits;
      await expectError(await send('/v1/score', { body: '{"a":1}', headers: { ...auth, 'content-type': 'application/json' } }), 415, 'unsupported_format');
      await expectError(await send('/v1/score', { body: fits.slice(0, 3000), headers: auth }), 422, 'truncated');
      await expectError(await send('/v1/score?models=nope', { body: fits, headers: auth }), 404, 'not_found');
      expect(await expectError(await send('/v1/score?survey=nope', { body: fits, headers: auth }), 404, 'not_found')).toMatch(/names no model set/);
      await expectError(await send('/v1/score?fpr=2', { body: fits, headers: auth }), 400, 'invalid_argument');
      await expectError(await send('/v1/score?combine=fisher', { body: fits, headers: auth }), 400, 'invalid_argument');
      await expectError(await send('/v1/models/nope'), 404, 'not_found');
      await expectError(await send('/v1/nothing'), 404, 'not_found');
      // Over the body limit (1 MiB here): 413 before the body is scored.
      await expectError(await send('/v1/score', { body: new Uint8Array(1.5 * 2 ** 20), headers: auth }), 413, 'too_large');
      expect(await expectError(await send('/v1/score/batch', { body: stack(101), headers: auth }), 413, 'too_large')).toMatch(/at most 100/);
      const oip = async (path: string, req: unknown, status: number): Promise<void> => {
        const body = await json<Record<string, unknown>>(await send(path, { body: JSON.stringify(req), headers: { ...auth, 'content-type': 'application/json' } }), status);
        expect(Object.keys(body)).toEqual(['error']);
      };
      await oip('/v2/models/dcae/infer', { inputs: [{ name: 'input', shape: [1, 1, 32, 32], datatype: 'FP32', data: new Array(1024).fill(0) }] }, 400);
      await oip('/v2/models/nope/infer', oipRequest(), 404);
    });
  });
}
