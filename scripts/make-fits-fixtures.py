#!/usr/bin/python3
"""Writes the small FITS fixtures of core/test-fixtures/fits/ and expected.json, what astropy reads.

Run from the repository root with a Python that has astropy and numpy (Debian's /usr/bin/python3):

    /usr/bin/python3 scripts/make-fits-fixtures.py

The TypeScript tests (core/src/io/fits-read.test.ts) read the committed fixtures and compare
readFits against expected.json; they never need Python. Every expected number below comes from
astropy reading the file back, not from the arrays used to make it:

- values: astropy's physical pixel values (opened with uint=False so BLANK becomes NaN; int64
  fixtures are opened with uint=True so values stay exact integers), flattened in file order
  (row 0 = first NAXIS2 row). Masked pixels are null. Integers beyond 2^24 are given as the float32
  nearest to astropy's exact integer (computed without rounding through a double).
- masked: pixels whose stored integer equals BLANK (astropy read with do_not_scale_image_data) or
  whose physical value is not a finite float32 (NaN, +-Inf, or beyond the float32 range).
- pixelScale: arcsec/pixel from astropy.wcs (sqrt of proj_plane_pixel_area) when the header has a
  celestial WCS, else the PIXSCALE card as astropy parses it, else null.
- dataStart, dataBytes: where astropy finds the data of the selected HDU, and its unpadded size.

Some files are assembled by hand (astropy's Header.tostring() plus raw big-endian bytes) because
astropy's writer would rescale data or drop BLANK/BZERO; they are still read back with astropy.
"""

import json
import os
import sys

import astropy
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_area

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'core', 'test-fixtures', 'fits')
BLOCK = 2880


def pad(data: bytes, fill: bytes = b'\0') -> bytes:
    return data + fill * ((-len(data)) % BLOCK)


def raw_hdu(cards, stored: np.ndarray, dtype: str) -> bytes:
    """One HDU from header cards and stored (not scaled) values, written big-endian as-is."""
    header = fits.Header()
    for card in cards:
        header.append(card)
    return header.tostring().encode('ascii') + pad(stored.astype(dtype).tobytes())


def primary_cards(bitpix: int, shape) -> list:
    cards = [('SIMPLE', True), ('BITPIX', bitpix), ('NAXIS', len(shape))]
    cards += [(f'NAXIS{i + 1}', n) for i, n in enumerate(reversed(shape))]
    return cards


def write_bytes(name: str, data: bytes) -> None:
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


def write_hdul(name: str, hdul: fits.HDUList) -> None:
    hdul.writeto(os.path.join(OUT, name), overwrite=True)


os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20240607)
H, W = 6, 8

# --- integer images -------------------------------------------------------------------------
# uint8 with exact-binary scaling (BSCALE 0.5, BZERO -10) and BLANK 255.
u8 = rng.integers(0, 255, size=(H, W)).astype(np.uint8)
u8[1, 2] = 255
u8[4, 7] = 255
u8[0, 0] = 0
write_bytes(
    'uint8_scaled.fits',
    raw_hdu(
        primary_cards(8, (H, W))
        + [('BSCALE', 0.5), ('BZERO', -10.0), ('BLANK', 255), ('OBJECT', 'LENS J0001+0001'), ('BUNIT', 'ADU')],
        u8,
        'u1',
    ),
)

# int16 with BZERO 32768 (unsigned 16-bit data) and BLANK -32768 (stored value; physical 0).
i16 = rng.integers(-32768, 32768, size=(H, W)).astype(np.int16)
i16[0, 1] = -32768  # blank
i16[2, 3] = -32768  # blank
i16[3, 3] = -32767  # physical 1, not blank
i16[5, 7] = 32767  # physical 65535
write_bytes(
    'int16_bzero_blank.fits',
    raw_hdu(primary_cards(16, (H, W)) + [('BZERO', 32768), ('BSCALE', 1), ('BLANK', -32768)], i16, '>i2'),
)

