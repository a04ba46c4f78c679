/**
 * The SQS job queue with the real AWS SDK against a real SQS-compatible server on 127.0.0.1 (fauxqs,
 * test/helpers/sqs.ts): chunk messages go ten a SendMessageBatch and each arrives once, readable by
 * parseChunkMessage. Entry failures inside a successful batch call are injected by a small proxy in
 * front of the server, the way SQS reports them (the entry absent from what is queued, listed under
 * Failed): transient ones are resent and arrive once, lasting ones and sender faults reject the send.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChunkMessage, type ChunkMessage } from '@darklens/functions';
import { sqsQueue } from '@darklens/functions/lambda';
import { startLocalSqs, TEST_CREDENTIALS, type LocalSqs } from '../helpers/sqs.js';

interface Entry {
  Id: string;
  MessageBody: string;
}
interface Fault {
  Code: string;
  SenderFault: boolean;
}

/** What the proxy saw: every SendMessageBatch request's entries (bodies), in order. */
interface Proxy {
  endpoint: string;
  batches: string[][];
  /** Decides per entry whether SQS "fails" it this time. */
  fault: (body: string) => Fault | undefined;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

async function startProxy(target: string): Promise<Proxy> {
  const proxy: Proxy = { endpoint: '', batches: [], fault: () => undefined, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    void (async () => {
      let body = await readBody(req);
      const failed: (Fault & { Id: string; Message: string })[] = [];
      const isBatch = req.headers['x-amz-target'] === 'AmazonSQS.SendMessageBatch';
      if (isBatch) {
        const input = JSON.parse(body) as { QueueUrl: string; Entries: Entry[] };
        proxy.batches.push(input.Entries.map((e) => e.MessageBody));
        const kept: Entry[] = [];
        for (const e of input.Entries) {
          const f = proxy.fault(e.MessageBody);
          if (f === undefined) kept.push(e);
          else failed.push({ Id: e.Id, ...f, Message: `injected ${f.Code}` });
        }
        if (kept.length === 0) {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ Successful: [], Failed: failed }));
          return;
        }
        body = JSON.stringify({ ...input, Entries: kept });
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
      const upstream = await fetch(target + (req.url ?? '/'), { method: req.method ?? 'POST', headers, body });
      let text = await upstream.text();
      if (isBatch && failed.length > 0 && upstream.ok) {
        const out = JSON.parse(text) as { Successful?: unknown[]; Failed?: unknown[] };
        text = JSON.stringify({ ...out, Failed: [...(out.Failed ?? []), ...failed] });
      }
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/x-amz-json-1.0' }).end(text);
    })().catch((e: unknown) => res.writeHead(502).end(String(e)));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise((done) => server.close(() => done()));
  return proxy;
}

const messages = (job: string, n: number): ChunkMessage[] => Array.from({ length: n }, (_, chunk) => ({ job, chunk }));

let sqs: LocalSqs;
let proxy: Proxy;
let client: SQSClient;
beforeAll(async () => {
  sqs = await startLocalSqs();
  proxy = await startProxy(sqs.endpoint);
  client = new SQSClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
});
afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  await sqs?.close();
});

/** Every message in the queue now, as chunk messages (received, so in flight afterwards). */
async function drain(url: string): Promise<ChunkMessage[]> {
  return (await sqs.receive(url, 1000, 300)).map((m) => parseChunkMessage(m.Body));
}

const byChunk = (a: ChunkMessage, b: ChunkMessage): number => a.chunk - b.chunk;

describe('sqsQueue', () => {
  it('sends chunk messages ten a batch request; each arrives once and parses back', async () => {
    const { queue } = await sqs.createQueue('plain');
    proxy.batches = [];
    proxy.fault = () => undefined;
    const sent = messages('job0000plain', 25);
    await sqsQueue({ client, queueUrl: queue.url }).send(sent);
    expect(proxy.batches.map((b) => b.length).sort((a, b) => b - a)).toEqual([10, 10, 5]);
    expect((await drain(queue.url)).sort(byChunk)).toEqual(sent);
    await sqsQueue({ client, queueUrl: queue.url }).send([]);
    expect(proxy.batches).toHaveLength(3);
  });

  it('resends entries that failed inside a successful batch call; each arrives once', async () => {
    const { queue } = await sqs.createQueue('flaky');
    proxy.batches = [];
    const seen = new Set<string>();
    // Every third message fails with a server-side error the first time it is sent.
    proxy.fault = (body) => {
      if (parseChunkMessage(body).chunk % 3 !== 0 || seen.has(body)) return undefined;
      seen.add(body);
      return { Code: 'ServiceUnavailable', SenderFault: false };
    };
    const sent = messages('job0000flaky', 23);
    await sqsQueue({ client, queueUrl: queue.url, backoffMs: 1 }).send(sent);
    expect(seen.size).toBe(8);
    expect(proxy.batches.length).toBeGreaterThan(3);
    expect(proxy.batches.slice(3).flat().map((b) => parseChunkMessage(b).chunk % 3)).toEqual(Array(8).fill(0));
    expect((await drain(queue.url)).sort(byChunk)).toEqual(sent);
  });

  it('rejects the send when an entry keeps failing, after its attempts', async () => {
    const { queue } = await sqs.createQueue('stuck');
    proxy.batches = [];
    proxy.fault = (body) => (parseChunkMessage(body).chunk === 4 ? { Code: 'InternalError', SenderFault: false } : undefined);
    const send = sqsQueue({ client, queueUrl: queue.url, attempts: 3, backoffMs: 1 }).send(messages('job0000stuck', 12));
    await expect(send).rejects.toThrow(/SQS refused 1 of 12 chunk messages \(InternalError: injected InternalError\)/);
    expect(proxy.batches.flat().filter((b) => parseChunkMessage(b).chunk === 4)).toHaveLength(3);
    expect((await drain(queue.url)).map((m) => m.chunk).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('does not resend a sender fault (it would fail the same way)', async () => {
    const { queue } = await sqs.createQueue('malformed');
    proxy.batches = [];
    proxy.fault = (body) => (parseChunkMessage(body).chunk === 1 ? { Code: 'InvalidMessageContents', SenderFault: true } : undefined);
    await expect(sqsQueue({ client, queueUrl: queue.url, backoffMs: 1 }).send(messages('job0malformed', 3))).rejects.toThrow(/InvalidMessageContents/);
    expect(proxy.batches).toHaveLength(1);
  });

  it('rejects when the queue does not exist', async () => {
    proxy.fault = () => undefined;
    const url = `${sqs.endpoint}/000000000000/never-created`;
    await expect(sqsQueue({ client, queueUrl: url }).send(messages('job0000absent', 2))).rejects.toThrow(/does not exist/);
  });
});
