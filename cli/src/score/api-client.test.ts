/**
 * The client against a real HTTP server on 127.0.0.1 that answers from a script: retries of a busy
 * service with its Retry-After, the key in the header and never in a message, and what an
 * unreachable URL says. Waits are recorded instead of slept.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DarklensError } from '@darklens/core';
import { ApiClient, retryAfterMs, serviceUrl } from './api-client.js';

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

/** A server giving `answers` in turn (the last one from then on); resolves with its URL and the requests it saw. */
async function scripted(answers: Answer[]): Promise<{ url: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  server = createServer((req, res) => {
    seen.push(req);
    const a = answers[Math.min(seen.length, answers.length) - 1]!;
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
    res.end(a.body ?? '{}');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function recordingClient(url: string, key?: string, retries = 6): { client: ApiClient; waits: number[] } {
  const waits: number[] = [];
  const client = new ApiClient({ url, ...(key === undefined ? {} : { key }), retries, sleep: (ms) => (waits.push(ms), Promise.resolve()) });
  return { client, waits };
}

const busy = (status: number, retryAfter?: string): Answer => ({ status, ...(retryAfter === undefined ? {} : { headers: { 'retry-after': retryAfter } }), body: '{"error":{"code":"rate_limited","message":"slow down"}}' });

async function rejection(p: Promise<unknown>): Promise<DarklensError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(DarklensError);
  return e as DarklensError;
}

describe('the API client', () => {
  it('retries a busy service, waiting what Retry-After says, else backing off', async () => {
    const { url, seen } = await scripted([busy(429, '2'), busy(503), busy(502), { status: 200, body: '{"ok":true}' }]);
    const { client, waits } = recordingClient(url);
    expect(await client.json<{ ok: boolean }>('GET', '/v1/models', { what: 'reading its models' })).toEqual({ ok: true });
    expect(seen).toHaveLength(4);
    expect(waits).toEqual([2000, 1000, 2000]);
  });

  it('gives up after its retries, saying the service stayed busy', async () => {
    const { url, seen } = await scripted([busy(429, '1')]);
    const { client, waits } = recordingClient(url, undefined, 2);
    const e = await rejection(client.request('POST', '/v1/jobs', { what: 'sending a job', body: 'x' }));
    expect(e.code).toBe('rate_limited');
    expect(e.message).toMatch(/stayed busy \(429\) while sending a job, 3 tries: slow down/);
    expect(seen).toHaveLength(3);
    expect(waits).toEqual([1000, 1000]);
  });

  it('sends the key as a bearer token and never quotes it; a refusal says which option holds it', async () => {
    const refused = { status: 401, body: '{"error":{"code":"unauthorized","message":"jobs needs an API key"}}' };
    const { url, seen } = await scripted([refused]);
    const withKey = await rejection(recordingClient(url, 'k-Secret-123').client.request('GET', '/v1/jobs/0', { what: 'checking its jobs API' }));
    expect(seen[0]!.headers.authorization).toBe('Bearer k-Secret-123');
    expect(withKey.code).toBe('unauthorized');
    expect(withKey.message).toMatch(/refused the API key given \(--api-key or DARKLENS_API_KEY\)/);
    expect(withKey.message).not.toContain('k-Secret-123');
    const without = await rejection(recordingClient(url).client.request('GET', '/v1/jobs/0', { what: 'checking its jobs API' }));
    expect(seen[1]!.headers.authorization).toBeUndefined();
    expect(without.message).toMatch(/needs an API key: pass --api-key KEY or set DARKLENS_API_KEY/);
  });

  it('passes the service\'s own refusal on with its code (413: too_large), without retrying it', async () => {
    const { url, seen } = await scripted([{ status: 413, body: '{"error":{"code":"too_large","message":"the body is over 1 MiB"}}' }]);
    const e = await rejection(recordingClient(url).client.request('POST', '/v1/jobs', { what: 'sending a job', body: 'x' }));
    expect([e.code, seen.length]).toEqual(['too_large', 1]);
    expect(e.message).toContain('the body is over 1 MiB');
  });

  it('names the URL it cannot reach', async () => {
    const { url } = await scripted([{ status: 200 }]);
    await new Promise((r) => server!.close(r));
    const { client, waits } = recordingClient(url, undefined, 1);
    const e = await rejection(client.json('GET', '/v1/models', { what: 'reading its models' }));
    expect(e.code).toBe('unavailable');
    expect(e.message).toContain(`cannot reach the darklens service at ${url} (ECONNREFUSED) while reading its models`);
    expect(waits).toEqual([500]);
  });

  it('takes http(s) base URLs only, without credentials', () => {
    expect(serviceUrl('http://127.0.0.1:8787/')).toBe('http://127.0.0.1:8787');
    expect(serviceUrl('https://lenses.example.org/prod/?x=1')).toBe('https://lenses.example.org/prod');
    expect(() => serviceUrl('ftp://x')).toThrow(/only http and https/);
    expect(() => serviceUrl('localhost:8787')).toThrow(/only http and https/);
    expect(() => serviceUrl('nope')).toThrow(/is not a URL/);
    expect(() => serviceUrl('http://me:pw@x.org')).toThrow(/--api-key or DARKLENS_API_KEY/);
  });

  it('reads Retry-After in seconds or as a date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:05 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'))).toBe(5000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
