import { describe, expect, it } from 'vitest';
import { memoryBlobStore, type BlobStore } from '../app/jobs/blob-store.js';
import type { ChunkMessage } from '../app/jobs/job-queue.js';
import type { JobService } from '../app/jobs/jobs.js';
import { inputKey, manifestKey } from '../app/jobs/layout.js';
import { encodeChunkInput } from '../app/jobs/manifest.js';
import type { LogRecord } from '../app/middleware/logger.js';
import { consumeBatch, type QueueMessage } from './queue-consumer.js';

const JOB = 'abcdefgh1234';
const DLQ = 'jobs-dlq';

/** A delivered message in Cloudflare's Message shape that records what the consumer did with it. */
function message(body: unknown, attempts = 1): QueueMessage & { outcome: string[] } {
  const outcome: string[] = [];
  return { id: `m${Math.random()}`, body, attempts, outcome, ack: () => outcome.push('ack'), retry: () => outcome.push('retry') };
}

interface Fake {
  jobs: Pick<JobService, 'process' | 'storage'>;
  processed: [ChunkMessage, number][];
  storage: BlobStore;
}

type Outcome = Awaited<ReturnType<JobService['process']>> | Error;

/** Jobs whose process() answers `outcome` of the chunk (or throws it, when an Error). */
function fakeJobs(outcome: (m: ChunkMessage) => Outcome = () => 'done'): Fake {
  const processed: [ChunkMessage, number][] = [];
  const storage = memoryBlobStore();
  const process = (m: ChunkMessage, attempt = 1): ReturnType<JobService['process']> => {
    processed.push([m, attempt]);
    const o = outcome(m);
    return o instanceof Error ? Promise.reject(o) : Promise.resolve(o);
  };
  return { jobs: { process, storage }, processed, storage };
}

async function consume(queue: string, messages: QueueMessage[], jobs: Fake['jobs'] | undefined): Promise<LogRecord[]> {
  const logs: LogRecord[] = [];
  let retriedAll = false;
  await consumeBatch({ queue, messages, retryAll: () => (retriedAll = true) }, { jobs, deadLetterQueue: DLQ, log: (r) => logs.push(r) });
  expect(retriedAll).toBe(false);
  return logs;
}

describe('consumeBatch on the jobs queue', () => {
  it('processes each chunk with its delivery count and acks it; JSON text bodies too', async () => {
    const f = fakeJobs();
    const a = message({ job: JOB, chunk: 0 });
    const b = message(JSON.stringify({ job: JOB, chunk: 1 }), 2);
    const logs = await consume('jobs', [a, b], f.jobs);
    expect(f.processed).toEqual([[{ job: JOB, chunk: 0 }, 1], [{ job: JOB, chunk: 1 }, 2]]);
    expect([a.outcome, b.outcome]).toEqual([['ack'], ['ack']]);
    expect(logs.map((l) => [l.msg, l.chunk, l.outcome])).toEqual([['job chunk processed', 0, 'done'], ['job chunk processed', 1, 'done']]);
  });

  it('retries a chunk whose processing throws, and acks the others of the batch', async () => {
    const f = fakeJobs((m) => (m.chunk === 3 ? new Error('R2 hiccup') : m.chunk === 4 ? 'duplicate' : 'failed'));
    const [before, bad, after, last] = [2, 3, 4, 5].map((chunk) => message({ job: JOB, chunk }, 3));
    const logs = await consume('jobs', [before!, bad!, after!, last!], f.jobs);
    expect([before, bad, after, last].map((m) => m!.outcome)).toEqual([['ack'], ['retry'], ['ack'], ['ack']]);
    expect(f.processed.map(([m]) => m.chunk)).toEqual([2, 3, 4, 5]);
    expect(logs[1]).toMatchObject({ level: 'warn', msg: 'job chunk failed; retrying', chunk: 3, attempt: 3, error: 'R2 hiccup' });
    // A chunk the app recorded as failed (its last attempt) is acked, and logged as an error.
    expect(logs[3]).toMatchObject({ level: 'error', msg: 'job chunk processed', chunk: 5, outcome: 'failed' });
  });

  it('retries poison (so it reaches the dead-letter queue) and logs it on its first delivery only', async () => {
    const f = fakeJobs();
    const poison = [message({ job: 'x', chunk: 0 }), message('not json'), message({ job: JOB, chunk: -1 }), message(null)];
    const logs = await consume('jobs', [...poison, message({ job: JOB, chunk: 0 }, 2)], f.jobs);
    expect(poison.map((m) => m.outcome)).toEqual([['retry'], ['retry'], ['retry'], ['retry']]);
    expect(f.processed).toHaveLength(1);
    expect(logs.filter((l) => l.msg === 'poison job message')).toHaveLength(4);
    const again = message('not json', 4);
    expect(await consume('jobs', [again], f.jobs)).toEqual([]);
    expect(again.outcome).toEqual(['retry']);
  });

  it('retries every message when the Worker has no job store', async () => {
    const m = message({ job: JOB, chunk: 0 });
    const logs = await consume('jobs', [m], undefined);
    expect(m.outcome).toEqual(['retry']);
    expect(logs[0]!.msg).toMatch(/no job store/);
  });
});

describe('consumeBatch on the dead-letter queue', () => {
  it('records a dead chunk of a live job as failed, one line per key, without scoring it', async () => {
    const f = fakeJobs();
    await f.storage.put(manifestKey(JOB), '{}');
    await f.storage.put(inputKey(JOB, 2), encodeChunkInput({ kind: 'keys', keys: ['a.fits', 'b.fits'] }));
    const m = message({ job: JOB, chunk: 2 });
    const logs = await consume(DLQ, [m], f.jobs);
    expect(m.outcome).toEqual(['ack']);
    expect(f.processed).toEqual([]);
    expect(await f.storage.list(`jobs/${JOB}/done/`)).toEqual([`jobs/${JOB}/done/000002-2-0-2-0-0`]);
    const lines = new TextDecoder().decode(await f.storage.get(`jobs/${JOB}/out/000002.ndjson`)).trim().split('\n').map((l) => JSON.parse(l) as { name: string; error: { code: string; message: string } });
    expect(lines.map((l) => [l.name, l.error.code])).toEqual([['a.fits', 'internal'], ['b.fits', 'internal']]);
    expect(lines[0]!.error.message).toMatch(/every delivery/);
    expect(logs[0]).toMatchObject({ level: 'error', msg: 'dead-lettered job chunk recorded as failed', chunk: 2 });
  });

  it('drops (acks) dead poison and chunks of removed jobs, writing nothing', async () => {
    const f = fakeJobs();
    const [poison, orphan] = [message('junk'), message({ job: JOB, chunk: 0 })];
    const logs = await consume(DLQ, [poison, orphan], f.jobs);
    expect([poison.outcome, orphan.outcome]).toEqual([['ack'], ['ack']]);
    expect(await f.storage.list('')).toEqual([]);
    expect(logs.map((l) => l.msg)).toEqual(['dead-lettered poison message', 'dead-lettered chunk of a removed job']);
  });

  it('retries a dead chunk it cannot record (the store failing)', async () => {
    const f = fakeJobs();
    f.storage.get = () => Promise.reject(new Error('R2 down'));
    const m = message({ job: JOB, chunk: 0 });
    await consume(DLQ, [m], f.jobs);
    expect(m.outcome).toEqual(['retry']);
  });
});
