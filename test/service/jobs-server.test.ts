/**
 * Local jobs on the real Node server (the built `darklens serve`): a job accepted before kill -9
 * finishes after a restart on the same job folder, every cutout scored exactly once and in order,
 * with the scores the batch route gives.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStatus } from '@darklens/functions';
import { startServerProcess, type ServerProcess } from '../helpers/server.js';
import { npyStack, simulatedLenses } from '../helpers/service.js';

const started: ServerProcess[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop('SIGKILL');
});

async function serve(jobsDir: string): Promise<ServerProcess> {
  const s = await startServerProcess(['--quiet'], { DARKLENS_JOBS_DIR: jobsDir });
  started.push(s);
  return s;
}

async function status(url: string, id: string): Promise<JobStatus> {
  const r = await fetch(`${url}/v1/jobs/${id}`);
  expect(r.status).toBe(200);
  return (await r.json()) as JobStatus;
}

/** Polls until `done(status)`, for at most `ms` (generous: CI machines are busy). */
async function until(url: string, id: string, done: (s: JobStatus) => boolean, ms = 240_000): Promise<JobStatus> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await status(url, id);
    if (done(s)) return s;
    if (Date.now() > end) throw new Error(`job ${id} still ${s.state} after ${ms} ms: ${JSON.stringify(s.chunks)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

type Line = { index: number; name: string; models: Record<string, { loss: number }>; ensemble: { pValue: number } };

async function ndjson(r: Response): Promise<Line[]> {
  expect(r.status).toBe(200);
  return (await r.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
}

describe('local jobs survive kill -9', () => {
  it('finishes after a restart with every cutout scored exactly once, in order', { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'darklens-jobs-kill-'));
    const n = 3000;
    const stack = npyStack([...simulatedLenses('no_sub', 8), ...simulatedLenses('vortex', 8, 3)], n);
    let server = await serve(dir);
    const accepted = (await (await fetch(`${server.url}/v1/jobs?chunk=25`, { method: 'POST', body: stack })).json()) as JobStatus;
    expect(accepted.chunks.total).toBe(n / 25);

    // Killed once some chunks are done and others not: mid-job.
    const mid = await until(server.url, accepted.id, (s) => s.chunks.done >= 2);
    await server.stop('SIGKILL');
    expect(mid.chunks.done).toBeLessThan(mid.chunks.total);

    server = await serve(dir);
    expect(server.logs.some((l) => l.msg === 'jobs resumed')).toBe(true);
    const done = await until(server.url, accepted.id, (s) => s.state === 'succeeded');
    expect(done.counts).toMatchObject({ items: n, scored: n, failed: 0 });

    const lines = await ndjson(await fetch(`${server.url}/v1/jobs/${accepted.id}/results`));
    expect(lines.map((l) => l.index)).toEqual([...Array(n).keys()]);
    expect(lines.map((l) => l.name)).toEqual([...Array(n).keys()].map((i) => `body[${i}]`));

    // The same scores as one synchronous batch of the first 500.
    const batch = await ndjson(await fetch(`${server.url}/v1/score/batch`, { method: 'POST', body: npyStack([...simulatedLenses('no_sub', 8), ...simulatedLenses('vortex', 8, 3)], 500) }));
    for (const [i, b] of batch.entries()) {
      expect(lines[i]!.ensemble.pValue).toBeCloseTo(b.ensemble.pValue, 9);
      for (const role of Object.keys(b.models)) expect(lines[i]!.models[role]!.loss).toBeCloseTo(b.models[role]!.loss, 6);
    }
  });
});
