/**
 * Jobs on the real runtime: the BUILT Worker in workerd (Miniflare) with local R2 buckets (JOBS,
 * INPUTS) and local Queues, nothing stubbed. A job accepted over HTTP is cut into chunks in R2, its
 * messages go through the local queue to the same Worker's queue(), and its results are read back
 * over HTTP: the same scores as the Node server's batch route, in input order. Also a keys job over
 * objects of the INPUTS bucket, a chunk delivered twice (counted once), and poison messages retried
 * until they reach the dead-letter queue (which the Worker consumes too, logging them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cutout } from '@darklens/core';
import type { BatchLine, JobStatus, ScoreResult } from '@darklens/functions';
import { fitsOf, json, npyStack, post, shippedService, simulatedLenses, type TestService } from '../helpers/service.js';
import { startWorkerd, type WorkerdRuntime } from '../helpers/workerd.js';

const RELATIVE = 1e-5;
/** Long enough for a busy 2-core machine; a healthy run takes seconds. */
const WAIT_MS = 180_000;

let node: TestService;
let rt: WorkerdRuntime;
let lenses: Cutout[];

beforeAll(async () => {
  [node, rt] = await Promise.all([shippedService(), startWorkerd()]);
  lenses = [...simulatedLenses('no_sub', 3, 5), ...simulatedLenses('spherical', 2, 5), ...simulatedLenses('vortex', 3, 5)];
});
afterAll(async () => {
  node.store.close();
  await rt.close();
});