# int16 with a scale that is not exact in binary (compared to astropy within float32 rounding).
i16s = rng.integers(-30000, 30000, size=(H, W)).astype(np.int16)
write_bytes(
    'int16_scaled.fits',
    raw_hdu(primary_cards(16, (H, W)) + [('BSCALE', 0.1), ('BZERO', 3.7)], i16s, '>i2'),
)

# int32, unscaled, including the extremes.
i32 = rng.integers(-(2**31), 2**31, size=(16, 16), dtype=np.int64).astype(np.int32)
i32[0, 0] = -(2**31)
i32[0, 1] = 2**31 - 1
i32[0, 2] = 16777217  # not representable in float32
write_hdul('int32.fits', fits.HDUList([fits.PrimaryHDU(i32)]))

# int64 holding unsigned values (BZERO = 2^63).
u64 = rng.integers(0, 2**63, size=(H, W), dtype=np.int64).astype(np.uint64) * np.uint64(2)
u64[0, 0] = 0
u64[0, 1] = 2**64 - 1
u64[0, 2] = 2**53 + 1
u64[0, 3] = 1  # stored as -2^63 + 1: lost when the stored value is converted to a double first
u64[0, 4] = 12345
u64[0, 5] = 2**63 + 2**39 + 1  # just above a float32 tie: rounding through a double gives 2^63
stored64 = (u64 - np.uint64(2**63)).view(np.int64)
write_bytes(
    'int64_uint.fits',
    raw_hdu(primary_cards(64, (H, W)) + [('BZERO', 9223372036854775808), ('BSCALE', 1)], stored64, '>i8'),
)

# int64 signed with a BLANK that only an exact 64-bit comparison tells apart from its neighbours.
i64 = rng.integers(-(2**62), 2**62, size=(H, W), dtype=np.int64)
i64[0, 0] = 2**53 + 1  # blank
i64[0, 1] = 2**53  # equal to the blank as a double, but not blank
i64[0, 2] = 2**53 + 2
i64[5, 7] = -(2**63)
i64[1, 0] = -(2**62 + 2**38 + 1)  # just beyond a float32 tie (float32 spacing is 2^39 here)
write_bytes('int64_blank.fits', raw_hdu(primary_cards(64, (H, W)) + [('BLANK', 2**53 + 1)], i64, '>i8'))

# --- floating-point images ------------------------------------------------------------------
f32 = rng.normal(0, 1, size=(16, 16)).astype(np.float32)
f32[0, 3] = np.nan
f32[7, 9] = np.nan
f32[15, 15] = np.inf
f32[15, 0] = -np.inf
f32[1, 1] = np.float32(3.4028235e38)
write_hdul('float32_nan.fits', fits.HDUList([fits.PrimaryHDU(f32)]))

f64 = rng.normal(0, 1e3, size=(H, W))
f64[0, 0] = 1e40  # finite in float64, beyond float32: masked
f64[0, 1] = 1e-320  # subnormal double: 0 in float32
f64[0, 2] = np.nan
f64[5, 7] = 0.1
write_hdul('float64.fits', fits.HDUList([fits.PrimaryHDU(f64)]))

# --- HDU layouts ------------------------------------------------------------------------------
img = rng.normal(10, 2, size=(H, W)).astype(np.float32)
write_hdul('primary_empty_image_ext.fits', fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(img)]))

# A BINTABLE with a variable-length column before the image. Its heap (PCOUNT = 3600 bytes) makes
# the data unit span two blocks, so a reader that ignores PCOUNT lands in the wrong place.
table = fits.BinTableHDU.from_columns(
    [
        fits.Column(name='ID', format='J', array=np.arange(5, dtype=np.int32)),
        fits.Column(
            name='VLA',
            format='PJ()',
            array=np.array([np.arange(n, dtype=np.int32) for n in (100, 300, 250, 200, 50)], dtype=object),
        ),
    ],
    name='EVENTS',
)
i16img = rng.integers(-500, 500, size=(H, W)).astype(np.int16)
write_hdul(
    'bintable_then_image.fits',
    fits.HDUList([fits.PrimaryHDU(), table, fits.ImageHDU(i16img, name='IMG')]),
)

