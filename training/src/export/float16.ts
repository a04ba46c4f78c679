/** float32 -> IEEE 754 half precision, round to nearest even (subnormals, infinities and NaN kept). */
export function float16Bits(v: number): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = v;
  const x = u[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** Little-endian float32 bytes -> little-endian float16 bytes. */
export function toFloat16Bytes(f32: Uint8Array): Uint8Array {
  const n = f32.length / 4;
  const src = new DataView(f32.buffer, f32.byteOffset, f32.byteLength);
  const out = new Uint8Array(n * 2);
  const dst = new DataView(out.buffer);
  for (let i = 0; i < n; i++) dst.setUint16(i * 2, float16Bits(src.getFloat32(i * 4, true)), true);
  return out;
}
