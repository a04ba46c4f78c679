/**
 * Writer for NumPy's .npy format, version 1.0, dtype '<f4', C order: what numpy.load reads back as
 * a float32 array. The header is kept separate from the data so large files can be streamed: write
 * `npyHeader(shape)` first, then the float32 values in little-endian order, in chunks.
 */
import { DarklensError } from '../errors.js';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Data after the header starts at a multiple of this, as numpy itself aligns it. */
const ALIGNMENT = 64;

function checkShape(shape: readonly number[]): number {
  let product = 1;
  for (const n of shape) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new DarklensError(
        'invalid_argument',
        `NPY shape [${shape.join(', ')}] holds ${String(n)}; accepted: non-negative integers`,
      );
    }
    product *= n;
  }
  if (!Number.isSafeInteger(product)) {
    throw new DarklensError(
      'invalid_argument',
      `NPY shape [${shape.join(', ')}] has ${product} elements; accepted: at most ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  return product;
}

/**
 * The complete .npy v1.0 preamble for a C-ordered array of `shape` (float32, '<f4', unless `descr`
 * names another dtype): magic, version, header length and the header dict, padded with spaces and
 * ended by '\n' so that the data starts at a multiple of 64 bytes. The number of data bytes that
 * must follow is itemsize*product(shape).
 */
export function npyHeader(shape: readonly number[], descr = '<f4'): Uint8Array {
  checkShape(shape);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // 10 preamble bytes + dict + padding + '\n' must be a multiple of ALIGNMENT.
  const unpadded = 10 + dict.length + 1;
  const padding = (ALIGNMENT - (unpadded % ALIGNMENT)) % ALIGNMENT;
  const headerLength = dict.length + padding + 1;
  if (headerLength > 0xffff) {
    throw new DarklensError(
      'invalid_argument',
      `NPY header for shape [${shape.join(', ')}] would be ${headerLength} bytes; accepted: up to 65535 (format 1.0)`,
    );
  }
  const out = new Uint8Array(10 + headerLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, headerLength & 0xff, headerLength >> 8]);
  for (let i = 0; i < dict.length; i++) out[10 + i] = dict.charCodeAt(i);
  out.fill(0x20, 10 + dict.length, out.length - 1);
  out[out.length - 1] = 0x0a;
  return out;
}

/**
 * A complete .npy file (v1.0, '<f4', C order) holding `data` with the given shape. Values are written
 * little-endian whatever the host's byte order. Throws 'invalid_argument' when data.length is not
 * the product of the shape.
 */
export function writeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = checkShape(shape);
  if (data.length !== count) {
    throw new DarklensError(
      'invalid_argument',
      `NPY data holds ${data.length} values but shape [${shape.join(', ')}] needs ${count}; accepted: data.length equal to the product of the shape`,
    );
  }
  const header = npyHeader(shape);
  const out = new Uint8Array(header.length + 4 * data.length);
  out.set(header);
  if (HOST_LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  } else {
    const view = new DataView(out.buffer, header.length, 4 * data.length);
    for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i] as number, true);
  }
  return out;
}