var = rng.normal(1, 0.1, size=(H, W)).astype(np.float32)
sci = rng.normal(100, 5, size=(H, W)).astype(np.float32)
write_hdul(
    'two_images_sci.fits',
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(var, name='VAR'), fits.ImageHDU(sci, name='SCI')]),
)

cube = rng.normal(0, 1, size=(1, H, W)).astype(np.float32)
hdu = fits.PrimaryHDU(cube)
hdu.header.update(
    {
        'CTYPE1': 'RA---TAN',
        'CTYPE2': 'DEC--TAN',
        'CTYPE3': 'FREQ',
        'CDELT1': -0.08,
        'CDELT2': 0.08,
        'CDELT3': 1.0,
        'CUNIT1': 'arcsec',
        'CUNIT2': 'arcsec',
        'CUNIT3': 'Hz',
    }
)
write_hdul('cube_1hw.fits', fits.HDUList([hdu]))

cube2 = rng.normal(0, 1, size=(2, 3, 4)).astype(np.float32)
write_hdul('cube_2planes.fits', fits.HDUList([fits.PrimaryHDU(cube2)]))

# --- pixel scale sources -------------------------------------------------------------------------
theta = np.deg2rad(30.0)
s = 0.04 / 3600.0
hdu = fits.PrimaryHDU(rng.normal(0, 1, size=(H, W)).astype(np.float32))
hdu.header.update(
    {
        'CTYPE1': 'RA---TAN',
        'CTYPE2': 'DEC--TAN',
        'CRVAL1': 150.1,
        'CRVAL2': 2.2,
        'CRPIX1': 4.5,
        'CRPIX2': 3.5,
        'CD1_1': -s * np.cos(theta),
        'CD1_2': s * np.sin(theta),
        'CD2_1': s * np.sin(theta),
        'CD2_2': s * np.cos(theta),
        'TELESCOP': 'HST',
        'INSTRUME': 'WFC3',
        'FILTER': 'F160W',
        'OBJECT': 'SLACS J0946+1006',
    }
)
write_hdul('cd_matrix.fits', fits.HDUList([hdu]))

hdu = fits.PrimaryHDU(rng.normal(0, 1, size=(H, W)).astype(np.float32))
hdu.header.update({'CTYPE1': 'RA---TAN', 'CTYPE2': 'DEC--TAN', 'CDELT1': -0.1 / 3600, 'CDELT2': 0.1 / 3600})
write_hdul('cdelt_only.fits', fits.HDUList([hdu]))

hdu = fits.PrimaryHDU(rng.normal(0, 1, size=(H, W)).astype(np.float32))
hdu.header['PIXSCALE'] = (0.05, 'arcsec/pixel')
write_hdul('pixscale_only.fits', fits.HDUList([hdu]))

# --- unsupported layout ---------------------------------------------------------------------------
comp = fits.CompImageHDU(rng.integers(0, 100, size=(8, 8)).astype(np.int16), compression_type='RICE_1')
write_hdul('tile_compressed.fits', fits.HDUList([fits.PrimaryHDU(), comp]))


# --- expected.json: what astropy reads ----------------------------------------------------------
def pixel_scale(header) -> float | None:
    wcs = WCS(header, naxis=2)
    if wcs.has_celestial:
        return float(np.sqrt(proj_plane_pixel_area(wcs.celestial)) * 3600.0)
    if 'PIXSCALE' in header:
        return float(header['PIXSCALE'])
    return None


def float32_nearest(n: int) -> float:
    """The float32 nearest to the integer n (ties to even), without rounding through a double."""
    f = np.float32(float(n))
    candidates = [np.nextafter(f, np.float32(-np.inf)), f, np.nextafter(f, np.float32(np.inf))]
    best = min(abs(int(c) - n) for c in candidates)
    ties = [c for c in candidates if abs(int(c) - n) == best]
    return float(next(c for c in ties if int(np.array(c).view(np.uint32)) % 2 == 0) if len(ties) > 1 else ties[0])


