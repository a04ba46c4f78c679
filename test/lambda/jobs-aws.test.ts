/**
 * Jobs on AWS end to end, on real S3- and SQS-compatible servers on 127.0.0.1 with the real AWS SDK
 * (s3rver, fauxqs): the Lambda app is built from its environment as deployed (jobsFromEnv: jobs and
 * inputs buckets, the queue URL), accepts a job through an API Gateway v2 event, its chunk messages
 * land in the queue, and the test plays Lambda's SQS event source mapping: it receives the messages,
 * invokes index.jobs with the documented SQS event (ApproximateReceiveCount from the receive), and
 * deletes what the partial batch response does not list. Covered: a chunk delivered twice (counted
 * once), a poison body (listed, logged once, and moved to the dead-letter queue after
 * maxReceiveCount), a chunk failing on every attempt (recorded as failed on the third), a keys job
 * reading the inputs bucket, and results equal to the in-process batch route's within 1e-6.
 */
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChunkMessage, type JobStatus, type LogRecord } from '@darklens/functions';
import { createLambdaApp, jobsFromEnv, type LambdaApp } from '@darklens/functions/lambda';
import { folderSource } from '@darklens/functions/node';
import { invokeBuffered } from '../helpers/lambda.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';
import { fitsOf, json, npyStack, post, shippedService, SHIPPED_MODELS, simulatedLenses, type TestService } from '../helpers/service.js';
import { sqsEvent, startLocalSqs, type LocalQueue, type LocalSqs } from '../helpers/sqs.js';

const INPUTS = 'darklens-inputs';
const MAX_RECEIVES = 5;

let s3: LocalS3;
let sqs: LocalSqs;
let queue: LocalQueue;
let dlq: LocalQueue;
let lambda: LambdaApp;
let reference: TestService;
const logs: LogRecord[] = [];

beforeAll(async () => {
  // The SDK's default credential chain finds these first and looks no further (no metadata service);
  // s3rver takes only its own key, fauxqs any.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  s3 = await startLocalS3('darklens-jobs');
  await s3.client.send(new CreateBucketCommand({ Bucket: INPUTS }));
  sqs = await startLocalSqs();
  ({ queue, dlq } = await sqs.createQueue('darklens-jobs', { maxReceiveCount: MAX_RECEIVES }));
  const env = {
    AWS_REGION: 'us-east-1',
    DARKLENS_S3_ENDPOINT: s3.endpoint,
    DARKLENS_JOBS_BUCKET: s3.bucket,
    DARKLENS_JOBS_QUEUE_URL: queue.url,
    DARKLENS_INPUTS_BUCKET: INPUTS,
    DARKLENS_JOB_RETENTION_HOURS: '24',
  };
  lambda = createLambdaApp({ source: folderSource(SHIPPED_MODELS), env, jobs: jobsFromEnv(env)!, log: (r) => logs.push(r) });
  await lambda.service.ready;
  reference = await shippedService();
}, 120_000);
afterAll(async () => {
  await sqs?.close();
  await s3?.close();
});

const api = (path: string, init: RequestInit = {}): Promise<Response> => invokeBuffered(lambda.handler, new Request(`https://api.invalid${path}`, init), 'http-api');

/** Receives what the queue holds now (kept in flight for a minute). */
const receive = (q: LocalQueue = queue, max = 10): Promise<Message[]> => sqs.receive(q.url, max, 60);

/** Makes messages visible again at once, as the end of their visibility timeout would. */
async function expire(messages: Message[]): Promise<void> {
  for (const m of messages) await sqs.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
}

