/**
 * A survey-scale local job: 100,000 cutouts (a uint8 NPY stack, 410 MB) through the real Node server,
 * every one accounted for in input order. One model (dcae) keeps its CPU time to about a minute; the
 * four-model figure (wall time, cutouts/s, memory, disk) is the benchmark's (`npm run bench -- jobs`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npyHeader } from '@darklens/core';
import type { JobStatus } from '@darklens/functions';
import { startServerProcess, type ServerProcess } from '../helpers/server.js';
import { simulatedLenses } from '../helpers/service.js';

const N = 100_000;

/** N images of 64x64 as uint8 (0-255 of each lens's range), going round a few simulated lenses. */
function uint8Stack(n: number): Uint8Array<ArrayBuffer> {
  const lenses = [...simulatedLenses('no_sub', 6), ...simulatedLenses('spherical', 5, 4)];
  const { width, height } = lenses[0]!;
  const images = lenses.map((l) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of l.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return Uint8Array.from(l.data, (v) => Math.round((255 * (v - lo)) / (hi - lo)));
  });
  const head = npyHeader([n, height, width], '|u1');
  const out = new Uint8Array(head.length + n * width * height);
  out.set(head);
  for (let i = 0; i < n; i++) out.set(images[i % images.length]!, head.length + i * width * height);
  return out;
}

let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop('SIGKILL');
});

describe('a 100,000-cutout local job', () => {
  it('completes with every cutout scored once, in order', { timeout: 900_000 }, async () => {
    server = await startServerProcess(['--quiet'], { DARKLENS_JOBS_DIR: mkdtempSync(join(tmpdir(), 'darklens-jobs-100k-')) });
    const r = await fetch(`${server.url}/v1/jobs?models=dcae&chunk=2000`, { method: 'POST', body: uint8Stack(N) });
    expect(r.status).toBe(202);
    const accepted = (await r.json()) as JobStatus;
    expect(accepted).toMatchObject({ items: N, chunks: { total: N / 2000 } });
    let s = accepted;
    while (s.state !== 'succeeded') {
      await new Promise((done) => setTimeout(done, 250));
      s = (await (await fetch(`${server.url}/v1/jobs/${accepted.id}`)).json()) as JobStatus;
    }
    expect(s.counts).toMatchObject({ items: N, scored: N, failed: 0 });

    // Streamed back in input order, each image once.
    const res = await fetch(`${server.url}/v1/jobs/${accepted.id}/results`);
    expect(res.headers.get('x-darklens-complete')).toBe('true');
    let expected = 0;
    let buffered = '';
    const decoder = new TextDecoder();
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const l = JSON.parse(line) as { index: number; name: string; models: { dcae: { loss: number } } };
        expect(l.index).toBe(expected);
        expect(l.name).toBe(`body[${expected}]`);
        expect(Number.isFinite(l.models.dcae.loss)).toBe(true);
        expected++;
      }
    }
    expect(buffered).toBe('');
    expect(expected).toBe(N);
  });
});
