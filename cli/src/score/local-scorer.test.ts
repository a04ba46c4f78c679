import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DarklensError, sliceNpyStack } from '@darklens/core';
import { DEFAULT_CONFIG, type BatchLine } from '@darklens/functions';
import { blob, fitsOf, npyStack, post, shippedService, simulatedLenses, SHIPPED_MODELS, type TestService } from '../../../test/helpers/service.js';
import { openLocalScorer } from './local-scorer.js';
import type { Piece, Scorer } from './scorer.js';

const lenses = simulatedLenses('no_sub', 3, 11);
const fits = fitsOf(lenses[0]!);
const slice = sliceNpyStack(npyStack(lenses, 10), 4)[1]!; // images 4..7
const broken = fits.slice(0, 3000);

let svc: TestService;
let scorer: Scorer;
beforeAll(async () => {
  svc = await shippedService();
  // Inference on the main thread: the worker pool needs the built worker script.
  scorer = await openLocalScorer({ registry: SHIPPED_MODELS, workers: 0, query: { models: 'dcae,rbm' }, limits: DEFAULT_CONFIG.limits });
});
afterAll(async () => {
  svc.store.close();
  await scorer.close();
});

const withoutPlace = (l: BatchLine): Omit<BatchLine, 'index' | 'name'> => {
  const { index: _i, name: _n, ...rest } = l;
  return rest;
};

describe('the local scorer', () => {
  it('gives the batch route\'s lines for the same cutouts, named by their place in the inputs', async () => {
    const pieces: Piece[] = [
      { name: 'a.fits', count: 1, bytes: fits },
      { name: 'stack.npy', first: slice.first, count: slice.count, bytes: slice.bytes },
      { name: 'broken.fits', count: 1, bytes: broken },
    ];
    const lines = await scorer.score(pieces, 100);
    expect(lines.map((l) => [l.index, l.name])).toEqual([[100, 'a.fits'], [101, 'stack.npy[4]'], [102, 'stack.npy[5]'], [103, 'stack.npy[6]'], [104, 'stack.npy[7]'], [105, 'broken.fits']]);

    const form = new FormData();
    form.append('a', blob(fits), 'a.fits');
    form.append('b', blob(slice.bytes), 'slice.npy');
    form.append('c', blob(broken), 'broken.fits');
    const text = await (await post(svc.app, '/v1/score/batch?models=dcae,rbm', form)).text();
    const route = text.trimEnd().split('\n').map((l) => JSON.parse(l) as BatchLine);
    expect(lines.map(withoutPlace)).toEqual(route.map(withoutPlace));
    expect(lines[5]).toMatchObject({ error: { code: 'truncated' } });
    expect(scorer.roles).toEqual(['dcae', 'rbm']);
  });

  it('gives every cutout of an unreadable piece its error line', async () => {
    const lines = await scorer.score([{ name: 'gone.npy', first: 8, count: 2, error: new DarklensError('not_found', 'gone.npy does not exist (any more)') }], 0);
    expect(lines).toEqual([
      { index: 0, name: 'gone.npy[8]', error: { code: 'not_found', message: 'gone.npy does not exist (any more)' } },
      { index: 1, name: 'gone.npy[9]', error: { code: 'not_found', message: 'gone.npy does not exist (any more)' } },
    ]);
  });

  it('refuses options the service refuses, before any scoring', async () => {
    await expect(openLocalScorer({ registry: SHIPPED_MODELS, workers: 0, query: { models: 'nope' }, limits: DEFAULT_CONFIG.limits })).rejects.toThrow(/nope/);
  });
});
