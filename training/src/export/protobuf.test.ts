import { describe, expect, it } from 'vitest';
import { float16Bits, toFloat16Bytes } from './float16.js';
import { ProtoWriter } from './protobuf.js';

describe('ProtoWriter', () => {
  it('writes tags, varints (10 bytes for negatives), fixed32 floats and length-delimited fields', () => {
    expect([...new ProtoWriter().int(1, 150).finish()]).toEqual([0x08, 0x96, 0x01]); // the protobuf docs' example
    expect([...new ProtoWriter().int(2, -1).finish()]).toEqual([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect([...new ProtoWriter().float(2, 1).finish()]).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    expect([...new ProtoWriter().string(2, 'testing').finish()]).toEqual([0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
    expect([...new ProtoWriter().message(3, (w) => w.int(1, 150)).finish()]).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
    expect([...new ProtoWriter().packedInts(4, [3, 270, 86942]).finish()]).toEqual([0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]);
    expect(() => new ProtoWriter().int(1, 1.5)).toThrow(/integer/);
  });
});

describe('float16', () => {
  it('rounds to nearest even and keeps subnormals, infinities and NaN', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00); // rounds up to infinity
    expect(float16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float16Bits(2 ** -26)).toBe(0x0000);
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(float16Bits(Infinity)).toBe(0x7c00);
    expect(float16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(float16Bits(Number.NaN) & 0x3ff).not.toBe(0);
    const f32 = new Uint8Array(8);
    new DataView(f32.buffer).setFloat32(0, 0.5, true);
    new DataView(f32.buffer).setFloat32(4, -0.25, true);
    expect([...toFloat16Bytes(f32)]).toEqual([0x00, 0x38, 0x00, 0xb4]);
  });
});
