#!/usr/bin/python3
"""Writes the tiny .npy fixtures under core/test-fixtures/npy/ and expected.json with numpy's own
reading of them, so core/src/io/npy-read.test.ts compares readNpy against numpy rather than against
numbers typed by hand.

Run from the repository root with Debian's python3 (it has numpy):
    /usr/bin/python3 scripts/make-npy-fixtures.py

expected.json:
  accepted: file -> {shape, count, height, width, dtype, version, masked, values}
            values are numpy's reading cast to float32 (np.load(f).astype(np.float32)), flattened in
            C order, with NaN/+-Inf written as null (they are masked pixels).
  rejected: file -> the DarklensError code readNpy must throw.
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'core', 'test-fixtures', 'npy')
os.makedirs(OUT, exist_ok=True)
for name in os.listdir(OUT):
    if name.endswith('.npy') or name == 'expected.json':
        os.remove(os.path.join(OUT, name))

rng = np.random.default_rng(20240521)
accepted = {}
rejected = {}


def save(name, array, version=None):
    path = os.path.join(OUT, name)
    with open(path, 'wb') as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=True)
    return path


def accept(name, array, count, height, width, dtype, version=None):
    path = save(name, array, version)
    loaded = np.load(path)
    with np.errstate(over='ignore', invalid='ignore'):
        as32 = loaded.astype(np.float32)
    flat = as32.ravel(order='C')
    values = [float(v) if np.isfinite(v) else None for v in flat]
    accepted[name] = {
        'shape': list(loaded.shape),
        'count': count,
        'height': height,
        'width': width,
        'dtype': dtype,
        'version': '%d.%d' % (version or (1, 0)),
        'masked': sum(1 for v in values if v is None),
        'values': values,
    }


def reject(name, array, code, version=None):
    save(name, array, version)
    rejected[name] = code


# Every accepted dtype in both byte orders, shape (3, 4).
floats = np.array(
    [[0.0, -1.5, 3.25, 1e-3], [np.nan, np.inf, -np.inf, 123456.789], [-0.0, 1e30, -2.5e-7, 0.1]]
)
accept('f4-le.npy', floats.astype('<f4'), 1, 3, 4, 'float32')
accept('f4-be.npy', floats.astype('>f4'), 1, 3, 4, 'float32')
f8 = floats.copy()
f8[2, 1] = 1e300  # beyond float32: becomes inf when cast, so masked
f8[0, 3] = 0.1 + 1e-12  # needs rounding to float32
accept('f8-le.npy', f8.astype('<f8'), 1, 3, 4, 'float64')
accept('f8-be.npy', f8.astype('>f8'), 1, 3, 4, 'float64')
accept('u1.npy', np.array([[0, 1, 127, 128], [200, 254, 255, 3], [9, 10, 11, 12]], dtype='|u1'), 1, 3, 4, 'uint8')
i2 = np.array([[-32768, -1, 0, 1], [32767, 1000, -1000, 7], [256, -256, 255, -255]])
accept('i2-le.npy', i2.astype('<i2'), 1, 3, 4, 'int16')
accept('i2-be.npy', i2.astype('>i2'), 1, 3, 4, 'int16')
i4 = np.array([[-2147483648, -1, 0, 1], [2147483647, 16777217, -16777217, 7], [65536, -65536, 123456789, -5]])
accept('i4-le.npy', i4.astype('<i4'), 1, 3, 4, 'int32')
accept('i4-be.npy', i4.astype('>i4'), 1, 3, 4, 'int32')

# Every accepted shape.
accept('shape-hw.npy', rng.normal(size=(5, 7)).astype('<f4'), 1, 5, 7, 'float32')
accept('shape-nhw.npy', rng.normal(size=(3, 5, 7)).astype('<f4'), 3, 5, 7, 'float32')
accept('shape-n1hw.npy', rng.normal(size=(3, 1, 5, 7)).astype('<f4'), 3, 5, 7, 'float32')
accept('shape-bb1hw.npy', rng.normal(size=(2, 3, 1, 5, 7)).astype('>f8'), 6, 5, 7, 'float64')
accept('shape-1x1.npy', np.array([[42.5]], dtype='<f4'), 1, 1, 1, 'float32')
accept('shape-1hw.npy', rng.normal(size=(1, 4, 6)).astype('<i2'), 1, 4, 6, 'int16')

# Newer header versions (4-byte header length).
accept('v2.npy', rng.normal(size=(2, 3)).astype('<f4'), 1, 2, 3, 'float32', version=(2, 0))
accept('v3.npy', rng.normal(size=(2, 2, 3)).astype('>i4'), 2, 2, 3, 'int32', version=(3, 0))

# Valid .npy files readNpy must refuse.
reject('fortran.npy', np.asfortranarray(rng.normal(size=(3, 4)).astype('<f4')), 'unsupported_layout')
reject('c8.npy', np.zeros((3, 4), dtype='<c8'), 'unsupported_dtype')
reject('i8.npy', np.zeros((3, 4), dtype='<i8'), 'unsupported_dtype')
reject('f2.npy', np.zeros((3, 4), dtype='<f2'), 'unsupported_dtype')
reject('b1.npy', np.zeros((3, 4), dtype='|b1'), 'unsupported_dtype')
reject('u2.npy', np.zeros((3, 4), dtype='<u2'), 'unsupported_dtype')
reject('structured.npy', np.zeros((3,), dtype=[('x', '<f4'), ('y', '<i2')]), 'unsupported_dtype')
reject('object.npy', np.array([[1, 'a']], dtype=object), 'unsupported_dtype')
reject('rank0.npy', np.array(1.5, dtype='<f4'), 'bad_shape')
reject('rank1.npy', np.zeros((64,), dtype='<f4'), 'bad_shape')
reject('rank4-rgb.npy', np.zeros((2, 3, 4, 4), dtype='<f4'), 'bad_shape')
reject('rank5-rgb.npy', np.zeros((2, 2, 3, 4, 4), dtype='<f4'), 'bad_shape')
reject('rank6.npy', np.zeros((1, 1, 1, 1, 4, 4), dtype='<f4'), 'bad_shape')
reject('empty-axis.npy', np.zeros((0, 4, 4), dtype='<f4'), 'bad_shape')

def entries(d):
    return ',\n'.join('  %s: %s' % (json.dumps(k), json.dumps(v, allow_nan=False)) for k, v in sorted(d.items()))


with open(os.path.join(OUT, 'expected.json'), 'w') as f:
    # One line per fixture keeps the file short and its diffs readable.
    f.write('{\n "accepted": {\n%s\n },\n "rejected": {\n%s\n }\n}\n' % (entries(accepted), entries(rejected)))
print('wrote %d accepted and %d rejected fixtures to %s' % (len(accepted), len(rejected), os.path.normpath(OUT)))
