import { describe, expect, it } from 'vitest';
import { DarklensError } from '../errors.js';
import type { RegistrySet } from '../registry/model-sets.js';
import { namedSet, routeCutout } from './routing.js';

const set = (pixelScale: number, psfFwhm: number, aliases: string[] = []): RegistrySet => ({ domain: { pixelScale, psfFwhm }, models: { rbm: 'rbm' }, aliases });
const sets = { 'model-a': set(0.1, 0.24, ['hst']), lsst: set(0.2, 0.7, ['rubin']), wide: set(0.1, 0.7) };

describe('routing a cutout to a model set', () => {
  it('takes the set survey= names, by name or alias, whatever the header says', () => {
    expect(routeCutout(sets, 'model-a', { pixelScale: 0.1, format: 'fits' }, 'LSST')).toMatchObject({ set: 'lsst', by: 'survey' });
    expect(routeCutout(sets, 'model-a', { format: 'png' }, 'rubin')).toMatchObject({ set: 'lsst', by: 'survey' });
    expect(namedSet(sets, ' HST ')).toBe('model-a');
  });

  it('refuses an unknown survey with 404 listing every name accepted', () => {
    try {
      routeCutout(sets, 'model-a', { format: 'fits' }, 'euclid');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DarklensError);
      expect((e as DarklensError).code).toBe('not_found');
      expect((e as DarklensError).message).toMatch(/model-a\|hst, lsst\|rubin, wide/);
    }
  });

  it('routes by the header: nearest pixel scale, then PSF; a tie goes to the default set', () => {
    expect(routeCutout(sets, 'model-a', { pixelScale: 0.2, format: 'fits' })).toMatchObject({ set: 'lsst', by: 'header' });
    expect(routeCutout(sets, 'model-a', { pixelScale: 0.17, format: 'fits' }).set).toBe('lsst');
    expect(routeCutout(sets, 'model-a', { pixelScale: 0.12, format: 'fits' }).set).toBe('model-a');
    expect(routeCutout(sets, 'model-a', { pixelScale: 0.1, psfFwhm: 0.65, format: 'fits' }).set).toBe('wide');
    expect(routeCutout(sets, 'model-a', { pixelScale: 0.1, psfFwhm: 0.25, format: 'fits' }).set).toBe('model-a');
    // 0.1"/px and no PSF: model-a and wide are equally near; the default wins, whichever it is.
    expect(routeCutout(sets, 'model-a', { pixelScale: 0.1, format: 'fits' }).set).toBe('model-a');
    expect(routeCutout(sets, 'wide', { pixelScale: 0.1, format: 'fits' }).set).toBe('wide');
    expect(routeCutout(sets, 'model-a', { pixelScale: 0.2, psfFwhm: 0.7, format: 'fits' }).note).toMatch(/pixel scale 0.2"\/px and PSF FWHM 0.7" from the header: nearest set lsst/);
  });

  it('sends a cutout without a pixel scale to the default set and says so', () => {
    const r = routeCutout(sets, 'lsst', { format: 'npy' }, 'auto');
    expect(r).toMatchObject({ set: 'lsst', by: 'default' });
    expect(r.note).toMatch(/the NPY file states no pixel scale: scored by the default set lsst; name another with survey=/);
  });
});
