import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDarklensError, readPng, SCORE_NAMES } from '@darklens/core';
import { resolveSpec } from '../simulate/presets.js';
import { simulateToFiles } from '../simulate/output.js';
import { train } from '../train/train.js';
import { sensitivity } from './sensitivity.js';

let dir: string;
const quiet = { log: (): void => undefined, backend: 'wasm' as const };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'darklens-sens-'));
  await simulateToFiles({ spec: resolveSpec('model-a'), klass: 'no_sub', count: 12, seed: 3, outDir: dir, name: 'train', threads: 0 });
  await train({ dataPath: join(dir, 'train.npy'), model: 'rbm', epochs: 1, batchSize: 4, checkpointDir: join(dir, 'rbm'), ...quiet });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sensitivity', () => {
  it('scores the same lenses at each f_sub and writes the table, JSON and plot', async () => {
    const r = await sensitivity({ checkpoints: [{ name: 'rbm', dir: join(dir, 'rbm') }], spec: resolveSpec('model-a'), fSubs: [0.05, 0.25], count: 6, seed: 2, outDir: join(dir, 's'), threads: 0, ...quiet });
    // One row per f_sub and score of the model's graph.
    expect(r.rows.filter((x) => x.score === 'mse').map((x) => [x.model, x.fSub])).toEqual([
      ['rbm', 0.05],
      ['rbm', 0.25],
    ]);
    expect(new Set(r.rows.map((x) => x.score))).toEqual(new Set(SCORE_NAMES));
    for (const row of r.rows) for (const a of [row.aucPooled, row.aucSpherical, row.aucVortex]) expect(a >= 0 && a <= 1).toBe(true);
    // Same lenses and subhalo positions at both f_sub; masses scale as sqrt(f_sub).
    const lines = (f: number): { source: unknown; subhalos: { x: number; y: number; thetaE: number }[]; fSub: number }[] =>
      readFileSync(join(dir, 's', 'data', `fsub-${f}`, 'spherical.params.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { source: unknown; subhalos: { x: number; y: number; thetaE: number }[]; fSub: number });
    const [lo, hi] = [lines(0.05), lines(0.25)];
    expect(lo).toHaveLength(6);
    expect(hi[3]!.source).toEqual(lo[3]!.source);
    expect(hi[3]!.subhalos.map((s) => [s.x, s.y])).toEqual(lo[3]!.subhalos.map((s) => [s.x, s.y]));
    expect(hi[3]!.subhalos[0]!.thetaE / lo[3]!.subhalos[0]!.thetaE).toBeCloseTo(Math.sqrt(5), 6);
    const md = readFileSync(r.files.markdown, 'utf8');
    expect(md).toContain('| model | score | f_sub 0.05 | f_sub 0.25 |');
    expect(md).toContain(`| rbm | mse | ${r.rows[0]!.aucPooled.toFixed(3)} (`);
    expect(JSON.parse(readFileSync(r.files.json, 'utf8'))).toMatchObject({ tool: 'darklens sensitivity', fSubs: [0.05, 0.25], count: 6 });
    const png = readPng(new Uint8Array(readFileSync(r.files.plot)));
    expect([png.width, png.height]).toEqual([640, 480]);
  });

  it('rejects bad requests before simulating anything', async () => {
    const bad = async (o: Partial<Parameters<typeof sensitivity>[0]>): Promise<string> => {
      const e = await sensitivity({ checkpoints: [{ name: 'rbm', dir: join(dir, 'rbm') }], spec: resolveSpec('model-a'), outDir: join(dir, 'bad'), ...quiet, ...o }).then(
        () => undefined,
        (err: unknown) => err,
      );
      return isDarklensError(e) ? e.code : String(e);
    };
    expect(await bad({ checkpoints: [] })).toBe('invalid_argument');
    expect(await bad({ fSubs: [0] })).toBe('invalid_argument');
    expect(await bad({ fSubs: [] })).toBe('invalid_argument');
    expect(await bad({ count: 1 })).toBe('invalid_argument');
    expect(await bad({ checkpoints: [{ name: 'x', dir: join(dir, 'none') }] })).toBe('not_found');
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });
});
