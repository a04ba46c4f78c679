/**
 * The jobs' R2 store and Queue producer on the real runtime: a small test entry imports the compiled
 * r2-blob-store.js and queue-producer.js (type-only imports, so they load on their own) into workerd
 * through Miniflare, with a local R2 bucket and a local queue that this entry also consumes. The
 * bindings are wrapped to count calls: listing more than 1000 keys takes several pages, deleting
 * them several calls, and 250 messages go in sendBatch calls of at most 100 (more is refused here as
 * in production).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Miniflare } from 'miniflare';
import { WORKER_DIR } from '../../scripts/local-worker.mjs';

const DIST = join(WORKER_DIR, 'dist', 'workers');

const ENTRY = `
import { r2BlobStore } from './r2-blob-store.js';
import { queueProducer } from './queue-producer.js';

const calls = { list: 0, delete: 0, sendBatch: [] };
const received = [];

function counted(env) {
  return {
    bucket: {
      put: (k, v) => env.BUCKET.put(k, v),
      get: (k) => env.BUCKET.get(k),
      list: (o) => { calls.list++; return env.BUCKET.list(o); },
      delete: (keys) => { calls.delete++; return env.BUCKET.delete(keys); },
    },
    queue: { sendBatch: (m) => { const all = [...m]; calls.sendBatch.push(all.length); return env.Q.sendBatch(all); } },
  };
}

const hex = (bytes) => bytes === undefined ? null : [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

export default {
  async fetch(request, env) {
    const { bucket, queue } = counted(env);
    const store = r2BlobStore(bucket, 'test-bucket');
    const op = await request.json();
    calls.list = 0; calls.delete = 0; calls.sendBatch = [];
    let result;
    if (op.op === 'fill') {
      for (let at = 0; at < op.keys.length; at += 50) await Promise.all(op.keys.slice(at, at + 50).map((k) => store.put(k, '')));
      result = null;
    } else if (op.op === 'put-view') {
      const whole = new Uint8Array([9, 9, 1, 2, 3, 9]);
      await store.put(op.key, whole.subarray(2, 5));
      result = null;
    } else if (op.op === 'put-text') {
      await store.put(op.key, op.text);
      result = null;
    } else if (op.op === 'get') {
      result = hex(await store.get(op.key));
    } else if (op.op === 'list') {
      result = await store.list(op.prefix);
    } else if (op.op === 'delete') {
      await store.delete(op.keys);
      result = null;
    } else if (op.op === 'send') {
      await queueProducer(queue).send(Array.from({ length: op.n }, (_, chunk) => ({ job: 'abcdefgh1234', chunk })));
      result = null;
    } else if (op.op === 'send-raw') {
      try {
        await env.Q.sendBatch(Array.from({ length: op.n }, (_, i) => ({ body: { i } })));
        result = 'sent';
      } catch (e) {
        result = 'refused';
      }
    } else if (op.op === 'received') {
      result = received;
    }
    return Response.json({ result, location: store.location, calls });
  },
  async queue(batch) {
    for (const m of batch.messages) {
      received.push(m.body);
      m.ack();
    }
  },
};
`;

let mf: Miniflare;

interface Answer<T> {
  result: T;
  location: string;
  calls: { list: number; delete: number; sendBatch: number[] };
}

async function call<T>(op: Record<string, unknown>): Promise<Answer<T>> {
  const r = await mf.dispatchFetch('http://entry/', { method: 'POST', body: JSON.stringify(op) });
  const text = await r.text();
  expect(r.status, text).toBe(200);
  return JSON.parse(text) as Answer<T>;
}

beforeAll(async () => {
  mf = new Miniflare({
    modulesRoot: DIST,
    modules: [
      { type: 'ESModule', path: join(DIST, 'bindings-test-entry.js'), contents: ENTRY },
      { type: 'ESModule', path: join(DIST, 'r2-blob-store.js') },
      { type: 'ESModule', path: join(DIST, 'queue-producer.js') },
    ],
    compatibilityDate: '2026-04-26',
    r2Buckets: ['BUCKET'],
    queueProducers: { Q: { queueName: 'test-queue' } },
    queueConsumers: { 'test-queue': { maxBatchSize: 100, maxBatchTimeout: 0 } },
    host: '127.0.0.1',
    port: 0,
  });
  await mf.ready;
});
afterAll(() => mf.dispose());

describe('r2BlobStore in workerd', () => {
  const keys = Array.from({ length: 2100 }, (_, i) => `jobs/p/${String(i).padStart(5, '0')}`);

  // Thousands of local R2 writes: seconds when quiet, more on a busy 2-core machine.
  it('lists every key under a prefix across pages of 1000, sorted, and nothing outside it', { timeout: 180_000 }, async () => {
    // Put in a shuffled order, so the sorted listing is R2's (and the store's) doing.
    const shuffled = keys.map((k, i) => ({ k, r: (i * 7919) % keys.length })).sort((a, b) => a.r - b.r).map((x) => x.k);
    await call({ op: 'fill', keys: [...shuffled, 'jobs/other', 'jobs/p', 'index/x'] });
    const listed = await call<string[]>({ op: 'list', prefix: 'jobs/p/' });
    expect(listed.result).toEqual(keys);
    expect(listed.calls.list, 'pages of at most 1000').toBe(3);
    expect(listed.location).toBe('r2://test-bucket');
    expect((await call<string[]>({ op: 'list', prefix: 'jobs/' })).result).toHaveLength(keys.length + 2);
    expect((await call<string[]>({ op: 'list', prefix: 'nothing/' })).result).toEqual([]);
  });

  it('deletes in batches of at most 1000 (missing keys are no error) and keeps the rest', async () => {
    const del = await call<null>({ op: 'delete', keys: [...keys, 'jobs/never-there'] });
    expect(del.calls.delete).toBe(3);
    expect((await call<string[]>({ op: 'list', prefix: 'jobs/' })).result).toEqual(['jobs/other', 'jobs/p']);
    expect((await call<null>({ op: 'delete', keys: [] })).calls.delete).toBe(0);
  });

  it('gives back exactly the bytes put (a view into a larger buffer, text) and undefined for a missing key', async () => {
    await call({ op: 'put-view', key: 'v' });
    expect((await call<string | null>({ op: 'get', key: 'v' })).result).toBe('010203');
    await call({ op: 'put-text', key: 't', text: 'é\n' });
    expect((await call<string | null>({ op: 'get', key: 't' })).result).toBe('c3a90a');
    await call({ op: 'put-text', key: 't', text: 'x' });
    expect((await call<string | null>({ op: 'get', key: 't' })).result, 'a put replaces').toBe('78');
    expect((await call<string | null>({ op: 'get', key: 'missing' })).result).toBeNull();
  });
});

describe('queueProducer in workerd', () => {
  it('refuses more than 100 messages in one sendBatch locally, as Queues does', async () => {
    expect((await call<string>({ op: 'send-raw', n: 101 })).result).toBe('refused');
  });

  it('sends 250 chunk messages in groups of at most 100, every one delivered as JSON', async () => {
    const sent = await call<null>({ op: 'send', n: 250 });
    expect(sent.calls.sendBatch).toEqual([100, 100, 50]);
    const t0 = Date.now();
    let received: { job: string; chunk: number }[] = [];
    while (received.length < 250 && Date.now() - t0 < 30_000) {
      await new Promise((r) => setTimeout(r, 100));
      received = (await call<{ job: string; chunk: number }[]>({ op: 'received' })).result;
    }
    expect(received.map((m) => m.chunk).sort((a, b) => a - b)).toEqual([...Array(250).keys()]);
    expect(received[0]!.job).toBe('abcdefgh1234');
  });
});
