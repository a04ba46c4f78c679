/**
 * The remote scorer against the real service in-process (createService over the shipped models, an
 * in-memory job store, the Node server's own job runner), reached through the app's fetch: the lines
 * of the batch route named as the run names them, uploads split on 413, Ctrl-C cancelling the job in
 * flight, a job cancelled by someone else, the key, and the fingerprint of what is served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DarklensError, sliceNpyStack, writeFits } from '@darklens/core';
import { createService, DEFAULT_CONFIG, memoryBlobStore, type BatchLine, type BlobStore, type ChunkMessage, type JobQueue, type ModelList, type ServiceConfig } from '@darklens/functions';
import { folderSource, LocalJobRunner, ortNodeEngine } from '@darklens/functions/node';
import { blob, fitsOf, npyStack, SHIPPED_MODELS, simulatedLenses } from '../../../test/helpers/service.js';
import { openRemoteScorer, servedModelsHash, type RemoteScorer, type RemoteScorerOptions } from './remote-scorer.js';
import type { Piece } from './scorer.js';

const KEY = 'k-test-1';
const URL_ = 'http://darklens.test';
const lenses = simulatedLenses('no_sub', 3, 11);
const fits = fitsOf(lenses[0]!);
const fits2 = fitsOf(lenses[1]!);
const stack = npyStack(lenses, 10);
const slice = sliceNpyStack(stack, 4)[1]!; // images 4..7
const last = sliceNpyStack(stack, 1)[9]!; // image 9 alone
const broken = fits.slice(0, 3000);

/** Forwards chunks to the server's runner, or holds them (a job that never runs) while `hold` is set. */
class SwitchQueue implements JobQueue {
  hold = false;
  held: ChunkMessage[] = [];
  constructor(private readonly runner: LocalJobRunner) {}
  send(m: ChunkMessage[]): Promise<void> {
    if (!this.hold) return this.runner.send(m);
    this.held.push(...m);
    return Promise.resolve();
  }
}

type Harness = Awaited<ReturnType<typeof harness>>;

async function harness(config: Partial<ServiceConfig>) {
  const storage = memoryBlobStore();
  const runner = new LocalJobRunner(storage);
  const queue = new SwitchQueue(runner);
  const svc = createService({ source: folderSource(SHIPPED_MODELS), engine: ortNodeEngine(), config: { ...DEFAULT_CONFIG, ...config }, jobs: { storage, queue } });
  await svc.ready;
  await runner.attach(svc.jobs!);
  return { app: svc.app, jobs: svc.jobs!, storage, queue, close: async () => (await runner.close(), svc.store.close()) };
}

function open(h: Harness, o: Partial<RemoteScorerOptions> = {}): Promise<RemoteScorer> {
  return openRemoteScorer({
    url: URL_,
    key: KEY,
    query: { models: 'dcae,rbm' },
    concurrency: 2,
    signal: new AbortController().signal,
    poll: { firstMs: 5, maxMs: 20 },
    fetch: ((input: string, init?: RequestInit) => Promise.resolve(h.app.request(input, init))) as typeof fetch,
    ...o,
  });
}

const withoutPlace = (l: BatchLine): Omit<BatchLine, 'index' | 'name'> => {
  const { index: _i, name: _n, ...rest } = l;
  return rest;
};

async function batchRoute(h: Harness, files: Uint8Array[], query: string): Promise<BatchLine[]> {
  const form = new FormData();
  files.forEach((f, i) => form.append('file', blob(f), `f${i}`));
  const res = await h.app.request(`/v1/score/batch?${query}`, { method: 'POST', body: form, headers: { authorization: `Bearer ${KEY}` } });
  return (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as BatchLine);
}

const jobCount = async (s: BlobStore): Promise<number> => (await s.list('index/')).length;

async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(f()).toBe(true);
}

let h: Harness;
beforeAll(async () => {
  h = await harness({ apiKeys: [KEY] });
});
afterAll(async () => {
  await h?.close();
});

