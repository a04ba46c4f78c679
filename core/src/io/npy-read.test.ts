import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readNpy } from './npy-read.js';
import { codeOf, errorOf, expectEveryCutTruncated } from '../../../test/helpers/cutout-errors.js';

const FIXTURES = new URL('../../test-fixtures/npy/', import.meta.url);

interface Accepted {
  shape: number[];
  count: number;
  height: number;
  width: number;
  dtype: string;
  version: string;
  masked: number;
  values: (number | null)[];
}
const expected = JSON.parse(readFileSync(new URL('expected.json', FIXTURES), 'utf8')) as {
  accepted: Record<string, Accepted>;
  rejected: Record<string, string>;
};

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, FIXTURES)));
}

/** Builds an .npy file from header text and data bytes, padding the header like numpy does. */
function makeNpy(header: string, data: Uint8Array | number[], options: { version?: 1 | 2 | 3; pad?: boolean } = {}): Uint8Array {
  const version = options.version ?? 1;
  const pre = version === 1 ? 10 : 12;
  let text = header;
  if (options.pad ?? true) {
    text += ' '.repeat((64 - ((pre + text.length + 1) % 64)) % 64) + '\n';
  }
  const out = new Uint8Array(pre + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[pre + i] = text.charCodeAt(i);
  out.set(data, pre + text.length);
  return out;
}

function f32le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

describe('readNpy against numpy', () => {
  for (const [name, want] of Object.entries(expected.accepted)) {
    it(`reads ${name} as numpy does`, () => {
      const stack = readNpy(fixture(name));
      expect(stack.format).toBe('npy');
      expect([stack.count, stack.height, stack.width]).toEqual([want.count, want.height, want.width]);
      expect(stack.meta.dtype).toBe(want.dtype);
      expect(stack.meta.npyVersion).toBe(want.version);
      expect(stack.meta.shape).toBe(`(${want.shape.join(', ')})`);
      expect(stack.data).toBeInstanceOf(Float32Array);
      expect(stack.data.length).toBe(want.values.length);
      expect(stack.masked).toBe(want.masked);
      want.values.forEach((v, i) => {
        const got = stack.data[i];
        if (v === null) expect(got, `pixel ${i}`).toBeNaN();
        else expect(Object.is(got, Math.fround(v)), `pixel ${i}: ${got} vs ${v}`).toBe(true);
      });
    });
  }

  it('covers every accepted dtype in both byte orders, every shape and every header version', () => {
    const names = Object.keys(expected.accepted);
    for (const n of ['f4-le', 'f4-be', 'f8-le', 'f8-be', 'u1', 'i2-le', 'i2-be', 'i4-le', 'i4-be', 'v2', 'v3']) {
      expect(names).toContain(`${n}.npy`);
    }
    const ranks = new Set(Object.values(expected.accepted).map((a) => a.shape.length));
    expect([...ranks].sort()).toEqual([2, 3, 4, 5]);
  });

  for (const [name, code] of Object.entries(expected.rejected)) {
    it(`rejects ${name} with '${code}'`, () => {
      const e = errorOf(() => readNpy(fixture(name)));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(/accepted/);
    });
  }

  it('gives Fortran-order files a fix in the message', () => {
    expect(errorOf(() => readNpy(fixture('fortran.npy'))).message).toMatch(/ascontiguousarray|order='C'/);
  });

  it('names the accepted dtypes and shapes in its messages', () => {
    const dtype = errorOf(() => readNpy(fixture('c8.npy'))).message;
    expect(dtype).toContain("'<c8'");
    expect(dtype).toMatch(/float32, float64, uint8, int16, int32/);
    expect(errorOf(() => readNpy(fixture('rank1.npy'))).message).toMatch(/\(N, 1, H, W\)/);
  });

  it('reads the same values from an unaligned view (DataView path)', () => {
    for (const name of ['f4-le.npy', 'f8-le.npy', 'i2-le.npy', 'i4-be.npy']) {
      const bytes = fixture(name);
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      const a = readNpy(bytes);
      const b = readNpy(shifted.subarray(1));
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
      expect(b.masked).toBe(a.masked);
    }
  });
});

describe('readNpy header parsing', () => {
  const data6 = f32le([1, 2, 3, 4, 5, 6]);

  it.each([
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"],
    ["{'descr':'<f4','fortran_order':False,'shape':(2,3)}"],
    ['{ "shape" : ( 2 , 3 , ) , "descr" : "<f4" , "fortran_order" : False }'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }"],
    ["{'descr': '<f4',\t'fortran_order': False,\n 'shape': (2, 3),}"],
  ])('accepts %s', (header) => {
    const stack = readNpy(makeNpy(header, data6));
    expect([stack.count, stack.height, stack.width]).toEqual([1, 2, 3]);
    expect(Array.from(stack.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('accepts a header without padding and with data at an odd offset', () => {
    const stack = readNpy(makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", data6, { pad: false }));
    expect(Array.from(stack.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('accepts uint8 with any byte-order mark', () => {
    for (const descr of ['|u1', '<u1', '>u1']) {
      const stack = readNpy(makeNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (1, 3), }`, [0, 128, 255]));
      expect(Array.from(stack.data)).toEqual([0, 128, 255]);
    }
  });

  it('turns +-Inf into masked NaN and keeps NaN masked', () => {
    const stack = readNpy(
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), }", f32le([1, NaN, Infinity, -Infinity])),
    );
    expect(stack.data[0]).toBe(1);
    expect(Array.from(stack.data.subarray(1)).every(Number.isNaN)).toBe(true);
    expect(stack.masked).toBe(3);
  });

  it('reads v2.0 and v3.0 preambles with 4-byte header lengths', () => {
    for (const version of [2, 3] as const) {
      const stack = readNpy(makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data6, { version }));
      expect(stack.meta.npyVersion).toBe(`${version}.0`);
      expect(Array.from(stack.data)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it.each([
    ["['descr', '<f4']", 'bad_header'],
    ["{'descr': '<f4', 'fortran_order': False}", 'bad_header'],
    ["{'descr': '<f4', 'shape': (2, 3)}", 'bad_header'],
    ["{'fortran_order': False, 'shape': (2, 3)}", 'bad_header'],
    ["{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}", 'bad_header'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", 'bad_header'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", 'bad_header'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2.0, 3)}", 'bad_header'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} extra", 'bad_header'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", 'bad_header'],
    ["{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}", 'bad_header'],
    ["{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}", 'bad_header'],
    ["{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 'bad_header'],
    ["{'descr': __import__('os'), 'fortran_order': False, 'shape': (2, 3)}", 'bad_header'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (6)}", 'bad_header'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': " + '('.repeat(5000) + ')'.repeat(5000) + '}', 'bad_header'],
    ['', 'bad_header'],
    ["{'descr': '=f4', 'fortran_order': False, 'shape': (2, 3)}", 'unsupported_dtype'],
    ["{'descr': '|f4', 'fortran_order': False, 'shape': (2, 3)}", 'unsupported_dtype'],
    ["{'descr': 'float32', 'fortran_order': False, 'shape': (2, 3)}", 'unsupported_dtype'],
    ["{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2, 3)}", 'unsupported_dtype'],
    ["{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3)}", 'unsupported_layout'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", 'bad_shape'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': ()}", 'bad_shape'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 0)}", 'bad_shape'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 1, 1, 1, 3)}", 'bad_shape'],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 1, 2)}", 'bad_shape'],
  ])('rejects %s with %s', (header, code) => {
    const e = errorOf(() => readNpy(makeNpy(header, data6)));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(/accepted/);
  });

  it('rejects unsupported versions', () => {
    const good = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data6);
    for (const [major, minor] of [
      [0, 0],
      [1, 1],
      [4, 0],
    ] as const) {
      const bad = good.slice();
      bad[6] = major;
      bad[7] = minor;
      const e = errorOf(() => readNpy(bad));
      expect(e.code).toBe('bad_header');
      expect(e.message).toMatch(/1\.0, 2\.0, 3\.0/);
    }
  });

  it('rejects files that do not start with the magic', () => {
    const good = fixture('f4-le.npy');
    for (const bad of [new TextEncoder().encode('hello world'), good.subarray(1), Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x5a)]) {
      expect(codeOf(() => readNpy(bad))).toBe('bad_magic');
    }
  });

  it('rejects data longer than the header says, as a mismatched header', () => {
    const good = fixture('shape-hw.npy');
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    const e = errorOf(() => readNpy(longer));
    expect(e.code).toBe('bad_header');
    expect(e.message).toMatch(/needs only/);
  });

  it('rejects a header length running past the end of the file', () => {
    const bytes = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data6);
    new DataView(bytes.buffer).setUint16(8, 60000, true);
    expect(codeOf(() => readNpy(bytes))).toBe('truncated');
    const v2 = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data6, { version: 2 });
    new DataView(v2.buffer).setUint32(8, 0xffffffff, true);
    expect(codeOf(() => readNpy(v2))).toBe('truncated');
  });
});

describe('readNpy truncation and limits', () => {
  it('reports every truncation of every accepted fixture as truncated', () => {
    for (const name of Object.keys(expected.accepted)) {
      const bytes = fixture(name);
      expectEveryCutTruncated(bytes, readNpy, name);
    }
  });

  it('rejects an absurd shape before allocating anything', () => {
    const bytes = makeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000, 100000000), }", data6());
    const e = errorOf(() => readNpy(bytes));
    expect(e.code).toBe('too_large');
    const huge = makeNpy(`{'descr': '<f4', 'fortran_order': False, 'shape': (${'9'.repeat(40)}, 2, 2), }`, data6());
    expect(codeOf(() => readNpy(huge))).toBe('too_large');
    function data6(): Uint8Array {
      return f32le([1, 2, 3, 4, 5, 6]);
    }
  });

  it('applies maxSide to height and width and maxPixels to the whole stack', () => {
    const nhw = fixture('shape-nhw.npy'); // (3, 5, 7)
    expect(readNpy(nhw, { maxSide: 7, maxPixels: 105 }).count).toBe(3);
    expect(codeOf(() => readNpy(nhw, { maxSide: 6, maxPixels: 1000 }))).toBe('too_large');
    expect(codeOf(() => readNpy(nhw, { maxSide: 100, maxPixels: 104 }))).toBe('too_large');
  });

  it('throws only DarklensError on randomly corrupted files', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const names = Object.keys(expected.accepted);
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = fixture(names[trial % names.length] as string).slice();
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) {
        // Mostly hit the preamble and header, where the parsing happens.
        const at = Math.floor(random() * Math.min(bytes.length, random() < 0.8 ? 128 : bytes.length));
        bytes[at] = Math.floor(random() * 256);
      }
      codeOf(() => readNpy(bytes));
    }
  });
});
