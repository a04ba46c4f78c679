#!/usr/bin/python3
"""Writes the multi-extension FITS fixtures of core/test-fixtures/fits/ (science image + noise and
mask planes, as LSST and HST pipelines write them) and expected-planes.json, what astropy reads.

    /usr/bin/python3 scripts/make-mef-fixtures.py

core/src/io/fits-planes.test.ts compares readFits with expected-planes.json; it never needs Python.
Expected values come from astropy reading the files back: the variance (VARIANCE as stored, ERR
squared), and the masked pixels (non-finite science values, plus LSST MASK bits other than
DETECTED / DETECTED_NEGATIVE, found by their MP_ cards; any non-zero DQ flag).
"""

import json
import os

import numpy as np
from astropy.io import fits

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'core', 'test-fixtures', 'fits')
H, W = 12, 16
rng = np.random.default_rng(20261206)
cases = []


def science():
    img = rng.normal(10.0, 2.0, size=(H, W)).astype(np.float32)
    img[0, 0] = np.nan
    return img


# LSST: IMAGE, MASK (int32 bit planes named by HIERARCH MP_ cards, not in LSST's default order here),
# VARIANCE.
img = science()
var = rng.uniform(0.5, 4.0, size=(H, W)).astype(np.float32)
var[1, 1] = -1.0  # a negative variance is invalid
planes = {'BAD': 3, 'SAT': 0, 'CR': 1, 'DETECTED': 2, 'DETECTED_NEGATIVE': 7, 'NO_DATA': 5}
mask = np.zeros((H, W), dtype=np.int32)
mask[2, 3] = 1 << planes['SAT']
mask[4, 5] = 1 << planes['CR']
mask[5, 5] = 1 << planes['DETECTED']  # the lens itself: stays
mask[6, 6] = (1 << planes['DETECTED']) | (1 << planes['BAD'])
mask[7, 1] = 1 << planes['DETECTED_NEGATIVE']  # stays
mask[8, 2] = 1 << planes['NO_DATA']
mask_hdu = fits.ImageHDU(mask, name='MASK')
for name, bit in planes.items():
    mask_hdu.header[f'HIERARCH MP_{name}'] = bit
fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(img, name='IMAGE'), mask_hdu, fits.ImageHDU(var, name='VARIANCE')]).writeto(
    os.path.join(OUT, 'lsst_mef.fits'), overwrite=True)

# HST: SCI, ERR (1-sigma), DQ (int16 flags).
sci = science()
err = rng.uniform(0.5, 2.0, size=(H, W)).astype(np.float32)
dq = np.zeros((H, W), dtype=np.int16)
dq[3, 3] = 4
dq[9, 10] = 1024
fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(sci, name='SCI'), fits.ImageHDU(err, name='ERR'), fits.ImageHDU(dq, name='DQ')]).writeto(
    os.path.join(OUT, 'hst_sci_err_dq.fits'), overwrite=True)


def expect(name):
    with fits.open(os.path.join(OUT, name)) as f:
        names = [h.name for h in f]
        sci_name = 'IMAGE' if 'IMAGE' in names else 'SCI'
        data = f[sci_name].data.astype(np.float64)
        masked = ~np.isfinite(data)
        if 'VARIANCE' in names:
            variance = f['VARIANCE'].data.astype(np.float64)
        else:
            variance = f['ERR'].data.astype(np.float64) ** 2
        variance = np.where(np.isfinite(variance) & (variance >= 0), variance, np.nan)
        if 'MASK' in names:
            hdr = f['MASK'].header
            bad = 0
            for key in hdr:
                if key.startswith('MP_') and key[3:] not in ('DETECTED', 'DETECTED_NEGATIVE'):
                    bad |= 1 << int(hdr[key])
            masked |= (f['MASK'].data.astype(np.int64) & bad) != 0
        else:
            masked |= f['DQ'].data != 0
        return {
            'file': name,
            'width': W,
            'height': H,
            'masked': sorted(int(i) for i in np.flatnonzero(masked)),
            'variance': [None if not np.isfinite(v) else float(np.float32(v)) for v in variance.ravel()],
        }


cases = [expect('lsst_mef.fits'), expect('hst_sci_err_dq.fits')]
with open(os.path.join(OUT, 'expected-planes.json'), 'w') as f:
    f.write('{"generator": "scripts/make-mef-fixtures.py", "cases": [\n')
    f.write(',\n'.join(json.dumps(c, allow_nan=False) for c in cases))
    f.write('\n]}\n')
print('wrote', [c['file'] for c in cases])
