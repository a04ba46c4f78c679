/**
 * /v1/score/batch?drift=true in-process on the shipped models: one last NDJSON line with the drift
 * summary; quiet on smooth lenses of the default set's own kind, loud on LSST-like lenses forced onto
 * it and on much noisier lenses; nothing changes without the parameter; /v1/score refuses it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRng, type Cutout, type DriftSummary } from '@darklens/core';
import { DriftSummarySchema, type BatchLine } from '@darklens/functions';
import { fitsOf, json, npyStack, post, shippedService, simulatedLenses, type TestService } from '../helpers/service.js';

const N = 40;
let svc: TestService;
let smooth: Cutout[];

beforeAll(async () => {
  svc = await shippedService();
  smooth = simulatedLenses('no_sub', N, 11);
});
afterAll(() => svc.store.close());

/** The cutout lines and the drift line of a batch answer. */
async function batch(body: BodyInit | Uint8Array, query: string): Promise<{ lines: BatchLine[]; drift: DriftSummary[] | undefined }> {
  const r = await post(svc.app, `/v1/score/batch${query}`, body);
  const text = await r.text();
  expect(r.status, text.slice(0, 500)).toBe(200);
  const all = text.trimEnd().split('\n').map((l) => JSON.parse(l) as BatchLine | { drift: DriftSummary[] });
  const last = all.at(-1)!;
  if ('drift' in last) return { lines: all.slice(0, -1) as BatchLine[], drift: last.drift.map((s) => DriftSummarySchema.parse(s)) };
  return { lines: all as BatchLine[], drift: undefined };
}

/** A tar of FITS files (the pixel scale in each header). */
function form(cutouts: Cutout[]): FormData {
  const f = new FormData();
  cutouts.forEach((c, i) => f.append(`f${i}`, new Blob([fitsOf(c) as Uint8Array<ArrayBuffer>]), `c${i}.fits`));
  return f;
}

const scoreWarnings = (s: DriftSummary): string[] => s.warnings.filter((w) => w.includes('score distribution'));

describe('POST /v1/score/batch?drift=true', () => {
  it('adds nothing without drift=true, and one last line with it', async () => {
    const plain = await batch(npyStack(smooth, N), '');
    expect(plain.drift).toBeUndefined();
    expect(plain.lines).toHaveLength(N);
    const { lines, drift } = await batch(npyStack(smooth, N), '?drift=true');
    expect(lines.map((l) => l.index)).toEqual([...Array(N).keys()]);
    expect(drift).toHaveLength(1);
    expect(drift![0]!.cutouts).toBe(N);
  });

  it('smooth lenses of the default set\'s own kind: no warning', async () => {
    const { drift } = await batch(form(smooth), '?drift=true');
    const [s] = drift!;
    expect(s!.set).toBe(svc.store.current().defaultSet);
    expect(s!.input.pixelScales).toEqual([{ pixelScale: s!.domain!.pixelScale, assumed: false, count: N }]);
    expect(s!.models.length).toBeGreaterThan(0);
    for (const m of s!.models) expect(m.tested).toBe(true);
    expect(scoreWarnings(s!)).toEqual([]);
    expect(s!.warnings).toEqual([]);
    expect(s!.drifted).toBe(false);
  });

  it('LSST-like lenses forced onto the default set (survey=model-a): pixel scale, domain and scores warn', async () => {
    const lsst = simulatedLenses('no_sub', 30, 12, 'lsst');
    const { lines, drift } = await batch(form(lsst), '?drift=true&survey=model-a');
    const [s] = drift!;
    expect(s!.set).toBe('model-a');
    expect(s!.outOfDomain.count).toBe(lines.filter((l) => 'domain' in l && l.domain.outOfDomain).length);
    expect(s!.outOfDomain.fraction).toBeGreaterThan(0.5);
    expect(s!.warnings.some((w) => w.startsWith(`pixel scale ${lsst[0]!.pixelScale}"/px`))).toBe(true);
    expect(s!.warnings.some((w) => /of cutouts \(\d+\) are out of the models' domain/.test(w))).toBe(true);
    expect(scoreWarnings(s!).length).toBeGreaterThan(0);
    expect(s!.drifted).toBe(true);
  });

  it('much noisier lenses: the noise and the scores warn', async () => {
    const rng = new SeededRng(5);
    const noisy = smooth.map((c) => {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of c.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      // Gaussian noise of 8% of the image range: several times the calibration lenses' noise (peak SNR 20).
      const data = Float32Array.from(c.data, (v) => v + 0.08 * (hi - lo) * Math.sqrt(-2 * Math.log(1 - rng.uniform())) * Math.cos(2 * Math.PI * rng.uniform()));
      return { ...c, data };
    });
    const { drift } = await batch(npyStack(noisy, N), '?drift=true');
    const [s] = drift!;
    expect(s!.input.noise.above).toBeGreaterThan(0.5);
    expect(s!.warnings).toContain(`noise level above the calibration range for ${Math.round(100 * s!.input.noise.above)}% of cutouts`);
    expect(scoreWarnings(s!).length).toBeGreaterThan(0);
  });

  it('counts failed cutouts; refuses a bad value; /v1/score refuses drift with a 400 about batches', async () => {
    const f = form(smooth.slice(0, 3));
    f.append('bad', new Blob(['not a cutout']), 'bad.txt');
    f.append('drift', 'true');
    const { drift } = await batch(f, '');
    expect(drift![0]!.failed).toBe(1);
    expect(drift![0]!.cutouts).toBe(3);
    const bad = await json<{ error: { code: string; message: string } }>(await post(svc.app, '/v1/score/batch?drift=maybe', npyStack(smooth, 2)), 400);
    expect(bad.error.message).toMatch(/drift=maybe; accepted: true or false/);
    const one = await json<{ error: { code: string; message: string } }>(await post(svc.app, '/v1/score?drift=true', fitsOf(smooth[0]!)), 400);
    expect(one.error.code).toBe('invalid_argument');
    expect(one.error.message).toMatch(/drift is for batches/);
  });

  it('is documented in the OpenAPI document of the batch route only', async () => {
    const doc = (await (await svc.app.request('/openapi.json')).json()) as { paths: Record<string, { post: { description: string; parameters: { name: string }[] } }> };
    expect(doc.paths['/v1/score/batch']!.post.parameters.map((p) => p.name)).toContain('drift');
    expect(doc.paths['/v1/score/batch']!.post.description).toMatch(/drift=true/);
    expect(doc.paths['/v1/score']!.post.parameters.map((p) => p.name)).not.toContain('drift');
  });
});
