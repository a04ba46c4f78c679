import { describe, expect, it } from 'vitest';
import { csvField, csvHeader, csvRow, rolesOf } from './result-rows.js';
import type { BatchLine, ModelScore } from './schemas.js';

const score = (model: string, loss: number, pValue: number, flagged: boolean): ModelScore => ({
  model,
  version: 'v2',
  score: 'mf',
  loss,
  threshold: { name: 'fpr-0.01', value: 0.5, fpr: 0.01 },
  pValue,
  percentile: 0.5,
  normalizedScore: 0.5,
  flagged,
});

const scored: BatchLine = {
  index: 3,
  name: 'data/stack.npy[3]',
  input: { format: 'npy', width: 64, height: 64, pixelScale: null, psfFwhm: null, assumedPixelScale: true, masked: 0, resampled: null, noise: 'estimated' },
  set: { name: 'model-a', routedBy: 'default', note: '' },
  domain: { outOfDomain: false, reasons: [], stats: { radius: 12, sharpness: 2, noise: 0.003, relativeWidth: 0.15 } },
  verdict: 'anomalous',
  models: { vae: score('vae', 0.00123, 0.004, true), rbm: score('rbm', 1.5e-7, 0.2, false) },
  ensemble: { method: 'cauchy', name: 'default', members: [], pValue: 0.0071, alpha: 0.05, flagged: true, models: ['rbm', 'aae'] },
};

/** Splits one CSV record (RFC 4180) into its fields. */
function parseRecord(text: string): string[] {
  expect(text.endsWith('\r\n')).toBe(true);
  const fields: string[] = [];
  let i = 0;
  const s = text.slice(0, -2);
  while (i <= s.length) {
    if (s[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        v += s.slice(i, q);
        if (s[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 2;
          break;
        }
      }
      fields.push(v);
    } else {
      const c = s.indexOf(',', i);
      const end = c < 0 ? s.length : c;
      fields.push(s.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}

describe('result rows', () => {
  it('quotes only the fields that need it, doubling quotes', () => {
    expect(csvField('plain.fits')).toBe('plain.fits');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(false)).toBe('false');
  });

  it('has the base columns, then six per role', () => {
    const head = parseRecord(csvHeader(['dcae', 'rbm']));
    expect(head.slice(0, 9)).toEqual(['index', 'name', 'set', 'verdict', 'ensemble_p_value', 'flagged', 'out_of_domain', 'error_code', 'error_message']);
    expect(head.slice(9)).toEqual(['dcae_model', 'dcae_version', 'dcae_score', 'dcae_loss', 'dcae_p_value', 'dcae_flagged', 'rbm_model', 'rbm_version', 'rbm_score', 'rbm_loss', 'rbm_p_value', 'rbm_flagged']);
  });

  it('writes a scored line with every number round-tripping and empty cells for roles it lacks', () => {
    const roles = ['dcae', 'vae', 'rbm'];
    const row = parseRecord(csvRow(scored, roles));
    expect(row).toHaveLength(parseRecord(csvHeader(roles)).length);
    expect(row.slice(0, 9)).toEqual(['3', 'data/stack.npy[3]', 'model-a', 'anomalous', '0.0071', 'true', 'false', '', '']);
    expect(row.slice(9, 15)).toEqual(['', '', '', '', '', '']);
    expect(row.slice(15, 21)).toEqual(['vae', 'v2', 'mf', '0.00123', '0.004', 'true']);
    expect(Number(row[24])).toBe(1.5e-7);
  });

  it('writes an error line with its code and a quoted message', () => {
    const line: BatchLine = { index: 0, name: 'odd, "name".fits', error: { code: 'truncated', message: 'FITS file ends\nearly, at byte 80' } };
    const text = csvRow(line, ['dcae']);
    const row = parseRecord(text);
    expect(row).toEqual(['0', 'odd, "name".fits', '', '', '', '', '', 'truncated', 'FITS file ends\nearly, at byte 80', '', '', '', '', '', '']);
  });

  it('takes the roles of every set, the default set first, each once', () => {
    const sets = { lsst: { models: { vae: 'lsst-vae', extra: 'lsst-x' } }, 'model-a': { models: { dcae: 'dcae', vae: 'vae' } } };
    expect(rolesOf({ sets, defaultSet: 'model-a' })).toEqual(['dcae', 'vae', 'extra']);
    expect(rolesOf({ sets, defaultSet: 'lsst' })).toEqual(['vae', 'extra', 'dcae']);
  });
});
