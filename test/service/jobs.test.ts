/**
 * The jobs API in-process over the shipped models: accept, status, results in input order, cancel,
 * expiry, idempotent chunks (a chunk delivered twice counts once), per-item failures, a chunk failing
 * as a whole on its last attempt, and keys jobs. The queue here is the in-memory one the test drains
 * itself, so every delivery (duplicates, retries) is explicit.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createService, DEFAULT_CONFIG, memoryBlobStore, type BlobStore, type ChunkMessage, type JobQueue, type JobService, type JobStatus } from '@darklens/functions';
import { folderSource, ortNodeEngine } from '@darklens/functions/node';
import { blob, fitsOf, json, npyStack, post, SHIPPED_MODELS, simulatedLenses } from '../helpers/service.js';

class ListQueue implements JobQueue {
  sent: ChunkMessage[] = [];
  send(m: ChunkMessage[]): Promise<void> {
    this.sent.push(...m);
    return Promise.resolve();
  }
}

interface Harness {
  app: ReturnType<typeof createService>['app'];
  jobs: JobService;
  queue: ListQueue;
  storage: BlobStore;
  inputs: BlobStore;
}

async function harness(settings: Partial<JobService['settings']> = {}): Promise<Harness> {
  const queue = new ListQueue();
  const storage = memoryBlobStore();
  const inputs = memoryBlobStore();
  const svc = createService({ source: folderSource(SHIPPED_MODELS), engine: ortNodeEngine(), config: DEFAULT_CONFIG, jobs: { storage, queue, inputs, settings } });
  await svc.ready;
  return { app: svc.app, jobs: svc.jobs!, queue, storage, inputs };
}

/** Delivers every queued message once, in order. */
async function drain(h: Harness): Promise<void> {
  for (const m of h.queue.sent.splice(0)) await h.jobs.process(m);
}