/** What Lambda does with a batch: invoke index.jobs, then delete every message the answer does not list. */
async function deliver(messages: Message[]): Promise<string[]> {
  const res = await lambda.jobsHandler(sqsEvent(messages, queue.arn));
  const failed = res.batchItemFailures.map((f) => f.itemIdentifier);
  const done = messages.filter((m) => !failed.includes(m.MessageId!));
  if (done.length > 0) await sqs.client.send(new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
  return failed;
}

const receiveCount = (m: Message): number => Number(m.Attributes!.ApproximateReceiveCount);
const chunkOf = (m: Message): number => parseChunkMessage(m.Body).chunk;

async function queued(q: LocalQueue): Promise<number> {
  const a = (await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!;
  return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
}

/** Cutouts this function has run through the models (darklens_cutouts_total in /metrics): a redelivered chunk must add none. */
async function cutoutsRun(): Promise<number> {
  const text = await (await api('/metrics')).text();
  return [...text.matchAll(/^darklens_cutouts_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

async function ndjson(r: Response): Promise<Record<string, unknown>[]> {
  const text = await r.text();
  expect(r.status, text.slice(0, 300)).toBe(200);
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

type Scored = { name: string; index: number; ensemble: { pValue: number }; models: Record<string, { loss: number }> };

const lenses = [...simulatedLenses('no_sub', 5), ...simulatedLenses('vortex', 3, 11)];

describe('jobs on AWS (S3 + SQS + the Lambda consumer)', () => {
  it('scores a job through the queue: duplicates once, poison to the dead-letter queue, results as the batch route', async () => {
    const stack = npyStack(lenses, 50);
    const accepted = await json<JobStatus>(await api('/v1/jobs?chunk=16', { method: 'POST', body: stack, headers: { 'content-type': 'application/octet-stream' } }), 202);
    expect(accepted).toMatchObject({ state: 'queued', items: 50, chunks: { total: 4, done: 0 } });
    expect(Date.parse(accepted.expiresAt) - Date.parse(accepted.createdAt)).toBe(24 * 3600_000);

    // The chunk messages are in SQS: one per chunk, first delivery.
    const first = await receive();
    expect(first.map((m) => parseChunkMessage(m.Body)).sort((a, b) => a.chunk - b.chunk)).toEqual([0, 1, 2, 3].map((chunk) => ({ job: accepted.id, chunk })));
    expect(first.map(receiveCount)).toEqual([1, 1, 1, 1]);
    const [m0, m1, m2, m3] = [0, 1, 2, 3].map((c) => first.find((m) => chunkOf(m) === c)!);

    expect(await deliver([m0!, m1!])).toEqual([]);
    const mid = await json<JobStatus>(await api(`/v1/jobs/${accepted.id}`));
    expect(mid).toMatchObject({ state: 'running', chunks: { total: 4, done: 2 }, counts: { items: 32 } });

    // Chunk 2 is scored, but its invocation "dies" before Lambda deletes it: SQS delivers it again,
    // and the second delivery runs nothing.
    const run0 = await cutoutsRun();
    await lambda.jobsHandler(sqsEvent([m2!], queue.arn));
    expect(await cutoutsRun()).toBe(run0 + 16);
    await expire([m2!]);
    const again = await receive();
    expect(again.map((m) => [m.MessageId, receiveCount(m)])).toEqual([[m2!.MessageId, 2]]);
    expect(await deliver(again)).toEqual([]);
    expect(await cutoutsRun()).toBe(run0 + 16);
    expect((await json<JobStatus>(await api(`/v1/jobs/${accepted.id}`))).counts.items).toBe(48);

    // A poison body beside the last chunk: only the poison is kept, logged once as poison.
    await sqs.client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: '{"hello": "not a chunk"}' }));
    const [poison] = await receive();
    expect(poison!.Body).toBe('{"hello": "not a chunk"}');
    const before = logs.length;
    expect(await deliver([m3!, poison!])).toEqual([poison!.MessageId]);
    const newLogs = logs.slice(before).filter((r) => r.level === 'error');
    expect(newLogs).toHaveLength(1);
    expect(newLogs[0]).toMatchObject({ msg: 'poison message: not a chunk message', messageId: poison!.MessageId, attempt: 1 });

    const done = await json<JobStatus>(await api(`/v1/jobs/${accepted.id}`));
    expect(done).toMatchObject({ state: 'succeeded', items: 50, chunks: { total: 4, done: 4 }, counts: { items: 50, scored: 50, failed: 0 } });
    const res = await api(`/v1/jobs/${accepted.id}/results`);
    expect(res.headers.get('x-darklens-complete')).toBe('true');
    const got = (await ndjson(res)) as Scored[];
    const want = (await ndjson(await post(reference.app, '/v1/score/batch', stack))) as Scored[];
    expect(got.map((l) => [l.name, l.index])).toEqual(want.map((l) => [l.name, l.index]));
    for (const [i, l] of got.entries()) {
      expect(Math.abs(l.ensemble.pValue - want[i]!.ensemble.pValue)).toBeLessThanOrEqual(1e-6);
      expect(Object.keys(l.models).sort()).toEqual(Object.keys(want[i]!.models).sort());
      for (const role of Object.keys(want[i]!.models)) expect(Math.abs(l.models[role]!.loss - want[i]!.models[role]!.loss)).toBeLessThanOrEqual(1e-6);
    }

    // The poison comes back until its receives run out; then SQS moves it to the dead-letter queue.
    let receives = 1;
    for (let m = poison!; ; ) {
      await expire([m]);
      const next = await receive();
      if (next.length === 0) break;
      expect(next.map((n) => n.MessageId)).toEqual([poison!.MessageId]);
      receives = receiveCount(next[0]!);
      expect(await deliver(next)).toEqual([poison!.MessageId]);
      m = next[0]!;
    }
    expect(receives).toBe(MAX_RECEIVES);
    expect(logs.filter((r) => r.msg === 'poison message: not a chunk message')).toHaveLength(MAX_RECEIVES);
    const dead = await receive(dlq);
    expect(dead.map((m) => m.Body)).toEqual(['{"hello": "not a chunk"}']);
    expect(await queued(queue)).toBe(0);
  });

  it('records a chunk that fails on every attempt as failed on the third, so the job ends', async () => {
    const accepted = await json<JobStatus>(await api('/v1/jobs?chunk=8', { method: 'POST', body: npyStack(lenses, 16), headers: { 'content-type': 'application/octet-stream' } }), 202);
    expect(accepted.chunks.total).toBe(2);
    // Chunk 1's input vanishes (a broken store, not a broken cutout): processing it throws.
    await s3.client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `jobs/${accepted.id}/in/000001` }));
    let batch = await receive();
    expect(batch).toHaveLength(2);
    const failures: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(batch.map(receiveCount)).toEqual(batch.map(() => attempt));
      const failed = await deliver(batch);
      failures.push(failed.length);
      const left = batch.filter((m) => failed.includes(m.MessageId!));
      if (left.length === 0) break;
      expect(left.map(chunkOf)).toEqual([1]);
      await expire(left);
      batch = await receive();
    }
    expect(failures).toEqual([1, 1, 0]);
    expect(logs.filter((r) => r.msg === 'job chunk failed; SQS delivers it again' && r.job === accepted.id).map((r) => r.attempt)).toEqual([1, 2]);
    expect(logs.filter((r) => r.msg === 'job chunk failed on its last attempt; recorded in its results' && r.job === accepted.id)).toHaveLength(1);
    expect(await queued(queue)).toBe(0);

    const s = await json<JobStatus>(await api(`/v1/jobs/${accepted.id}`));
    expect(s).toMatchObject({ state: 'succeeded', chunks: { total: 2, done: 2 }, counts: { scored: 8, failed: 1 } });
    const lines = await ndjson(await api(`/v1/jobs/${accepted.id}/results`));
    expect(lines).toHaveLength(9);
    expect(lines.slice(0, 8).every((l) => 'ensemble' in l)).toBe(true);
    expect(lines[8]).toMatchObject({ name: 'chunk 1', error: { code: 'internal' } });
    expect(String((lines[8] as { error: { message: string } }).error.message)).toMatch(/has no input/);
  });

  it('scores object keys of the inputs bucket', async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: INPUTS, Key: 'season1/a.fits', Body: fitsOf(lenses[0]!) }));
    await s3.client.send(new PutObjectCommand({ Bucket: INPUTS, Key: 'season1/b.npy', Body: npyStack(lenses, 3) }));
    const accepted = await json<JobStatus>(await api('/v1/jobs', { method: 'POST', body: JSON.stringify({ prefix: 'season1/' }), headers: { 'content-type': 'application/json' } }), 202);
    expect(accepted.source).toEqual({ kind: 'keys', keys: 2, prefix: 'season1/' });
    expect(await deliver(await receive())).toEqual([]);
    const lines = await ndjson(await api(`/v1/jobs/${accepted.id}/results`));
    expect(lines.map((l) => l.name)).toEqual(['season1/a.fits', 'season1/b.npy[0]', 'season1/b.npy[1]', 'season1/b.npy[2]']);
    expect(lines.every((l) => 'ensemble' in l)).toBe(true);
  });
});

