import { describe, expect, it } from 'vitest';
import type { BatchLine, ScoreResult } from './api';
import { countStatuses, filterRows, sortRows, statusOf, toCsv, toJson, type Row } from './batch';

const REASON = { check: 'pixel-scale', message: 'pixel scale 1"/px is coarser than the set\'s 0.1"/px' };

/** A scored line; `set` names the set and its dcae model (`<set>-dcae` outside "default"). */
function line(index: number, name: string, pValue: number, loss: number, set = 'default', outOfDomain = false): BatchLine {
  const model = set === 'default' ? 'dcae' : `${set}-dcae`;
  const result: ScoreResult = {
    input: { format: 'fits', width: 64, height: 64, pixelScale: 0.1, psfFwhm: null, assumedPixelScale: false, masked: 0, resampled: null, noise: 'estimated' },
    set: { name: set, routedBy: 'header', note: `nearest set ${set}` },
    domain: { outOfDomain, reasons: outOfDomain ? [REASON, { check: 'score', message: 'far beyond' }] : [], stats: { radius: 10, sharpness: 2, noise: 0.01, relativeWidth: 0.2 } },
    verdict: outOfDomain ? 'out of domain' : pValue <= 0.05 ? 'anomalous' : 'smooth',
    models: { dcae: { model, version: 'v1', score: 'mse', loss, threshold: { name: 'fpr-0.05', value: 3e-4, fpr: 0.05 }, pValue, percentile: 50, normalizedScore: 0.5, flagged: false } },
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

/** A tiny p-value and a huge loss, but out of its set's domain. */
const ood: Row = { index: 4, name: 'coarse.fits', line: line(4, 'coarse.fits', 1e-6, 9e-3, 'lsst', true) };
const thresholds = new Map([
  ['dcae', 4e-4],
  ['lsst-dcae', 1e-3],
]);

describe('batch rows', () => {
  it('status follows the FPR: flagged when the ensemble p-value <= fpr', () => {
    expect(rows.map((r) => statusOf(r, 0.05))).toEqual(['smooth', 'rejected', 'flagged', 'pending']);
    expect(rows.map((r) => statusOf(r, 0.5))).toEqual(['flagged', 'rejected', 'flagged', 'pending']);
  });

  it('never flags a cutout out of its set\'s domain, at any FPR', () => {
    expect(statusOf(ood, 0.5)).toBe('out of domain');
    expect(statusOf(ood, 0.001)).toBe('out of domain');
  });

  it('counts the summary\'s verdicts, out-of-domain lines apart', () => {
    expect(countStatuses([...rows, ood], 0.05)).toEqual({ flagged: 1, smooth: 1, 'out of domain': 1, rejected: 1, pending: 1 });
    expect(countStatuses([...rows, ood, ood], 0.5)).toEqual({ flagged: 2, smooth: 0, 'out of domain': 2, rejected: 1, pending: 1 });
  });

  it('sorts both ways with rows without a value last, ties in input order', () => {
    expect(sortRows(rows, { column: 'ensemble', descending: false }, 0.05).map((r) => r.index)).toEqual([2, 0, 1, 3]);
    expect(sortRows(rows, { column: 'ensemble', descending: true }, 0.05).map((r) => r.index)).toEqual([0, 2, 1, 3]);
    expect(sortRows(rows, { column: 'model:dcae', descending: true }, 0.05).map((r) => r.index)).toEqual([2, 0, 1, 3]);
    expect(sortRows(rows, { column: 'name', descending: false }, 0.05).map((r) => r.name)).toEqual(['a.fits', 'b.fits', 'bad, "quoted".fits', 'c.fits']);
  });

  it('sorts by set and puts out-of-domain rows after the judged ones by verdict', () => {
    const all = [ood, ...rows];
    expect(sortRows(all, { column: 'set', descending: true }, 0.05).map((r) => r.index)).toEqual([4, 0, 2, 1, 3]);
    expect(sortRows(all, { column: 'verdict', descending: false }, 0.05).map((r) => r.index)).toEqual([2, 0, 4, 1, 3]);
  });

  it('filters by name and by verdict', () => {
    expect(filterRows(rows, 'A.F', 'all', 0.05).map((r) => r.index)).toEqual([2]);
    expect(filterRows(rows, '', 'rejected', 0.05).map((r) => r.index)).toEqual([1]);
    expect(filterRows([...rows, ood], '', 'out of domain', 0.05).map((r) => r.index)).toEqual([4]);
  });

  it('writes CSV with quoting, the set and the guard\'s finding, thresholds and verdicts at the FPR', () => {
    const csv = toCsv([...rows.slice(0, 3), ood], ['dcae'], thresholds, 0.05);
    const lines = csv.split('\n');
    expect(lines[0]).toBe(
      'index,name,verdict,fpr,ensemble_p,ensemble_method,ensemble_flagged,set,set_routed_by,out_of_domain,domain_reasons,dcae_model,dcae_loss,dcae_threshold,dcae_p,dcae_percentile,dcae_flagged,error_code,error_message',
    );
    expect(lines[1]).toBe('0,b.fits,smooth,0.05,0.2,cauchy,false,default,header,false,,dcae,0.0002,0.0004,0.2,50,false,,');
    expect(csv).toContain('1,"bad, ""quoted"".fits",rejected,0.05,,,,,,,,,,,,,,truncated,"ends early,\nsee"');
    expect(csv).toContain('2,a.fits,flagged,0.05,0.01,cauchy,true,default,header,false,,dcae,0.0005,0.0004,0.01,50,true,,');
    // The lsst row (last) has its own model's threshold, and above it, it is still not flagged.
    expect(lines.at(-2)).toBe(`4,coarse.fits,out of domain,0.05,0.000001,cauchy,false,lsst,header,true,"${REASON.message.replace(/"/g, '""')}; far beyond",lsst-dcae,0.009,0.001,0.000001,50,false,,`);
  });

  it('writes JSON with the set, out-of-domain flag and reasons, and thresholds by registered model', () => {
    const json = JSON.parse(toJson([rows[2]!, ood], thresholds, 0.05)) as {
      thresholds: Record<string, number>;
      rows: { verdict: string; set: { name: string }; outOfDomain: boolean; reasons: { message: string }[]; ensemble: { flagged: boolean }; models: Record<string, { model: string; threshold: number; flagged: boolean }> }[];
    };
    expect(json.thresholds).toEqual({ dcae: 4e-4, 'lsst-dcae': 1e-3 });
    expect(json.rows.map((r) => [r.verdict, r.set.name, r.outOfDomain, r.ensemble.flagged])).toEqual([
      ['flagged', 'default', false, true],
      ['out of domain', 'lsst', true, false],
    ]);
    expect(json.rows[1]!.reasons.map((r) => r.message)).toEqual([REASON.message, 'far beyond']);
    expect(json.rows[1]!.models.dcae).toMatchObject({ model: 'lsst-dcae', threshold: 1e-3, flagged: false });
    expect(json.rows[0]!.models.dcae).toMatchObject({ model: 'dcae', threshold: 4e-4, flagged: true });
  });
});