describe('the remote scorer', () => {
  it('gives the batch route\'s lines for the same cutouts, named and numbered as the run names them', async () => {
    const scorer = await open(h);
    const pieces: Piece[] = [
      { name: 'a.fits', count: 1, bytes: fits },
      { name: 'stack.npy', first: slice.first, count: slice.count, bytes: slice.bytes },
      { name: 'broken.fits', count: 1, bytes: broken },
      { name: 'gone.npy', count: 1, error: new DarklensError('not_found', 'gone.npy does not exist (any more)') },
      { name: 'stack.npy', first: last.first, count: 1, bytes: last.bytes },
    ];
    const lines = await scorer.score(pieces, 100);
    expect(lines.map((l) => [l.index, l.name])).toEqual([[100, 'a.fits'], [101, 'stack.npy[4]'], [102, 'stack.npy[5]'], [103, 'stack.npy[6]'], [104, 'stack.npy[7]'], [105, 'broken.fits'], [106, 'gone.npy'], [107, 'stack.npy[9]']]);
    expect(lines[5]).toMatchObject({ error: { code: 'truncated' } });
    expect(lines[6]).toEqual({ index: 106, name: 'gone.npy', error: { code: 'not_found', message: 'gone.npy does not exist (any more)' } });
    const route = await batchRoute(h, [fits, slice.bytes, broken, last.bytes], 'models=dcae,rbm');
    expect([...lines.slice(0, 6), lines[7]!].map(withoutPlace)).toEqual(route.map(withoutPlace));

    expect(scorer.roles).toEqual(['dcae', 'rbm']);
    // The drift summary's calibrations are the service's: sorted scores of the model and score each line used.
    const used = (lines[0] as Extract<BatchLine, { models: unknown }>).models.dcae!;
    const ref = scorer.calibrations.reference(used.model, used.score)!;
    expect(ref.length).toBeGreaterThan(100);
    expect(Array.from(ref).every((x, i, a) => i === 0 || a[i - 1]! <= x)).toBe(true);
    expect(scorer.calibrations.domain('model-a')?.pixelScale).toBe(0.1);
    expect(scorer.calibrations.domain('nope')).toBeUndefined();
  });

  it('records what is served, not when it was loaded', async () => {
    const served = (await (await h.app.request('/v1/models')).json()) as ModelList;
    const scorer = await open(h);
    expect(scorer.models).toBe(servedModelsHash(served));
    expect(servedModelsHash({ ...served, generation: served.generation + 1, loadedAt: 'later' })).toBe(scorer.models);
    const newer = { ...served, models: served.models.map((m, i) => (i === 0 ? { ...m, version: 'v99' } : m)) };
    expect(servedModelsHash(newer)).not.toBe(scorer.models);
  });

  it('needs the key the service wants, and says where it goes', async () => {
    await expect(open(h, { key: undefined as unknown as string })).rejects.toThrow(/needs an API key: pass --api-key KEY or set DARKLENS_API_KEY/);
    await expect(open(h, { key: 'wrong' })).rejects.toThrow(/refused the API key given/);
  });

  it('cancels its job in flight when the run is stopped', async () => {
    const stop = new AbortController();
    const scorer = await open(h, { signal: stop.signal });
    h.queue.hold = true;
    try {
      const scoring = scorer.score([{ name: 'a.fits', count: 1, bytes: fits }], 0);
      await until(() => h.queue.held.length === 1);
      stop.abort(new Error('stopped by SIGINT'));
      await expect(scoring).rejects.toThrow('stopped by SIGINT');
      expect(scorer.cancelled).toBe(1);
      expect((await h.jobs.status(h.queue.held[0]!.job)).state).toBe('cancelled');
    } finally {
      h.queue.hold = false;
      h.queue.held = [];
    }
  });

  it('fails the step of a job someone else cancelled, saying so', async () => {
    const scorer = await open(h);
    h.queue.hold = true;
    try {
      const scoring = scorer.score([{ name: 'a.fits', count: 1, bytes: fits }], 0);
      await until(() => h.queue.held.length === 1);
      await h.jobs.cancel(h.queue.held[0]!.job);
      await expect(scoring).rejects.toThrow(/was cancelled on the service at http:\/\/darklens\.test, not by this run/);
    } finally {
      h.queue.hold = false;
      h.queue.held = [];
    }
  });
});

describe('the remote scorer and a service that takes small uploads', () => {
  let small: Harness;
  beforeAll(async () => {
    small = await harness({ apiKeys: [KEY], limits: { ...DEFAULT_CONFIG.limits, maxBatchBodyBytes: 50_000 } });
  });
  afterAll(async () => {
    await small?.close();
  });

  it('splits a step the service refuses as too large (413) into jobs it accepts, the same way each time', async () => {
    const big = writeFits({ width: 128, height: 128, data: new Float32Array(128 * 128).fill(1) }); // ~68 KB: more than one request may hold
    const pieces: Piece[] = [
      { name: 'a.fits', count: 1, bytes: fits },
      { name: 'b.fits', count: 1, bytes: fits2 },
      { name: 'c.fits', count: 1, bytes: fits },
      { name: 'stack.npy', first: slice.first, count: slice.count, bytes: slice.bytes }, // ~66 KB: split by images
      { name: 'big.fits', count: 1, bytes: big },
    ];
    const scorer = await open(small);
    const before = await jobCount(small.storage);
    const lines = await scorer.score(pieces, 0);
    const jobs = (await jobCount(small.storage)) - before;
    expect(jobs).toBe(4); // a+b, c, the stack's two halves (big.fits alone is over the limit: never sent again)
    expect(lines.map((l) => l.name)).toEqual(['a.fits', 'b.fits', 'c.fits', 'stack.npy[4]', 'stack.npy[5]', 'stack.npy[6]', 'stack.npy[7]', 'big.fits']);
    expect(lines[7]).toMatchObject({ error: { code: 'too_large', message: expect.stringMatching(/^big\.fits \(\d+ bytes\) is more than the service accepts in one request/) as string } });
    // The same scores as one unsplit job of the same cutouts.
    const whole = await (await open(h)).score(pieces.slice(0, 4), 0);
    for (const [i, l] of whole.entries()) {
      const got = lines[i] as Extract<BatchLine, { models: unknown }>;
      for (const [role, s] of Object.entries((l as typeof got).models)) expect(Math.abs(got.models[role]!.loss - s.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(s.loss));
    }
    // A rerun of the step sends the same jobs and gets the same lines.
    expect(await (await open(small)).score(pieces, 0)).toEqual(lines);
    expect((await jobCount(small.storage)) - before).toBe(2 * jobs);
  });
});