def expect(name: str, hdu_option=None, tolerance: str = 'exact') -> dict:
    path = os.path.join(OUT, name)
    uint = name.startswith('int64')
    with fits.open(path, uint=uint) as hdul:
        if hdu_option is None:
            index = next(i for i, h in enumerate(hdul) if h.is_image and h.data is not None)
        elif isinstance(hdu_option, str):
            index = hdul.index_of(hdu_option)
        else:
            index = hdu_option
        h = hdul[index]
        header = h.header
        data = np.asarray(h.data)
        info = hdul.fileinfo(index)
    with fits.open(path, do_not_scale_image_data=True) as hdul:
        stored = np.asarray(hdul[index].data)
        bitpix = int(hdul[index].header['BITPIX'])  # as stored: the scaled header says -32
    shape = data.shape
    height, width = shape[-2], shape[-1]
    flat = data.reshape(-1)
    stored = stored.reshape(-1)
    masked = np.zeros(flat.shape, dtype=bool)
    if bitpix > 0 and 'BLANK' in header:
        masked |= stored == header['BLANK']
    if flat.dtype.kind == 'f':
        with np.errstate(over='ignore'):
            masked |= ~np.isfinite(flat.astype(np.float32))
    if bitpix == 64 and float(header.get('BSCALE', 1)) == 1 and isinstance(header.get('BZERO', 0), int):
        # astropy turns int64 data with BLANK into float64, rounding each value once already; the
        # exact integers are its unscaled read plus the integer BZERO.
        flat = np.array([int(v) + header.get('BZERO', 0) for v in stored.tolist()], dtype=object)
    values = []
    for v, m in zip(flat.tolist(), masked.tolist()):
        if m:
            values.append(None)
        elif isinstance(v, int) and abs(v) > 2**24:
            values.append(float32_nearest(v))  # float32 is what readFits returns
        else:
            values.append(v)
    finite32 = [float(np.float32(v)) for v in values if v is not None]
    meta = {k: header[k] for k in ('OBJECT', 'TELESCOP', 'INSTRUME', 'FILTER', 'BUNIT', 'EXTNAME') if k in header}
    return {
        'file': name,
        'hdu': hdu_option,
        'index': index,
        'width': int(width),
        'height': int(height),
        'bitpix': bitpix,
        'values': values,
        'masked': int(masked.sum()),
        'sum': float(np.sum(np.array(finite32, dtype=np.float64))),
        'pixelScale': pixel_scale(header),
        'dataStart': int(info['datLoc']),
        'dataBytes': abs(bitpix) // 8 * flat.size,
        'tolerance': tolerance,
        'meta': meta,
    }


cases = [
    expect('uint8_scaled.fits'),
    expect('int16_bzero_blank.fits'),
    expect('int16_scaled.fits', tolerance='float32'),
    expect('int32.fits'),
    expect('int64_uint.fits'),
    expect('int64_blank.fits'),
    expect('float32_nan.fits'),
    expect('float64.fits'),
    expect('primary_empty_image_ext.fits'),
    expect('bintable_then_image.fits'),
    expect('two_images_sci.fits'),
    expect('two_images_sci.fits', 'SCI'),
    expect('two_images_sci.fits', 1),
    expect('cube_1hw.fits'),
    expect('cd_matrix.fits'),
    expect('cdelt_only.fits'),
    expect('pixscale_only.fits'),
]
with open(os.path.join(OUT, 'expected.json'), 'w') as f:
    # One case per line keeps the file small and its diffs readable.
    f.write(f'{{"generator": "scripts/make-fits-fixtures.py", "astropy": "{astropy.__version__}", "cases": [\n')
    f.write(',\n'.join(json.dumps(c, allow_nan=False) for c in cases))
    f.write('\n]}\n')

total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
print(f'wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.normpath(OUT)}', file=sys.stderr)
