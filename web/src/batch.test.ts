import { describe, expect, it } from 'vitest';
import type { BatchLine, ScoreResult } from './api';
import { filterRows, sortRows, statusOf, toCsv, type Row } from './batch';

function line(index: number, name: string, pValue: number, loss: number): BatchLine {
  const result: ScoreResult = {
    input: { format: 'fits', width: 64, height: 64, pixelScale: 0.1, assumedPixelScale: false, masked: 0, resampled: null, noise: 'estimated' },
    models: { dcae: { version: 'v1', score: 'mse', loss, threshold: { name: 'fpr-0.05', value: 3e-4, fpr: 0.05 }, pValue, percentile: 50, normalizedScore: 0.5, flagged: false } },
    ensemble: { method: 'cauchy', name: null, members: [{ model: 'dcae', score: 'mse', weight: 1, pValue }], pValue, alpha: 0.05, flagged: false, models: ['dcae'] },
  };
  return { index, name, ...result };
}

const rows: Row[] = [
  { index: 0, name: 'b.fits', line: line(0, 'b.fits', 0.2, 2e-4) },
  { index: 1, name: 'bad, "quoted".fits', line: { index: 1, name: 'bad, "quoted".fits', error: { code: 'truncated', message: 'ends early,\nsee' } } },
  { index: 2, name: 'a.fits', line: line(2, 'a.fits', 0.01, 5e-4) },
  { index: 3, name: 'c.fits' },
];

describe('batch rows', () => {
  it('status follows the FPR: flagged when the ensemble p-value <= fpr', () => {
    expect(rows.map((r) => statusOf(r, 0.05))).toEqual(['smooth', 'rejected', 'flagged', 'pending']);
    expect(rows.map((r) => statusOf(r, 0.5))).toEqual(['flagged', 'rejected', 'flagged', 'pending']);
  });

  it('sorts both ways with rows without a value last, ties in input order', () => {
    expect(sortRows(rows, { column: 'ensemble', descending: false }, 0.05).map((r) => r.index)).toEqual([2, 0, 1, 3]);
    expect(sortRows(rows, { column: 'ensemble', descending: true }, 0.05).map((r) => r.index)).toEqual([0, 2, 1, 3]);
    expect(sortRows(rows, { column: 'model:dcae', descending: true }, 0.05).map((r) => r.index)).toEqual([2, 0, 1, 3]);
    expect(sortRows(rows, { column: 'name', descending: false }, 0.05).map((r) => r.name)).toEqual(['a.fits', 'b.fits', 'bad, "quoted".fits', 'c.fits']);
  });

  it('filters by name and by verdict', () => {
    expect(filterRows(rows, 'A.F', 'all', 0.05).map((r) => r.index)).toEqual([2]);
    expect(filterRows(rows, '', 'rejected', 0.05).map((r) => r.index)).toEqual([1]);
  });

  it('writes CSV with quoting, thresholds and verdicts at the FPR', () => {
    const csv = toCsv(rows.slice(0, 3), ['dcae'], new Map([['dcae', 4e-4]]), 0.05);
    const lines = csv.split('\n');
    expect(lines[0]).toBe('index,name,verdict,fpr,ensemble_p,ensemble_method,ensemble_flagged,dcae_loss,dcae_threshold,dcae_p,dcae_percentile,dcae_flagged,error_code,error_message');
    expect(lines[1]).toBe('0,b.fits,smooth,0.05,0.2,cauchy,false,0.0002,0.0004,0.2,50,false,,');
    expect(csv).toContain('1,"bad, ""quoted"".fits",rejected,0.05,,,,,0.0004,,,,truncated,"ends early,\nsee"');
    expect(csv).toContain('2,a.fits,flagged,0.05,0.01,cauchy,true,0.0005,0.0004,0.01,50,true,,');
  });
});
