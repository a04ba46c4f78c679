import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelCalibration } from '../calibration/model-calibration.js';
import { interpolatedQuantile } from '../calibration/thresholds.js';
import { SeededRng } from '../random.js';
import { parseRegistry } from '../registry/registry.js';
import { registrySets } from '../registry/model-sets.js';
import { DRIFT_MAX_P, DRIFT_MIN_SHIFT, DRIFT_MIN_TESTED, formatDrift, kolmogorovSf, ksTwoSample, summarizeDrift, type DriftCalibrations, type DriftLine } from './drift.js';

interface KsFixture {
  scipy: string;
  references: Record<string, number[]>;
  twoSample: { name: string; reference: string; sample: number[]; statistic: number; pValue: number }[];
  kstwo: { n: number; d: number; sf: number }[];
}
const FIXTURE = JSON.parse(readFileSync(new URL('../../test-fixtures/drift/ks.json', import.meta.url), 'utf8')) as KsFixture;

/** Relative agreement where scipy's p > 1e-10 (measured: within 2e-9); below that both must be tiny. */
function expectP(actual: number, expected: number, rel: number, what: string): void {
  if (expected > 1e-10) expect(Math.abs(actual - expected) / expected, `${what}: ${actual} vs scipy ${expected}`).toBeLessThanOrEqual(rel);
  else expect(actual, what).toBeLessThan(1e-9);
}

describe('ksTwoSample against scipy.stats.ks_2samp(method="asymp")', () => {
  it.each(FIXTURE.twoSample.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = ksTwoSample(c.sample, FIXTURE.references[c.reference]!);
    expect(r.statistic).toBe(c.statistic);
    expectP(r.pValue, c.pValue, 1e-6, c.name);
    expect(r.n).toBe(c.sample.length);
  });

  it('reaches both tails and the middle of the p-value range (the fixture tests something)', () => {
    const ps = FIXTURE.twoSample.map((c) => c.pValue);
    expect(Math.min(...ps)).toBeLessThan(1e-10);
    expect(ps.some((p) => p > 1e-10 && p < 1e-3)).toBe(true);
    expect(ps.some((p) => p > 0.5)).toBe(true);
  });

  it('the Kolmogorov law matches scipy.stats.kstwo.sf in every region of the algorithm', () => {
    for (const { n, d, sf } of FIXTURE.kstwo) expectP(kolmogorovSf(n, d), sf, 1e-6, `n=${n} d=${d}`);
    expect(new Set(FIXTURE.kstwo.map((k) => k.n)).size).toBeGreaterThan(10);
  });

  it('refuses an unsorted reference, an empty or non-finite sample', () => {
    expect(() => ksTwoSample([1], [2, 1])).toThrow(/sorted ascending/);
    expect(() => ksTwoSample([], [1])).toThrow(/sample is empty/);
    expect(() => ksTwoSample([Number.NaN], [1])).toThrow(/sample\[0\] is NaN/);
  });
});

// The shipped model-a set: its four models' default-score calibrations and its domain.
const MODELS = new URL('../../../models/', import.meta.url);
const registry = parseRegistry(readFileSync(new URL('registry.json', MODELS), 'utf8'));
const { sets, defaultSet } = registrySets(registry);
const SET = sets[defaultSet]!;
const calibrations = new Map(
  Object.entries(SET.models).map(([role, name]) => {
    const c = ModelCalibration.fromJSON(readFileSync(new URL(`${name}/${registry.models[name]!.default}/calibration.json`, MODELS), 'utf8'));
    return [role, { name, score: c.defaultScore, sorted: c.score().reference.sorted }] as const;
  }),
);
const CAL: DriftCalibrations = {
  reference: (model, score) => [...calibrations.values()].find((c) => c.name === model && c.score === score)?.sorted,
  domain: (set) => (set === defaultSet ? SET.domain : undefined),
};
const NOISE = SET.domain.guard!.stats.noise!;

const iqr = (s: Float64Array): number => interpolatedQuantile(s, 0.75) - interpolatedQuantile(s, 0.25);

interface BatchOptions {
  n: number;
  seed: number;
  /** Added to every score, in units of that model's calibration IQR. */
  shift?: number;
  pixelScale?: number | null;
  /** Share of cutouts whose noise is 3x the top of the range. */
  noisy?: number;
  outOfDomain?: number;
}

/** A batch whose scores are drawn from the calibration scores themselves (a batch like the calibration data). */
function batch({ n, seed, shift = 0, pixelScale = SET.domain.pixelScale, noisy = 0, outOfDomain = 0 }: BatchOptions): DriftLine[] {
  const rng = new SeededRng(seed);
  return Array.from({ length: n }, (_, i) => ({
    set: { name: defaultSet },
    input: { width: 64, height: 64, pixelScale, assumedPixelScale: pixelScale === null, masked: i % 4 === 0 ? 41 : 0 },
    domain: { outOfDomain: i < outOfDomain * n, stats: { noise: i < noisy * n ? 3 * NOISE[1] : rng.range(NOISE[0], NOISE[1]) } },
    models: Object.fromEntries(
      [...calibrations].map(([role, c]) => [role, { model: c.name, score: c.score, loss: c.sorted[Math.floor(rng.uniform() * c.sorted.length)]! + shift * iqr(c.sorted) }]),
    ),
  }));
}

