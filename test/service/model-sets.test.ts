/**
 * Model sets and the out-of-domain guard on the scoring routes: each cutout is routed to the set of
 * its domain (survey=, else its FITS header, else the default set) and the answer names the set and
 * why; a cutout unlike its set's data is "out of domain" with its reasons and is never flagged.
 * The shipped registry's sets (model-a and lsst, with their measured guard ranges) plus a third,
 * `wide` (model-a's 0.1"/px rbm and vae declared for 0.7" seeing, no guard ranges), written here.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFits, type Cutout } from '@darklens/core';
import { createService, DEFAULT_CONFIG, type BatchLine, type LogRecord, type ScoreResult } from '@darklens/functions';
import { folderSource, ortNodeEngine } from '@darklens/functions/node';
import { blob, fitsOf, json, npyStack, post, SHIPPED_MODELS, shippedService, simulatedLenses, type TestService } from '../helpers/service.js';

let dir: string;
let svc: TestService;
const own = simulatedLenses('no_sub', 4, 31);
const lsst = simulatedLenses('no_sub', 6, 32, 'lsst');

function fitsWithPsf(c: Cutout, psfFwhm: number, pixelScale = c.pixelScale!): Uint8Array {
  return writeFits({ width: c.width, height: c.height, data: c.data }, { pixelScale, cards: { PSFFWHM: psfFwhm } });
}

async function batchLines(r: Response): Promise<BatchLine[]> {
  const text = await r.text();
  expect(r.status, text.slice(0, 500)).toBe(200);
  return text.trimEnd().split('\n').map((l) => JSON.parse(l) as BatchLine);
}
const scored = (l: BatchLine): ScoreResult => {
  expect('error' in l ? l.error : null).toBeNull();
  return l as unknown as ScoreResult;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darklens-sets-'));
  await cp(SHIPPED_MODELS, dir, { recursive: true });
  const reg = JSON.parse(await readFile(join(dir, 'registry.json'), 'utf8')) as Record<string, unknown> & { sets: Record<string, unknown> };
  expect(Object.keys(reg.sets), 'the shipped registry has the model-a set').toContain('model-a');
  reg.sets.wide = { domain: { pixelScale: 0.1, psfFwhm: 0.7, survey: 'Wide' }, models: { rbm: 'rbm', vae: 'vae' }, aliases: ['ground'] };
  await writeFile(join(dir, 'registry.json'), JSON.stringify(reg));
  svc = await shippedService({}, dir);
});
afterAll(async () => {
  svc.store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('model sets', () => {
  it('lists the sets, their domains and the default set', async () => {
    const list = await json<{ sets: { name: string; default: boolean; aliases: string[]; domain: { pixelScale: number; psfFwhm: number; guard?: { images: number } }; models: Record<string, string> }[]; defaultSet: string }>(await svc.app.request('/v1/models'));
    expect(list.defaultSet).toBe('model-a');
    expect(list.sets.map((s) => [s.name, s.default])).toEqual([['model-a', true], ['lsst', false], ['wide', false]]);
    expect(list.sets[0]!.domain.guard!.images).toBeGreaterThanOrEqual(1000);
    expect(list.sets[1]!.models).toEqual({ dcae: 'lsst-dcae', vae: 'lsst-vae', aae: 'lsst-aae', rbm: 'lsst-rbm' });
    expect(list.sets[2]!.models).toEqual({ rbm: 'rbm', vae: 'vae' });
  });

  it('routes by the header: pixel scale and PSF pick the nearest set, and the answer says so', async () => {
    const a = await json<ScoreResult>(await post(svc.app, '/v1/score', fitsOf(own[0]!)));
    expect(a.set).toMatchObject({ name: 'model-a', routedBy: 'header' });
    expect(a.domain.outOfDomain).toBe(false);
    expect(a.verdict).toBe(a.ensemble.flagged ? 'anomalous' : 'smooth');
    expect(Object.values(a.models).map((m) => m.model)).toEqual(['dcae', 'vae', 'aae', 'rbm']);
    const w = await json<ScoreResult>(await post(svc.app, '/v1/score', fitsWithPsf(own[0]!, 0.7)));
    expect(w.set).toMatchObject({ name: 'wide', routedBy: 'header' });
    expect(w.input.psfFwhm).toBe(0.7);
    expect(Object.keys(w.models)).toEqual(['rbm', 'vae']);
    expect(w.set.note).toMatch(/PSF FWHM 0.7" from the header: nearest set wide/);
  });

  it('takes survey= by name or alias over the header, and refuses an unknown one listing the sets', async () => {
    const r = await json<ScoreResult>(await post(svc.app, '/v1/score?survey=GROUND', fitsOf(own[0]!)));
    expect(r.set).toMatchObject({ name: 'wide', routedBy: 'survey' });
    const bad = await json<{ error: { code: string; message: string } }>(await post(svc.app, '/v1/score?survey=euclid', fitsOf(own[0]!)), 404);
    expect(bad.error.message).toMatch(/model-a\|hst.*wide\|ground/);
    const role = await json<{ error: { code: string; message: string } }>(await post(svc.app, '/v1/score?survey=wide&models=dcae', fitsOf(own[0]!)), 404);
    expect(role.error.message).toMatch(/"dcae" is not served in set wide; served: rbm, vae/);
  });

  it('sends an LSST cutout with a header to the LSST set, and never lets models of another survey give it a verdict', async () => {
    const byHeader = await json<ScoreResult>(await post(svc.app, '/v1/score', fitsWithPsf(lsst[0]!, 0.7)));
    expect(byHeader.set).toMatchObject({ name: 'lsst', routedBy: 'header' });
    expect(byHeader.domain.outOfDomain).toBe(false);
    expect(Object.values(byHeader.models).map((m) => m.model)).toEqual(['lsst-dcae', 'lsst-vae', 'lsst-aae', 'lsst-rbm']);
    expect(byHeader.ensemble.name).toBe('lsst-default');
    // Forced onto model-a: pixel scale and PSF both disagree; onto `wide` (no guard ranges): the pixel scale.
    const forced = await json<ScoreResult>(await post(svc.app, '/v1/score?survey=model-a', fitsWithPsf(lsst[0]!, 0.7)));
    expect(forced.domain.reasons.map((r) => r.check)).toEqual(expect.arrayContaining(['pixel-scale', 'psf']));
    const wide = await json<ScoreResult>(await post(svc.app, '/v1/score?survey=wide', fitsWithPsf(lsst[0]!, 0.7)));
    expect(wide.domain.reasons[0]!.check).toBe('pixel-scale');
    for (const r of [forced, wide]) {
      expect(r.domain.outOfDomain).toBe(true);
      expect(r.verdict).toBe('out of domain');
      expect(r.ensemble.flagged).toBe(false);
      for (const m of Object.values(r.models)) expect(m.flagged).toBe(false);
    }
  });

  it('recognises LSST cutouts with no header from the image itself (the default set\'s guard ranges)', async () => {
    const lines = (await batchLines(await post(svc.app, '/v1/score/batch', npyStack(lsst, lsst.length)))).map(scored);
    for (const l of lines) {
      expect(l.set).toMatchObject({ name: 'model-a', routedBy: 'default' });
      expect(l.set.note).toMatch(/states no pixel scale/);
      expect(l.verdict).toBe('out of domain');
      expect(l.domain.reasons.length).toBeGreaterThan(0);
    }
    // The same set's own lenses, also without a header, are in its domain.
    const mine = (await batchLines(await post(svc.app, '/v1/score/batch', npyStack(own, own.length)))).map(scored);
    expect(mine.map((l) => l.domain.outOfDomain)).toEqual(own.map(() => false));
  });

  it('routes each cutout of a batch on its own; a model its set lacks fails that line only; metrics count out-of-domain cutouts', async () => {
    const form = new FormData();
    form.append('a', blob(fitsOf(own[1]!)), 'a.fits');
    form.append('b', blob(fitsWithPsf(own[1]!, 0.7)), 'b.fits');
    form.append('c', blob(fitsWithPsf(lsst[1]!, 0.7)), 'c.fits');
    const lines = await batchLines(await post(svc.app, '/v1/score/batch?models=dcae', form));
    expect(scored(lines[0]!).set.name).toBe('model-a');
    expect('error' in lines[1]! && lines[1].error.code).toBe('not_found');
    expect(scored(lines[2]!).set.name).toBe('lsst');
    const all = await batchLines(await post(svc.app, '/v1/score/batch?models=rbm&survey=wide', form));
    expect(all.map((l) => scored(l).set.name)).toEqual(['wide', 'wide', 'wide']);
    expect(all.map((l) => scored(l).verdict === 'out of domain')).toEqual([false, false, true]);
    const metrics = await (await svc.app.request('/metrics')).text();
    expect(metrics).toMatch(/darklens_cutouts_total\{outcome="out_of_domain"\} [1-9]/);
  });

  it('serves the sets of the models it serves: with only LSST models, the lsst set is the default', async () => {
    const logs: LogRecord[] = [];
    const only = createService({ source: folderSource(dir), engine: ortNodeEngine(), config: DEFAULT_CONFIG, log: (r) => logs.push(r), models: ['lsst-rbm', 'lsst-vae'] });
    await only.ready;
    try {
      const list = await json<{ sets: { name: string; models: Record<string, string> }[]; defaultSet: string }>(await only.app.request('/v1/models'));
      expect(list.sets.map((s) => [s.name, s.models])).toEqual([['lsst', { vae: 'lsst-vae', rbm: 'lsst-rbm' }]]);
      expect(list.defaultSet).toBe('lsst');
      const r = await json<ScoreResult>(await post(only.app, '/v1/score', npyStack(lsst.slice(0, 1), 1)));
      expect(r.set).toMatchObject({ name: 'lsst', routedBy: 'default' });
      expect(r.domain.outOfDomain).toBe(false);
    } finally {
      only.store.close();
    }
  });
});
