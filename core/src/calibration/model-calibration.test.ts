import { describe, expect, it } from 'vitest';
import { oneTo, shuffled } from '../../../test/helpers/calibration-data.js';
import { buildCalibration } from './calibration-file.js';
import { buildModelCalibration, ModelCalibration, parseModelCalibration, scoreFile } from './model-calibration.js';

const common = {
  model: { name: 'rbm', version: '0.1.0', onnxSha256: 'ab'.repeat(32) },
  input: { width: 64, height: 64, pixelScale: 0.1, psfFwhm: 0.235 },
  set: 'no_sub_calib.npy',
  seed: 3,
  createdAt: '2026-12-06T00:00:00.000Z',
  bootstrap: false as const,
};

describe('model calibration (one calibration per score)', () => {
  const file = buildModelCalibration({ ...common, scores: { mse: shuffled(oneTo(100)), chi2: oneTo(100).map((v) => v * 10) }, defaultScore: 'chi2', manual: [{ name: 'manual', value: 42 }] });

  it('holds each score with its own thresholds; manual values only for the default score', () => {
    expect(file.version).toBe(2);
    expect(file.defaultScore).toBe('chi2');
    expect(Object.keys(file.scores)).toEqual(['mse', 'chi2']);
    expect(scoreFile(file, 'mse').thresholds.items.find((t) => t.name === 'fpr-0.05')!.value).toBe(95);
    expect(scoreFile(file, 'chi2').thresholds.items.find((t) => t.name === 'fpr-0.05')!.value).toBe(950);
    expect(scoreFile(file, 'chi2').thresholds.items.map((t) => t.name)).toContain('manual');
    expect(scoreFile(file, 'mse').thresholds.items.map((t) => t.name)).not.toContain('manual');
    expect(scoreFile(file, 'chi2').score.definition).toMatch(/inverse noise variance/);
  });

  it('round-trips through JSON, and a Calibrator per score reads it', () => {
    expect(parseModelCalibration(JSON.parse(JSON.stringify(file)))).toEqual(file);
    const c = ModelCalibration.fromJSON(JSON.stringify(file));
    expect(c.names).toEqual(['mse', 'chi2']);
    expect(c.score().file.score.name).toBe('chi2');
    expect(c.score('mse').pValue(100)).toBeCloseTo(2 / 101, 12);
    expect(() => c.score('mf')).toThrow(/score "mf" is not calibrated for model rbm; calibrated: mse, chi2/);
  });

  it('reads a version-1 file (the v1 models) as one mse calibration', () => {
    const v1 = buildCalibration({ ...common, model: { name: 'dcae' }, scores: oneTo(10) });
    const { name: _name, ...legacyScore } = v1.score; // v1 files name no score
    const m = parseModelCalibration(JSON.parse(JSON.stringify({ ...v1, score: legacyScore })));
    expect(m.defaultScore).toBe('mse');
    expect(Object.keys(m.scores)).toEqual(['mse']);
    expect(scoreFile(m, 'mse').calibration.scores).toEqual(oneTo(10));
  });

  it('names the bad field of a broken file', () => {
    const bad = (mutate: (j: Record<string, unknown>) => void): string => {
      const j = JSON.parse(JSON.stringify(file)) as Record<string, unknown>;
      mutate(j);
      try {
        parseModelCalibration(j);
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(bad((j) => (j.defaultScore = 'mf'))).toMatch(/defaultScore is "mf"; accepted: one of the calibrated scores \(mse, chi2\)/);
    expect(bad((j) => (j.scores = {}))).toMatch(/scores is missing or empty/);
    expect(bad((j) => ((j.scores as Record<string, { definition: string }>).chi2!.definition = 'x'))).toMatch(/scores\.chi2: score\.definition is "x"/);
    expect(bad((j) => ((j.scores as Record<string, { calibration: { count: number } }>).mse!.calibration.count = 3))).toMatch(/scores\.mse: calibration\.count is 3/);
    expect(bad((j) => (j.version = 3))).toMatch(/reads calibration versions 1 and 2/);
    expect(bad((j) => (j.extra = 1))).toMatch(/unknown field "extra"/);
    expect(bad((j) => ((j.model as Record<string, unknown>).onnxSha256 = 'xyz'))).toMatch(/model\.onnxSha256 is "xyz"/);
  });
});