function workerPost(path: string, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<Response> {
  return rt.fetch(new Request(`http://worker${path}`, { method: 'POST', body: body as BodyInit, headers }));
}

function workerGet(path: string): Promise<Response> {
  return rt.fetch(new Request(`http://worker${path}`));
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() - t0 > WAIT_MS) throw new Error(`timed out after ${WAIT_MS / 1000} s waiting for ${what}; the Worker logged: ${JSON.stringify(rt.logs.slice(-20))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Polls the job's status until it has succeeded. */
async function succeeded(id: string): Promise<JobStatus> {
  return until(`job ${id} to succeed`, async () => {
    const s = await json<JobStatus>(await workerGet(`/v1/jobs/${id}`));
    expect(s.state).not.toBe('cancelled');
    return s.state === 'succeeded' ? s : undefined;
  });
}

async function ndjson(r: Response): Promise<BatchLine[]> {
  const text = await r.text();
  expect(r.status, text.slice(0, 300)).toBe(200);
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as BatchLine);
}

/** Worker's result against Node's: losses within 1e-5 relative, the read-outs that follow from them. */
function expectSameScores(w: ScoreResult, n: ScoreResult, what: string): void {
  expect(Object.keys(w.models), what).toEqual(Object.keys(n.models));
  for (const [m, ns] of Object.entries(n.models)) {
    const ws = w.models[m]!;
    expect(Math.abs(ws.loss - ns.loss), `${what} ${m} loss ${ws.loss} vs ${ns.loss}`).toBeLessThanOrEqual(RELATIVE * Math.abs(ns.loss));
    expect(ws.threshold, `${what} ${m} threshold`).toEqual(ns.threshold);
    // A loss 1e-7 apart can cross one calibration value: one rank of the p-value.
    expect(Math.abs(ws.pValue - ns.pValue), `${what} ${m} p-value`).toBeLessThanOrEqual(1 / 2501 + 1e-12);
  }
  expect(Math.abs(w.ensemble.pValue - n.ensemble.pValue), `${what} ensemble`).toBeLessThanOrEqual(1e-3);
}

const processed = (job: string, outcome?: string): Record<string, unknown>[] =>
  rt.logs.filter((l) => l.msg === 'job chunk processed' && l.job === job && (outcome === undefined || l.outcome === outcome));

describe('jobs on the Worker, through local R2 and local Queues', () => {
  let upload: { id: string; status: JobStatus; text: string };

  it('runs an NPY stack job chunk by chunk through the queue: the batch route\'s scores, in input order', { timeout: WAIT_MS + 60_000 }, async () => {
    const stack = npyStack(lenses, 37);
    const accepted = await json<JobStatus>(await workerPost('/v1/jobs?chunk=8', stack), 202);
    expect(accepted).toMatchObject({ state: 'queued', items: 37, chunks: { total: 5, done: 0 } });
    const done = await succeeded(accepted.id);
    expect(done.counts).toMatchObject({ items: 37, scored: 37, failed: 0 });

    const res = await workerGet(`/v1/jobs/${accepted.id}/results`);
    expect(res.headers.get('x-darklens-complete')).toBe('true');
    const text = await res.clone().text();
    const got = await ndjson(res);
    const want = await ndjson(await post(node.app, '/v1/score/batch', stack));
    expect(got.map((l) => [l.index, l.name])).toEqual(want.map((l) => [l.index, l.name]));
    expect(got.map((l) => l.index)).toEqual([...Array(37).keys()]);
    for (const [i, l] of got.entries()) expectSameScores(l as ScoreResult, want[i] as ScoreResult, `item ${i}`);
    expect(done.counts.flagged).toBe(got.filter((l) => (l as ScoreResult).ensemble.flagged).length);

    // Every chunk went through the Worker's queue() once, on its first delivery.
    const chunks = processed(accepted.id, 'done').map((l) => [l.chunk, l.attempt]);
    expect(chunks.sort()).toEqual([0, 1, 2, 3, 4].map((c) => [c, 1]));
    upload = { id: accepted.id, status: done, text };
  });

  it('counts a chunk delivered twice once', { timeout: WAIT_MS + 30_000 }, async () => {
    expect(upload, 'the upload job ran').toBeDefined();
    const { id } = upload;
    const before = (await rt.jobs.list({ prefix: `jobs/${id}/done/` })).objects.map((o) => o.key);
    expect(before).toHaveLength(5);
    // At-least-once delivery: the same chunk arrives again, twice, straight from the queue.
    await rt.queue.send({ job: id, chunk: 2 }, { contentType: 'json' });
    await rt.queue.send({ job: id, chunk: 2 }, { contentType: 'json' });
    await until('both redeliveries', () => (processed(id, 'duplicate').length >= 2 ? true : undefined));
    expect(processed(id, 'duplicate').every((l) => l.chunk === 2)).toBe(true);
    expect(processed(id, 'done')).toHaveLength(5);
    const after = await json<JobStatus>(await workerGet(`/v1/jobs/${id}`));
    expect(after.counts).toEqual(upload.status.counts);
    expect(after.chunks).toEqual({ total: 5, done: 5 });
    expect((await rt.jobs.list({ prefix: `jobs/${id}/done/` })).objects.map((o) => o.key)).toEqual(before);
    expect(await (await workerGet(`/v1/jobs/${id}/results`)).text()).toBe(upload.text);
  });

  it('scores objects of the INPUTS bucket by prefix and by keys, a missing key as a failed item', { timeout: WAIT_MS + 60_000 }, async () => {
    const files = { 'survey/a.fits': lenses[0]!, 'survey/b.fits': lenses[4]!, 'survey/c.fits': lenses[7]! };
    for (const [key, c] of Object.entries(files)) await rt.inputs.put(key, fitsOf(c));
    await rt.inputs.put('elsewhere/d.fits', fitsOf(lenses[1]!));
    const jsonBody = { 'content-type': 'application/json' };
    const byPrefix = await json<JobStatus>(await workerPost('/v1/jobs?chunk=2', JSON.stringify({ prefix: 'survey/' }), jsonBody), 202);
    expect(byPrefix.source).toEqual({ kind: 'keys', keys: 3, prefix: 'survey/' });
    const byKeys = await json<JobStatus>(await workerPost('/v1/jobs', JSON.stringify({ keys: ['elsewhere/d.fits', 'survey/missing.fits'] }), jsonBody), 202);

    expect((await succeeded(byPrefix.id)).counts).toMatchObject({ items: 3, scored: 3, failed: 0 });
    const got = await ndjson(await workerGet(`/v1/jobs/${byPrefix.id}/results`));
    expect(got.map((l) => l.name)).toEqual(Object.keys(files));
    for (const [i, [key, c]] of Object.entries(files).entries()) {
      expectSameScores(got[i] as ScoreResult, await json<ScoreResult>(await post(node.app, '/v1/score', fitsOf(c))), key);
    }

    expect((await succeeded(byKeys.id)).counts).toMatchObject({ items: 2, scored: 1, failed: 1 });
    const k = await ndjson(await workerGet(`/v1/jobs/${byKeys.id}/results`));
    expect(k.map((l) => [l.name, 'error' in l ? l.error.code : 'ok'])).toEqual([['elsewhere/d.fits', 'ok'], ['survey/missing.fits', 'not_found']]);
  });

  it('retries a poison message until it reaches the dead-letter queue, logging it once as poison', { timeout: WAIT_MS + 30_000 }, async () => {
    const marker = `poison-${Date.now()}`;
    await rt.queue.send({ not: 'a chunk', marker }, { contentType: 'json' });
    await rt.queue.send(`not even JSON ${marker}`, { contentType: 'text' });
    const mine = (msg: string): Record<string, unknown>[] => rt.logs.filter((l) => l.msg === msg && String(l.body).includes(marker));
    // Miniflare moves a message to the dead-letter queue only after max_retries + 1 failed deliveries.
    await until('both poison messages in the dead-letter queue', () => (mine('dead-lettered poison message').length === 2 ? true : undefined));
    const dead = mine('dead-lettered poison message');
    expect(dead.map((l) => l.queue)).toEqual(['darklens-jobs-dlq', 'darklens-jobs-dlq']);
    const poison = mine('poison job message');
    expect(poison, 'logged once each, on the first delivery').toHaveLength(2);
    expect(poison.map((l) => [l.queue, l.attempt])).toEqual([['darklens-jobs', 1], ['darklens-jobs', 1]]);
    // The same messages (ids) went from the queue to its dead-letter queue.
    expect(dead.map((l) => l.id).sort()).toEqual(poison.map((l) => l.id).sort());
  });
});