describe('the jobs wiring', () => {
  it('reads its environment: no jobs without a bucket, both bucket and queue or an error, retention in hours', () => {
    expect(jobsFromEnv({})).toBeUndefined();
    expect(() => jobsFromEnv({ DARKLENS_JOBS_BUCKET: 'b' })).toThrow(/DARKLENS_JOBS_QUEUE_URL/);
    expect(() => jobsFromEnv({ DARKLENS_JOBS_QUEUE_URL: queue.url })).toThrow(/DARKLENS_JOBS_BUCKET/);
    expect(() => jobsFromEnv({ DARKLENS_JOBS_BUCKET: 'b', DARKLENS_JOBS_QUEUE_URL: queue.url, DARKLENS_JOB_RETENTION_HOURS: '0' })).toThrow(/hours > 0/);
    const parts = jobsFromEnv({ AWS_REGION: 'us-east-1', DARKLENS_JOBS_BUCKET: 'b', DARKLENS_JOBS_QUEUE_URL: queue.url, DARKLENS_JOB_RETENTION_HOURS: '1.5' })!;
    expect(parts.storage.location).toBe('s3://b/');
    expect(parts.inputs).toBeUndefined();
    expect(parts.settings).toEqual({ retentionMs: 5_400_000 });
  });

  it('keeps every record when the function has no job store, and refuses events that are not SQS\'s', async () => {
    const bare: LogRecord[] = [];
    const app = createLambdaApp({ source: folderSource(SHIPPED_MODELS), env: {}, log: (r) => bare.push(r) });
    const event = sqsEvent([{ MessageId: 'm-1', ReceiptHandle: 'r', Body: '{"job":"abcdefgh12","chunk":0}', MD5OfBody: 'x', Attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0' } }], queue.arn);
    expect(await app.jobsHandler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(bare.filter((r) => r.level === 'error').map((r) => r.msg)).toEqual([expect.stringMatching(/DARKLENS_JOBS_BUCKET/)]);
    await expect(lambda.jobsHandler({} as never)).rejects.toThrow(/SQS events/);
    await app.service.ready;
  });
});
