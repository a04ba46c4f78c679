#!/usr/bin/python3
"""Writes the small PNG and JPEG fixtures under core/test-fixtures/raster/ and expected.json, used by
core/src/io/raster-read.test.ts.

Run from the repository root with Debian's python3 (it has numpy and Pillow):
    /usr/bin/python3 scripts/make-raster-fixtures.py

PNG: most files are written by the small encoder below, which can produce every colour type, bit
depth and interlace method and cycles through all five scanline filters (Pillow's writer cannot do
sub-8-bit grey or Adam7). Every file is read back with Pillow and checked against the samples it
was made from, so a mistake in the encoder fails here instead of ending up in the fixtures. A few
files are written by Pillow itself, as a real-world encoder.
JPEG: written by Pillow (libjpeg); the expected values are Pillow's own decoding.

expected.json: {"png": {file: {...}}, "jpeg": {file: {...}}}, each with width, height and either
"grey" (one sample per pixel) or "rgb" (three per pixel), plus "max" (the sample maximum) for PNG.
Tests turn samples into the documented grey value: grey/max or (0.299 R + 0.587 G + 0.114 B)/max.
"""
import io
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'core', 'test-fixtures', 'raster')
os.makedirs(OUT, exist_ok=True)
for name in os.listdir(OUT):
    if name.endswith(('.png', '.jpg')) or name == 'expected.json':
        os.remove(os.path.join(OUT, name))

rng = np.random.default_rng(7)
expected = {'png': {}, 'jpeg': {}}

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(pixels, depth):
    """pixels: list of sample tuples. Returns the unfiltered scanline bytes."""
    samples = [s for p in pixels for s in p]
    if depth == 16:
        return b''.join(struct.pack('>H', s) for s in samples)
    if depth == 8:
        return bytes(samples)
    out = bytearray()
    acc = 0
    nbits = 0
    for s in samples:
        acc = (acc << depth) | s
        nbits += depth
        if nbits == 8:
            out.append(acc)
            acc = 0
            nbits = 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def apply_filter(kind, line, prev, bpp):
    out = bytearray(len(line))
    for i, x in enumerate(line):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][kind]
        out[i] = (x - pred) & 0xFF
    return bytes(out)


def encode_png(samples, depth, color_type, interlace=False, palette=None, trns=None, idat_split=37):
    """samples: int array (H, W, C). Filters cycle 0..4 over the scanlines."""
    height, width, channels = samples.shape
    bpp = max(1, depth * channels // 8)
    raw = bytearray()
    row_count = 0
    for x0, y0, dx, dy in ADAM7 if interlace else [(0, 0, 1, 1)]:
        xs = range(x0, width, dx)
        ys = range(y0, height, dy)
        if not xs or not ys:
            continue
        prev = None
        for y in ys:
            line = pack_row([tuple(int(v) for v in samples[y, x]) for x in xs], depth)
            if prev is None:
                prev = bytes(len(line))
            kind = row_count % 5
            row_count += 1
            raw += bytes([kind]) + apply_filter(kind, line, prev, bpp)
            prev = line
    png = b'\x89PNG\r\n\x1a\n'
    png += chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, depth, color_type, 0, 0, 1 if interlace else 0))
    png += chunk(b'tEXt', b'Comment\x00darklens test fixture')
    if palette is not None:
        png += chunk(b'PLTE', bytes(int(v) for rgb in palette for v in rgb))
    if trns is not None:
        png += chunk(b'tRNS', bytes(trns))
    data = zlib.compress(bytes(raw), 9)
    for i in range(0, len(data), idat_split):  # several IDAT chunks
        png += chunk(b'IDAT', data[i:i + idat_split])
    png += chunk(b'IEND', b'')
    return png


def pillow_view(path, depth, color_type):
    """Pillow's reading as an int array (H, W, C) comparable with our samples, or None."""
    im = Image.open(path)
    im.load()
    a = np.array(im).astype(np.int64)
    if a.ndim == 2:
        a = a[:, :, None]
    if color_type == 0 and depth < 8:
        # Pillow returns mode '1' (0/255... or bool) or 'L' scaled to 0..255.
        if im.mode == '1':
            a = a.astype(bool).astype(np.int64)
        else:
            a = a * ((1 << depth) - 1) // 255
    elif depth == 16 and color_type != 0:
        if color_type == 4 and im.mode == 'RGBA':  # Pillow reads 16-bit grey+alpha as RGBA
            a = a[:, :, [0, 3]]
        return a, 8  # Pillow keeps only the high byte of 16-bit colour
    return a, 0


def add_png(name, samples, depth, color_type, interlace=False, palette=None, trns=None):
    png = encode_png(samples, depth, color_type, interlace, palette, trns)
    path = os.path.join(OUT, name)
    with open(path, 'wb') as f:
        f.write(png)
    view, shift = pillow_view(path, depth, color_type)
    mine = samples >> shift
    if color_type in (4, 6) and view.shape[2] != mine.shape[2]:
        raise SystemExit('%s: Pillow sees %d channels, expected %d' % (name, view.shape[2], mine.shape[2]))
    if not np.array_equal(view, mine):
        raise SystemExit('%s: Pillow reads different samples than were encoded' % name)
    record(name, samples, depth, color_type, interlace, palette)


def record(name, samples, depth, color_type, interlace, palette):
    height, width, _ = samples.shape
    entry = {'width': width, 'height': height, 'colorType': color_type, 'bitDepth': depth,
             'interlaced': interlace, 'max': (1 << depth) - 1 if color_type != 3 else 255}
    if color_type == 3:
        entry['rgb'] = [int(v) for i in samples[:, :, 0].ravel() for v in palette[i]]
    elif color_type in (0, 4):
        entry['grey'] = [int(v) for v in samples[:, :, 0].ravel()]
    else:
        entry['rgb'] = [int(v) for v in samples[:, :, :3].ravel()]
    expected['png'][name] = entry