describe('summarizeDrift on the shipped model-a calibrations', () => {
  it('a batch drawn from the calibration scores gives no warning, in 20 batches of 300', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const [s] = summarizeDrift(batch({ n: 300, seed }), CAL);
      expect(s!.warnings, `seed ${seed}`).toEqual([]);
      expect(s!.drifted).toBe(false);
      expect(s!.models.map((m) => m.role)).toEqual(Object.keys(SET.models));
      for (const m of s!.models) {
        expect(m.tested).toBe(true);
        expect(Math.abs(m.medianShift!)).toBeLessThan(DRIFT_MIN_SHIFT);
        expect(m.calibrationCount).toBe(calibrations.get(m.role)!.sorted.length);
      }
    }
  });

  it('scores shifted up by half an IQR warn, with the p-value and the shift the summary reports', () => {
    const [s] = summarizeDrift(batch({ n: 200, seed: 5, shift: 0.5 }), CAL);
    expect(s!.drifted).toBe(true);
    for (const m of s!.models) {
      expect(m.drifted).toBe(true);
      expect(m.ksPValue).toBeLessThan(DRIFT_MAX_P);
      expect(m.medianShift!).toBeGreaterThan(0.35);
      expect(m.medianShift!).toBeLessThan(0.65);
      expect(m.sampleMedian).toBeGreaterThan(m.calibrationMedian);
      expect(s!.warnings).toContain(`${m.role} (${m.model}, ${m.score}): score distribution unlike the calibration lenses: KS p = ${m.ksPValue.toExponential(1)}, median shifted up by ${Number(m.medianShift!.toPrecision(3))} IQR`);
    }
    expect(s!.warnings).toHaveLength(s!.models.length);
  });

  it(`a batch of fewer than ${DRIFT_MIN_TESTED} reports the test but does not warn on it`, () => {
    const [s] = summarizeDrift(batch({ n: DRIFT_MIN_TESTED - 1, seed: 3, shift: 2 }), CAL);
    for (const m of s!.models) {
      expect(m.tested).toBe(false);
      expect(m.ksPValue).toBeLessThan(0.05);
      expect(m.medianShift!).toBeGreaterThan(1);
    }
    expect(s!.warnings).toEqual([]);
    const [t] = summarizeDrift(batch({ n: DRIFT_MIN_TESTED, seed: 3, shift: 2 }), CAL);
    expect(t!.warnings.length).toBeGreaterThan(0);
  });

  it('a large batch with a significant but small shift does not warn (the shift condition)', () => {
    const [s] = summarizeDrift(batch({ n: 10_000, seed: 9, shift: 0.1 }), CAL);
    for (const m of s!.models) {
      expect(m.ksPValue).toBeLessThan(DRIFT_MAX_P);
      expect(Math.abs(m.medianShift!)).toBeLessThan(DRIFT_MIN_SHIFT);
    }
    expect(s!.warnings).toEqual([]);
  });

  it('another pixel scale, noisier cutouts and out-of-domain ones each warn in plain words', () => {
    const [s] = summarizeDrift(batch({ n: 100, seed: 2, pixelScale: 0.2, noisy: 0.35, outOfDomain: 0.12 }), CAL);
    expect(s!.input.pixelScales).toEqual([{ pixelScale: 0.2, assumed: false, count: 100 }]);
    expect(s!.input.noise.above).toBeCloseTo(0.35, 12);
    expect(s!.outOfDomain).toEqual({ count: 12, fraction: 0.12 });
    expect(s!.warnings).toEqual([
      `pixel scale 0.2"/px (100% of cutouts) differs from the models' ${SET.domain.pixelScale}"/px: those cutouts were resampled`,
      'noise level above the calibration range for 35% of cutouts',
      "12% of cutouts (12) are out of the models' domain",
    ]);
  });

  it('reports sizes, masked fractions, assumed scales and failures; ignores lines it cannot read', () => {
    const lines: DriftLine[] = [...batch({ n: 40, seed: 4, pixelScale: null }), { error: { code: 'bad_header', message: 'x' } }, {}];
    const [s] = summarizeDrift(lines, CAL);
    expect(s!.cutouts).toBe(40);
    expect(s!.failed).toBe(1);
    expect(s!.input.pixelScales).toEqual([{ pixelScale: null, assumed: true, count: 40 }]);
    expect(s!.input.sizes).toEqual([{ width: 64, height: 64, count: 40 }]);
    expect(s!.input.maskedFraction.max).toBe(41 / 4096);
    expect(s!.input.maskedFraction.mean).toBeCloseTo(41 / 4096 / 4, 12);
    expect(s!.domain).toEqual({ pixelScale: SET.domain.pixelScale, psfFwhm: SET.domain.psfFwhm, noise: NOISE });
    expect(s!.warnings).toEqual([]);
    const text = formatDrift(s!);
    expect(text.split('\n')[0]).toBe(`drift, set ${defaultSet}: 40 cutouts, 1 failed in the batch: looks like the calibration data`);
    for (const m of s!.models) expect(text).toContain(`${m.role} (${m.model}, ${m.score}): KS D = `);
  });

  it('leaves out a model without a calibration and a set without a domain', () => {
    const lines = batch({ n: 30, seed: 6 }).map((l) => ({ ...l, set: { name: 'elsewhere' } }));
    const [s] = summarizeDrift(lines, { reference: (m, sc) => (m === 'rbm' ? CAL.reference(m, sc) : undefined), domain: () => undefined });
    expect(s!.set).toBe('elsewhere');
    expect(s!.models.map((m) => m.model)).toEqual(['rbm']);
    expect(s!.domain).toBeNull();
    expect(s!.input.noise.above).toBe(0);
  });
});
