import { describe, expect, it } from 'vitest';
import { crc32, crc32Update } from './crc32.js';

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe('crc32', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
  });

  it('is 0 for no bytes', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32Update(0, ascii('abc'), 2, 2)).toBe(0);
  });

  it('covers only the given byte range', () => {
    const bytes = ascii('xx123456789yy');
    expect(crc32(bytes, 2, 11)).toBe(0xcbf43926);
    expect(crc32Update(0, bytes, 2, 11)).toBe(0xcbf43926);
  });

  it('continues over chunks to the one-shot value', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 131 + 7) & 0xff);
    const whole = crc32(bytes);
    for (const split of [0, 1, 499, 999, 1000]) {
      const first = crc32Update(0, bytes.subarray(0, split));
      expect(crc32Update(first, bytes.subarray(split)), `split at ${split}`).toBe(whole);
      expect(crc32Update(crc32(bytes, 0, split), bytes, split), `split at ${split}, ranges`).toBe(whole);
    }
    expect(crc32Update(crc32(ascii('1234')), ascii('56789'))).toBe(0xcbf43926);
  });
});
