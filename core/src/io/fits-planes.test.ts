/**
 * Noise and mask planes beside a science image (LSST IMAGE/MASK/VARIANCE, HST SCI/ERR/DQ), read as
 * astropy reads them (fixtures and expected values: scripts/make-mef-fixtures.py).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCutout, decodeStack, stackToCutouts } from './decode.js';
import { readFits } from './fits-read.js';

const DIR = join(import.meta.dirname, '..', '..', 'test-fixtures', 'fits');
const expected = JSON.parse(readFileSync(join(DIR, 'expected-planes.json'), 'utf8')) as {
  cases: { file: string; width: number; height: number; masked: number[]; variance: (number | null)[] }[];
};

describe.each(expected.cases)('$file', (c) => {
  const bytes = new Uint8Array(readFileSync(join(DIR, c.file)));

  it('reads the science image with its variance and masks the bad pixels, as astropy does', () => {
    const cut = readFits(bytes);
    expect([cut.width, cut.height]).toEqual([c.width, c.height]);
    const masked = Array.from(cut.data.keys()).filter((i) => Number.isNaN(cut.data[i]));
    expect(masked).toEqual(c.masked);
    expect(cut.masked).toBe(c.masked.length);
    expect(cut.variance).toBeDefined();
    c.variance.forEach((v, i) => (v === null ? expect(cut.variance![i]).toBeNaN() : expect(cut.variance![i]).toBe(v)));
    expect(cut.meta.noisePlane).toMatch(/^(VARIANCE \(variance\)|ERR \(sigma\))$/);
    expect(cut.meta.maskPlane).toMatch(/^(MASK|DQ)$/);
  });

  it('keeps the planes through decodeStack and stackToCutouts (what the service and evaluate use)', () => {
    const [one] = stackToCutouts(decodeStack(bytes));
    expect(one!.variance).toEqual(readFits(bytes).variance);
    expect(decodeCutout(bytes).variance).toEqual(readFits(bytes).variance);
  });

  it('reads a plane asked for by name as a plain image, without companions', () => {
    const plane = readFits(bytes, { hdu: c.file.startsWith('lsst') ? 'VARIANCE' : 'ERR' });
    expect(plane.variance).toBeUndefined();
    expect(plane.meta.maskPlane).toBeUndefined();
  });
});