def random_samples(h, w, c, depth):
    return rng.integers(0, 1 << depth, size=(h, w, c), dtype=np.int64)


H, W = 11, 13  # odd sizes: partial bytes at the end of sub-8-bit rows, partial Adam7 passes

for depth in (1, 2, 4, 8, 16):
    add_png('grey%d.png' % depth, random_samples(H, W, 1, depth), depth, 0)
for depth in (1, 4, 8, 16):
    add_png('grey%d-adam7.png' % depth, random_samples(H, W, 1, depth), depth, 0, interlace=True)
add_png('grey8-adam7-3x2.png', random_samples(2, 3, 1, 8), 8, 0, interlace=True)  # several empty passes
add_png('grey8-1x1.png', random_samples(1, 1, 1, 8), 8, 0)
for depth in (8, 16):
    add_png('greyalpha%d.png' % depth, random_samples(H, W, 2, depth), depth, 4)
    add_png('rgb%d.png' % depth, random_samples(H, W, 3, depth), depth, 2)
    add_png('rgba%d.png' % depth, random_samples(H, W, 4, depth), depth, 6)
add_png('rgb16-adam7.png', random_samples(H, W, 3, 16), 16, 2, interlace=True)
add_png('rgba8-adam7.png', random_samples(H, W, 4, 8), 8, 6, interlace=True)
for depth in (1, 2, 4, 8):
    entries = min(1 << depth, 20)
    palette = rng.integers(0, 256, size=(entries, 3)).tolist()
    idx = rng.integers(0, entries, size=(H, W, 1), dtype=np.int64)
    add_png('palette%d.png' % depth, idx, depth, 3, palette=palette)
palette = rng.integers(0, 256, size=(4, 3)).tolist()
add_png('palette2-adam7-trns.png', rng.integers(0, 4, size=(H, W, 1), dtype=np.int64), 2, 3, interlace=True,
        palette=palette, trns=[0, 128])

# Written by Pillow: its own filter choices and compression.
yy, xx = np.mgrid[0:24, 0:20]
smooth = 128 + 100 * np.sin(xx / 4.0) * np.cos(yy / 5.0)
for name, mode, data in [
    ('pillow-l.png', 'L', smooth.astype(np.uint8)),
    ('pillow-i16.png', 'I;16', (smooth * 200).astype(np.uint16)),
    ('pillow-rgb.png', 'RGB', np.stack([smooth, smooth[::-1], 255 - smooth], axis=2).astype(np.uint8)),
]:
    path = os.path.join(OUT, name)
    Image.fromarray(data, mode).save(path)
    im = Image.open(path)
    samples = np.array(im).astype(np.int64)
    if samples.ndim == 2:
        samples = samples[:, :, None]
    depth = 16 if mode == 'I;16' else 8
    record(name, samples, depth, 2 if mode == 'RGB' else 0, False, None)
pimg = Image.fromarray(np.stack([smooth, smooth[::-1], 255 - smooth], axis=2).astype(np.uint8), 'RGB').quantize(16)
pimg.save(os.path.join(OUT, 'pillow-p.png'))
pim = Image.open(os.path.join(OUT, 'pillow-p.png'))
pal = np.array(pim.getpalette()[:3 * 256]).reshape(-1, 3).tolist()
with open(os.path.join(OUT, 'pillow-p.png'), 'rb') as f:
    pillow_depth = f.read(25)[24]  # IHDR bit depth: Pillow packs a 16-colour palette into 4 bits
record('pillow-p.png', np.array(pim).astype(np.int64)[:, :, None], pillow_depth, 3, False, pal)

# JPEG, written and decoded by Pillow.
def add_jpeg(name, image, **options):
    buf = io.BytesIO()
    image.save(buf, 'JPEG', **options)
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(buf.getvalue())
    back = Image.open(os.path.join(OUT, name))
    back.load()
    a = np.array(back).astype(np.int64)
    entry = {'width': back.width, 'height': back.height, 'components': len(back.getbands()),
             'progressive': bool(options.get('progressive', False))}
    if a.ndim == 2:
        entry['grey'] = [int(v) for v in a.ravel()]
    else:
        entry['rgb'] = [int(v) for v in a.ravel()]
    expected['jpeg'][name] = entry


yy, xx = np.mgrid[0:13, 0:17]
blob = 60 + 120 * np.exp(-((xx - 8) ** 2 + (yy - 6) ** 2) / 18.0) + 3 * xx
add_jpeg('grey.jpg', Image.fromarray(blob.astype(np.uint8), 'L'), quality=95)
rgb = np.stack([blob, blob * 0.8 + 20, 255 - blob], axis=2).astype(np.uint8)
add_jpeg('rgb420.jpg', Image.fromarray(rgb, 'RGB'), quality=95, subsampling=2)
add_jpeg('rgb-progressive.jpg', Image.fromarray(rgb, 'RGB'), quality=90, subsampling=0, progressive=True)


def entries(d):
    return ',\n'.join('  %s: %s' % (json.dumps(k), json.dumps(v)) for k, v in sorted(d.items()))


with open(os.path.join(OUT, 'expected.json'), 'w') as f:
    f.write('{\n "png": {\n%s\n },\n "jpeg": {\n%s\n }\n}\n' % (entries(expected['png']), entries(expected['jpeg'])))
print('wrote %d PNG and %d JPEG fixtures to %s' % (len(expected['png']), len(expected['jpeg']), os.path.normpath(OUT)))
