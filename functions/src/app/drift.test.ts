import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from '@hono/zod-openapi';
import { interpolatedQuantile, SeededRng, type DriftLine, type DriftSummary } from '@darklens/core';
import { folderSource } from '../node/fs-source.js';
import { DriftSummarySchema } from './drift-schema.js';
import { DriftWatch } from './drift.js';
import { ModelStore, type ModelSet } from './model-store.js';

// The schema and core's type describe the same object, both ways.
type Parsed = z.infer<typeof DriftSummarySchema>;
const _toSchema = (s: DriftSummary): Parsed => s;
const _fromSchema = (s: Parsed): DriftSummary => s;
void _toSchema;
void _fromSchema;

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
let store: ModelStore;
let set: ModelSet;

beforeAll(async () => {
  // Lazy sessions: only the registry and calibrations load; no model runs here.
  store = new ModelStore(folderSource(MODELS), { name: 'none', createSession: () => Promise.reject(new Error('no inference in this test')) }, { lazySessions: true });
  set = await store.reload();
});
afterAll(() => store.close());

/** Lines of set `name` whose scores are drawn from its models' calibration scores, plus `shift` IQRs. */
function lines(name: string, n: number, seed: number, shift = 0): DriftLine[] {
  const rng = new SeededRng(seed);
  const roles = Object.entries(set.set(name).models).map(([role, model]) => {
    const m = set.model(model);
    const sorted = m.calibrator().reference.sorted;
    return { role, model, score: m.calibration.defaultScore, sorted, iqr: interpolatedQuantile(sorted, 0.75) - interpolatedQuantile(sorted, 0.25) };
  });
  const range = set.set(name).domain.guard!.stats.noise!;
  return Array.from({ length: n }, () => ({
    set: { name },
    input: { width: 64, height: 64, pixelScale: null, assumedPixelScale: true, masked: 0 },
    domain: { outOfDomain: false, stats: { noise: rng.range(range[0], range[1]) } },
    models: Object.fromEntries(roles.map((r) => [r.role, { model: r.model, score: r.score, loss: r.sorted[Math.floor(rng.uniform() * r.sorted.length)]! + shift * r.iqr }])),
  }));
}

describe('DriftWatch', () => {
  it('summarizes lines of each set against that set\'s calibrations and domain, in a schema-valid shape', () => {
    const watch = new DriftWatch(set);
    for (const l of lines(set.defaultSet, 120, 1)) watch.add(l);
    for (const l of lines('lsst', 60, 2, 1)) watch.add(l);
    watch.add({ error: { code: 'unsupported_format', message: 'not a cutout' } });
    expect(watch.count).toBe(181);
    const summaries = watch.summary();
    expect(summaries.map((s) => s.set)).toEqual([set.defaultSet, 'lsst']);
    const [a, lsst] = summaries;
    expect(DriftSummarySchema.parse(a)).toEqual(a);
    expect(a!.warnings).toEqual([]);
    expect(a!.domain!.pixelScale).toBe(set.set(set.defaultSet).domain.pixelScale);
    expect(a!.models.map((m) => m.model)).toEqual(Object.values(set.set(set.defaultSet).models));
    for (const m of a!.models) expect(m.calibrationCount).toBe(set.model(m.model).calibrator(m.score).count);
    expect(lsst!.domain!.pixelScale).toBe(set.set('lsst').domain.pixelScale);
    expect(lsst!.failed).toBe(1);
    expect(lsst!.drifted).toBe(true);
    expect(lsst!.models.every((m) => m.drifted && m.medianShift! > 0.5)).toBe(true);
  });

  it('leaves out a score the model does not calibrate', () => {
    const watch = new DriftWatch(set);
    for (const l of lines(set.defaultSet, 30, 3)) {
      const models = Object.fromEntries(Object.entries(l.models!).map(([r, m]) => [r, { ...m, score: r === 'rbm' ? 'no-such-score' : m.score }]));
      watch.add({ ...l, models });
    }
    expect(watch.summary()[0]!.models.map((m) => m.role)).not.toContain('rbm');
  });
});