async function lines(r: Response): Promise<Record<string, unknown>[]> {
  const text = await r.text();
  expect(r.status, text.slice(0, 300)).toBe(200);
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const lenses = simulatedLenses('no_sub', 6);
const vortex = simulatedLenses('vortex', 4, 11);

describe('jobs API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });

  it('accepts an NPY stack, cuts it into chunks and gives results equal to the batch route, in order', async () => {
    const stack = npyStack([...lenses, ...vortex], 50);
    const accepted = await json<JobStatus & { links: { self: string; results: string } }>(await post(h.app, '/v1/jobs?chunk=16', stack), 202);
    expect(accepted.state).toBe('queued');
    expect(accepted.items).toBe(50);
    expect(accepted.chunks.total).toBe(4);
    expect(h.queue.sent.map((m) => m.chunk)).toEqual([0, 1, 2, 3]);

    // Half the chunks: running, partial results in order, an ETA.
    const half = h.queue.sent.splice(0, 2);
    for (const m of half) await h.jobs.process(m);
    const mid = await json<JobStatus>(await h.app.request(accepted.links.self));
    expect(mid.state).toBe('running');
    expect(mid.chunks.done).toBe(2);
    expect(mid.counts.items).toBe(32);
    const partial = await h.app.request(accepted.links.results);
    expect(partial.headers.get('x-darklens-complete')).toBe('false');
    expect((await lines(partial)).map((l) => l.index)).toEqual([...Array(32).keys()]);

    await drain(h);
    const done = await json<JobStatus>(await h.app.request(accepted.links.self));
    expect(done.state).toBe('succeeded');
    expect(done.counts).toMatchObject({ items: 50, scored: 50, failed: 0 });
    expect(done.etaSeconds).toBeNull();
    const res = await h.app.request(accepted.links.results);
    expect(res.headers.get('x-darklens-complete')).toBe('true');
    const got = await lines(res);
    const batch = await lines(await post(h.app, '/v1/score/batch', stack));
    expect(got.map((l) => l.name)).toEqual(batch.map((l) => l.name));
    expect(got.map((l) => l.index)).toEqual(batch.map((l) => l.index));
    for (const [i, l] of got.entries()) {
      const want = batch[i] as { ensemble: { pValue: number }; models: Record<string, { loss: number }> };
      const have = l as typeof want;
      expect(have.ensemble.pValue).toBeCloseTo(want.ensemble.pValue, 9);
      for (const role of Object.keys(want.models)) expect(have.models[role]!.loss).toBeCloseTo(want.models[role]!.loss, 6);
    }
    expect(done.counts.flagged).toBe(got.filter((l) => (l as { ensemble: { flagged: boolean } }).ensemble.flagged).length);

    // The drift summary of the finished job: in its status, and as a last results line on request.
    const drift = (done as JobStatus & { drift: { set: string; cutouts: number; models: unknown[] }[] }).drift;
    expect(drift.map((d) => [d.set, d.cutouts])).toEqual([['model-a', 50]]);
    expect(drift[0]!.models).toHaveLength(4);
    const withDrift = await lines(await h.app.request(`${accepted.links.results}?drift=true`));
    expect(withDrift).toHaveLength(51);
    expect(withDrift[50]).toEqual({ drift });
    expect(mid).toMatchObject({ drift: null });

    // CSV: a header and one row per cutout, in order, with the NDJSON's numbers.
    const csv = await h.app.request(`${accepted.links.results}?format=csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = (await csv.text()).trimEnd().split('\r\n').map((r) => r.split(','));
    expect(rows).toHaveLength(51);
    const col = (name: string): number => rows[0]!.indexOf(name);
    expect(rows.slice(1).map((r) => r[col('name')])).toEqual(got.map((l) => l.name));
    expect(rows.slice(1).map((r) => Number(r[col('dcae_loss')]))).toEqual(got.map((l) => (l as { models: { dcae: { loss: number } } }).models.dcae.loss));
    expect((await json<{ error: { message: string } }>(await h.app.request(`${accepted.links.results}?format=csv&drift=true`), 400)).error.message).toMatch(/CSV/);
  });

  it('counts a chunk delivered twice once', async () => {
    const accepted = await json<JobStatus>(await post(h.app, '/v1/jobs?chunk=4', npyStack(lenses, 10)), 202);
    const sent = h.queue.sent.splice(0);
    for (const m of [...sent, ...sent, sent[0]!]) await h.jobs.process(m);
    expect(await h.jobs.process(sent[1]!)).toBe('duplicate');
    const s = await h.jobs.status(accepted.id);
    expect(s.counts.items).toBe(10);
    expect((await lines(await h.app.request(`/v1/jobs/${accepted.id}/results`))).length).toBe(10);
  });

  it('records unreadable files as failed items and keeps going', async () => {
    const form = new FormData();
    form.append('a', blob(fitsOf(lenses[0]!)), 'a.fits');
    form.append('b', blob(new TextEncoder().encode('not a cutout at all')), 'b.txt');
    form.append('c', blob(npyStack(lenses, 3)), 'c.npy');
    const accepted = await json<JobStatus>(await post(h.app, '/v1/jobs', form), 202);
    await drain(h);
    const s = await h.jobs.status(accepted.id);
    expect(s.counts).toMatchObject({ items: 5, scored: 4, failed: 1 });
    const got = await lines(await h.app.request(`/v1/jobs/${accepted.id}/results`));
    expect(got.map((l) => l.name)).toEqual(['a.fits', 'b.txt', 'c.npy[0]', 'c.npy[1]', 'c.npy[2]']);
    expect((got[1] as { error: { code: string } }).error.code).toBe('unsupported_format');
  });

  it('numbers the images of a stack across chunks by their place in the stack', async () => {
    const accepted = await json<JobStatus>(await post(h.app, '/v1/jobs?chunk=3', npyStack(lenses, 7)), 202);
    await drain(h);
    const got = await lines(await h.app.request(`/v1/jobs/${accepted.id}/results`));
    expect(got.map((l) => l.name)).toEqual([...Array(7).keys()].map((i) => `body[${i}]`));
    expect(accepted.chunks.total).toBe(3);
  });

  it('cancels: chunks not started are skipped, results so far kept', async () => {
    const accepted = await json<JobStatus>(await post(h.app, '/v1/jobs?chunk=2', npyStack(lenses, 8)), 202);
    const sent = h.queue.sent.splice(0);
    await h.jobs.process(sent[0]!);
    const cancelled = await json<JobStatus>(await h.app.request(`/v1/jobs/${accepted.id}`, { method: 'DELETE' }));
    expect(cancelled.state).toBe('cancelled');
    for (const m of sent.slice(1)) expect(await h.jobs.process(m)).toBe('cancelled');
    const s = await h.jobs.status(accepted.id);
    expect(s).toMatchObject({ state: 'cancelled', chunks: { total: 4, done: 1 } });
    expect((await lines(await h.app.request(`/v1/jobs/${accepted.id}/results`))).length).toBe(2);
  });

  it('scores object keys of the inputs store (a key may hold a stack) and reports missing keys', async () => {
    await h.inputs.put('season1/a.fits', fitsOf(lenses[0]!));
    await h.inputs.put('season1/b.npy', npyStack(lenses, 3));
    await h.inputs.put('season2/c.fits', fitsOf(lenses[1]!));
    const byPrefix = await json<JobStatus>(await post(h.app, '/v1/jobs', JSON.stringify({ prefix: 'season1/' }), { 'content-type': 'application/json' }), 202);
    expect(byPrefix.items).toBeNull();
    expect(byPrefix.source).toEqual({ kind: 'keys', keys: 2, prefix: 'season1/' });
    const byKeys = await json<JobStatus>(await post(h.app, '/v1/jobs', JSON.stringify({ keys: ['season2/c.fits', 'season2/missing.fits'] }), { 'content-type': 'application/json' }), 202);
    await drain(h);
    expect((await lines(await h.app.request(`/v1/jobs/${byPrefix.id}/results`))).map((l) => l.name)).toEqual(['season1/a.fits', 'season1/b.npy[0]', 'season1/b.npy[1]', 'season1/b.npy[2]']);
    expect((await h.jobs.status(byPrefix.id)).items).toBe(4);
    const k = await lines(await h.app.request(`/v1/jobs/${byKeys.id}/results`));
    expect(k.map((l) => (l as { error?: { code: string } }).error?.code ?? 'ok')).toEqual(['ok', 'not_found']);
  });

  it('refuses bad jobs with what is accepted', async () => {
    const bad = async (path: string, body: BodyInit, status: number, headers: Record<string, string> = {}): Promise<string> =>
      (await json<{ error: { message: string } }>(await post(h.app, path, body, headers), status)).error.message;
    expect(await bad('/v1/jobs?outputs=residual', npyStack(lenses, 2), 400)).toMatch(/outputs/);
    expect(await bad('/v1/jobs?chunk=0', npyStack(lenses, 2), 400)).toMatch(/chunk=0/);
    expect(await bad('/v1/jobs?models=nope', npyStack(lenses, 2), 404)).toMatch(/nope/);
    expect(await bad('/v1/jobs', '{"keys": []}', 400, { 'content-type': 'application/json' })).toMatch(/keys is empty/);
    expect(await bad('/v1/jobs', '{"keys": ["../etc/passwd"]}', 400, { 'content-type': 'application/json' })).toMatch(/not an object key/);
    expect(await bad('/v1/jobs', '{"prefix": "nothing-here/"}', 400, { 'content-type': 'application/json' })).toMatch(/no objects/);
    expect(await bad('/v1/jobs', '{"keys": ["a"], "prefix": "b"}', 400, { 'content-type': 'application/json' })).toMatch(/exactly one/);
    expect(await bad('/v1/jobs', '{nope', 400, { 'content-type': 'application/json' })).toMatch(/JSON/);
    const id = (await h.jobs.create({ kind: 'upload', files: [{ name: 'x', bytes: npyStack(lenses, 1) }] }, {})).id;
    expect((await json<{ error: { message: string } }>(await h.app.request(`/v1/jobs/${id}/results?drift=maybe`), 400)).error.message).toMatch(/true or false/);
    expect((await json<{ error: { code: string } }>(await h.app.request('/v1/jobs/abcdefgh12345'), 404)).error.code).toBe('not_found');
    expect((await json<{ error: { code: string } }>(await h.app.request('/v1/jobs/..%2F..%2Fetc'), 404)).error.code).toBe('not_found');
    expect((await json<{ error: { message: string } }>(await h.app.request(`/v1/jobs/${(await h.jobs.create({ kind: 'upload', files: [{ name: 'x', bytes: npyStack(lenses, 1) }] }, {})).id}/results?format=xml`), 400)).error.message).toMatch(/ndjson, csv/);
  });
});

describe('jobs that fail, expire, or run where there is no job store', () => {
  it('records a chunk failing as a whole on its last attempt, and throws (for a retry) before', async () => {
    const h = await harness({ maxAttempts: 2 });
    const accepted = await json<JobStatus>(await post(h.app, '/v1/jobs', JSON.stringify({ keys: ['a.fits'] }), { 'content-type': 'application/json' }), 202);
    const [m] = h.queue.sent.splice(0);
    // The inputs store breaks: the chunk cannot even be read.
    h.inputs.get = () => Promise.reject(new Error('disk on fire'));
    await expect(h.jobs.process(m!, 1)).rejects.toThrow('disk on fire');
    expect(await h.jobs.process(m!, 2)).toBe('failed');
    const s = await h.jobs.status(accepted.id);
    expect(s).toMatchObject({ state: 'succeeded', counts: { items: 1, failed: 1 } });
    const [line] = await lines(await h.app.request(`/v1/jobs/${accepted.id}/results`));
    expect(line).toMatchObject({ name: 'a.fits', error: { code: 'internal' } });
  });

  it('queues each chunk once its input is written, in chunk order, while later chunks are still being written', async () => {
    const h = await harness();
    const inputsAt: number[] = []; // chunk inputs in the store at each send
    const manifestAt: boolean[] = [];
    h.queue.send = async (m: ChunkMessage[]) => {
      const keys = await h.storage.list('jobs/');
      inputsAt.push(keys.filter((k) => k.includes('/in/')).length);
      manifestAt.push(keys.some((k) => k.endsWith('/job.json')));
      h.queue.sent.push(...m);
    };
    const put = h.storage.put.bind(h.storage);
    h.storage.put = async (key, body) => {
      await new Promise((r) => setTimeout(r, 1)); // writes take a while, as on a disk
      return put(key, body);
    };
    const accepted = await json<JobStatus>(await post(h.app, '/v1/jobs?chunk=2', npyStack(lenses, 40)), 202);
    expect(accepted.chunks.total).toBe(20);
    expect(h.queue.sent.map((m) => m.chunk)).toEqual([...Array(20).keys()]);
    expect(inputsAt.length).toBeGreaterThan(1);
    expect(inputsAt[0]).toBeLessThan(20);
    expect(manifestAt.every(Boolean)).toBe(true);
  });

  it('cancels a job whose chunks the queue refuses, and says so', async () => {
    const h = await harness();
    h.queue.send = () => Promise.reject(new Error('queue down'));
    const r = await json<{ error: { code: string; message: string } }>(await post(h.app, '/v1/jobs?chunk=2', npyStack(lenses, 6)), 503);
    expect(r.error.message).toMatch(/queue refused the work \(queue down\); the job was cancelled/);
    const [index] = await h.storage.list('index/');
    expect(index).toBeDefined();
    const ids = (await h.storage.list('jobs/')).map((k) => k.split('/')[1]);
    expect(new Set(ids).size).toBe(1);
    expect((await h.jobs.status(ids[0]!)).state).toBe('cancelled');
  });

  it('removes expired jobs and says so', async () => {
    const h = await harness({ retentionMs: 50 });
    const accepted = await json<JobStatus>(await post(h.app, '/v1/jobs', npyStack(lenses, 2)), 202);
    await new Promise((r) => setTimeout(r, 80));
    expect((await json<{ error: { message: string } }>(await h.app.request(`/v1/jobs/${accepted.id}`), 404)).error.message).toMatch(/expired/);
    expect(await h.jobs.sweep()).toEqual([accepted.id]);
    expect(await h.storage.list(`jobs/${accepted.id}/`)).toEqual([]);
    expect(await h.jobs.process(h.queue.sent[0]!)).toBe('expired');
  });

  it('answers 503 on the job routes of a service without a job store', async () => {
    const svc = createService({ source: folderSource(SHIPPED_MODELS), engine: ortNodeEngine() });
    await svc.ready;
    const r = await json<{ error: { message: string } }>(await post(svc.app, '/v1/jobs', npyStack(lenses, 1)), 503);
    expect(r.error.message).toMatch(/no jobs/);
  });
});
