/**
 * CRC-32 as used by gzip (RFC 1952) and PNG chunks (ISO-HDLC: reflected polynomial 0xEDB88320,
 * initial value and final XOR 0xFFFFFFFF), table-driven.
 */

const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * Continues a CRC-32 over `bytes[start, end)` (default: all of `bytes`); start with crc = 0. The
 * result, an unsigned 32-bit number, is the CRC of everything fed so far and can be fed back in.
 */
export function crc32Update(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** The CRC-32 of `bytes[start, end)` (default: all of `bytes`). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32Update(0, bytes, start, end);
}
