import { describe, expect, it } from 'vitest';
import { decodeChunkInput, encodeChunkInput } from './manifest.js';

describe('chunk inputs', () => {
  it('encode files given whole or in parts alike, and decode back to the files', () => {
    const a = Uint8Array.of(1, 2, 3);
    const b = Uint8Array.of(4, 5, 6, 7, 8);
    const whole = encodeChunkInput({ kind: 'files', files: [{ name: 'a.fits', bytes: a }, { name: 's.npy', bytes: b, first: 256 }] });
    const parts = encodeChunkInput({ kind: 'files', files: [{ name: 'a.fits', parts: [a] }, { name: 's.npy', parts: [b.subarray(0, 2), b.subarray(2)], first: 256 }] });
    expect(parts).toEqual(whole);
    expect(decodeChunkInput(parts)).toEqual({ kind: 'files', files: [{ name: 'a.fits', bytes: a }, { name: 's.npy', bytes: b, first: 256 }] });
  });

  it('encode object keys', () => {
    expect(decodeChunkInput(encodeChunkInput({ kind: 'keys', keys: ['x/1.fits', 'x/2.fits'] }))).toEqual({ kind: 'keys', keys: ['x/1.fits', 'x/2.fits'] });
  });
});
