/**
 * Named ensembles of the registry on the scoring routes: the default ensemble when a request names
 * no models, score or ensemble; ensemble= by name; the chosen models at equal weights otherwise; a
 * weighted Cauchy combination of the members' p-values; refusals naming what exists.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combinePValues } from '@darklens/core';
import type { ScoreResult } from '@darklens/functions';
import { fitsOf, json, post, SHIPPED_MODELS, shippedService, simulatedLenses, type TestService } from '../helpers/service.js';

let dir: string;
let svc: TestService;
/** The default score of the served vae: the members' p-values are those the models report. */
let vaeScore: string;
const lens = simulatedLenses('vortex', 1, 21)[0]!;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darklens-ensemble-'));
  await cp(SHIPPED_MODELS, dir, { recursive: true });
  const reg = JSON.parse(await readFile(join(dir, 'registry.json'), 'utf8')) as { models: Record<string, { default: string }> } & Record<string, unknown>;
  // rbm rolled back to v1, whose graph has the MSE score alone: `ghost` names a score it lacks.
  reg.models.rbm!.default = 'v1';
  vaeScore = (JSON.parse(await readFile(join(dir, 'vae', reg.models.vae!.default, 'calibration.json'), 'utf8')) as { defaultScore?: string }).defaultScore ?? 'mse';
  reg.ensembles = {
    pair: { members: [{ model: 'rbm', score: 'mse', weight: 0.75 }, { model: 'vae', score: vaeScore, weight: 0.25 }], chosenBy: 'by hand, for the test' },
    ghost: { members: [{ model: 'rbm', score: 'sharp', weight: 1 }] },
  };
  reg.defaultEnsemble = 'pair';
  // The model-a set alone, offering the registry's ensembles (its own list named the replaced ones).
  reg.sets = { 'model-a': { ...(reg.sets as Record<string, Record<string, unknown>>)['model-a'], ensembles: undefined, defaultEnsemble: 'pair' } };
  for (const m of Object.keys(reg.models)) if (m.startsWith('lsst-')) delete reg.models[m];
  await writeFile(join(dir, 'registry.json'), JSON.stringify(reg));
  svc = await shippedService({}, dir);
});
afterAll(async () => {
  svc.store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ensembles', () => {
  it('gives the default ensemble to a request that names nothing: its members, weights and weighted combination', async () => {
    const r = await json<ScoreResult>(await post(svc.app, '/v1/score', fitsOf(lens)));
    expect(r.ensemble.name).toBe('pair');
    expect(r.ensemble.members.map((m) => [m.model, m.score, m.weight])).toEqual([['rbm', 'mse', 0.75], ['vae', vaeScore, 0.25]]);
    // Every served model is still shown; the members' p-values are theirs.
    expect(Object.keys(r.models)).toEqual(['dcae', 'vae', 'aae', 'rbm']);
    expect(r.ensemble.members[0]!.pValue).toBe(r.models.rbm!.pValue);
    expect(r.ensemble.pValue).toBe(combinePValues([r.models.rbm!.pValue, r.models.vae!.pValue], 'cauchy', [0.75, 0.25]));
  });

  it('uses the chosen models at equal weights when a request names models, and a named ensemble on request', async () => {
    const some = await json<ScoreResult>(await post(svc.app, '/v1/score?models=dcae,aae', fitsOf(lens)));
    expect(some.ensemble.name).toBeNull();
    expect(some.ensemble.members.map((m) => [m.model, m.weight])).toEqual([['dcae', 1], ['aae', 1]]);
    const named = await json<ScoreResult>(await post(svc.app, '/v1/score?models=dcae&ensemble=pair', fitsOf(lens)));
    expect(named.ensemble.name).toBe('pair');
    expect(Object.keys(named.models)).toEqual(['dcae']);
    expect(named.ensemble.members.map((m) => m.model)).toEqual(['rbm', 'vae']);
  });

  it('refuses an unknown ensemble or one whose member score is not served, naming what exists', async () => {
    const unknown = await json<{ error: { code: string; message: string } }>(await post(svc.app, '/v1/score?ensemble=nope', fitsOf(lens)), 404);
    expect(unknown.error.message).toMatch(/ensemble "nope" is not in the registry; registered: pair, ghost/);
    const ghost = await json<{ error: { code: string; message: string } }>(await post(svc.app, '/v1/score?ensemble=ghost', fitsOf(lens)), 404);
    expect(ghost.error.message).toMatch(/score "sharp" is not calibrated for model rbm; calibrated: mse/);
  });

  it('falls back to equal weights when the default ensemble cannot be served (a rollback left a member without its score)', async () => {
    const reg = JSON.parse(await readFile(join(dir, 'registry.json'), 'utf8')) as Record<string, unknown> & { sets: Record<string, { defaultEnsemble?: string }> };
    reg.sets['model-a']!.defaultEnsemble = 'ghost';
    const other = await mkdtemp(join(tmpdir(), 'darklens-ensemble-ghost-'));
    await cp(dir, other, { recursive: true });
    await writeFile(join(other, 'registry.json'), JSON.stringify({ ...reg, defaultEnsemble: 'ghost' }));
    const ghostly = await shippedService({}, other);
    const r = await json<ScoreResult>(await post(ghostly.app, '/v1/score', fitsOf(lens)));
    expect(r.ensemble.name).toBeNull();
    expect(r.ensemble.members).toHaveLength(4);
    ghostly.store.close();
    await rm(other, { recursive: true, force: true });
  });

  it('lists the ensembles with the models', async () => {
    const list = await json<{ ensembles: Record<string, { members: unknown[]; chosenBy?: string }>; defaultEnsemble: string | null }>(await svc.app.request('/v1/models'));
    expect(list.defaultEnsemble).toBe('pair');
    expect(Object.keys(list.ensembles)).toEqual(['pair', 'ghost']);
    expect(list.ensembles.pair!.chosenBy).toBe('by hand, for the test');
  });
});
