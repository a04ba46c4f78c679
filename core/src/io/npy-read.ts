/**
 * Reader for NumPy's .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 *
 * Accepted:
 * - format versions 1.0 (2-byte header length), 2.0 and 3.0 (4-byte header length);
 * - dtypes float32, float64, uint8, int16, int32 in either byte order
 *   (`<f4 >f4 <f8 >f8 |u1 <u1 >u1 <i2 >i2 <i4 >i4`);
 * - C order only (`fortran_order: False`);
 * - shapes (H, W) -> 1 image, (N, H, W) and (N, 1, H, W) -> N images, and the reference tool's
 *   (B, b, 1, H, W) -> B*b images, every axis at least 1.
 *
 * Pixels become float32. NaN pixels are masked and stay NaN; +/-Inf pixels are masked too and
 * become NaN, as do float64 values beyond the float32 range (they round to +/-Inf). `masked` counts
 * all of them.
 *
 * The data section must be exactly shape*itemsize bytes: a shorter file is 'truncated', a longer one
 * is rejected as 'bad_header' because extra bytes mean the header does not describe the data.
 */
import type { CutoutStack, DecodeLimits } from '../cutout.js';
import { DEFAULT_LIMITS } from '../cutout.js';
import { DarklensError } from '../errors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const ACCEPTED_DTYPES =
  'accepted: float32, float64, uint8, int16, int32 (either byte order: <f4 >f4 <f8 >f8 |u1 <i2 >i2 <i4 >i4)';
const ACCEPTED_SHAPES = 'accepted: (H, W), (N, H, W), (N, 1, H, W) or (B, b, 1, H, W), every axis at least 1';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type DtypeName = 'float32' | 'float64' | 'uint8' | 'int16' | 'int32';

interface Dtype {
  name: DtypeName;
  size: 1 | 2 | 4 | 8;
  littleEndian: boolean;
}

/** Python literal values that can appear in an .npy header. */
type PyValue = string | number | boolean | null | PyValue[] | PyTuple | PyDict;
interface PyTuple {
  tuple: PyValue[];
}
interface PyDict {
  dict: Map<string, PyValue>;
}

function isTuple(v: PyValue): v is PyTuple {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'tuple' in v;
}
function isDict(v: PyValue): v is PyDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'dict' in v;
}

const MAX_NESTING = 32;

/**
 * A small parser for the subset of Python literal syntax numpy writes into .npy headers:
 * dicts, tuples, lists, strings, integers, True/False/None. No eval.
 */
class LiteralParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseDocument(): PyValue {
    const value = this.parseValue(0);
    this.skipSpace();
    if (this.pos !== this.text.length) {
      throw this.error(`unexpected text after the header dict: '${this.excerpt()}'`);
    }
    return value;
  }

  private error(what: string): DarklensError {
    return new DarklensError(
      'bad_header',
      `NPY header is not a valid dict literal (${what} at character ${this.pos}); accepted: a header like ` +
        `{'descr': '<f4', 'fortran_order': False, 'shape': (64, 64), } as numpy.save writes it`,
    );
  }

  private excerpt(): string {
    return this.text.slice(this.pos, this.pos + 20).replace(/[^\x20-\x7e]/g, '?');
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text.charAt(this.pos))) this.pos++;
  }

  private parseValue(depth: number): PyValue {
    if (depth > MAX_NESTING) throw this.error('nesting too deep');
    this.skipSpace();
    const c = this.text.charAt(this.pos);
    if (c === '{') return this.parseDict(depth);
    if (c === '(') return this.parseSequence(depth, ')');
    if (c === '[') return this.parseSequence(depth, ']');
    if (c === "'" || c === '"') return this.parseString();
    if (c === '-' || c === '+' || (c >= '0' && c <= '9')) return this.parseInt();
    const word = /^[A-Za-z_]\w*/.exec(this.text.slice(this.pos, this.pos + 16));
    if (word) {
      this.pos += word[0].length;
      if (word[0] === 'True') return true;
      if (word[0] === 'False') return false;
      if (word[0] === 'None') return null;
      throw this.error(`unknown name '${word[0]}'`);
    }
    if (this.pos >= this.text.length) throw this.error('unexpected end of header');
    throw this.error(`unexpected character '${this.excerpt().charAt(0)}'`);
  }

  private parseDict(depth: number): PyDict {
    this.pos++; // {
    const dict = new Map<string, PyValue>();
    for (;;) {
      this.skipSpace();
      if (this.text.charAt(this.pos) === '}') {
        this.pos++;
        return { dict };
      }
      const key = this.parseValue(depth + 1);
      if (typeof key !== 'string') throw this.error('dict key is not a string');
      this.skipSpace();
      if (this.text.charAt(this.pos) !== ':') throw this.error("expected ':'");
      this.pos++;
      const value = this.parseValue(depth + 1);
      if (dict.has(key)) throw this.error(`duplicate key '${key}'`);
      dict.set(key, value);
      this.skipSpace();
      const sep = this.text.charAt(this.pos);
      if (sep === ',') {
        this.pos++;
      } else if (sep !== '}') {
        throw this.error("expected ',' or '}'");
      }
    }
  }

  private parseSequence(depth: number, close: ')' | ']'): PyValue {
    this.pos++; // ( or [
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.text.charAt(this.pos) === close) {
        this.pos++;
        break;
      }
      items.push(this.parseValue(depth + 1));
      this.skipSpace();
      const sep = this.text.charAt(this.pos);
      if (sep === ',') {
        this.pos++;
        sawComma = true;
      } else if (sep !== close) {
        throw this.error(`expected ',' or '${close}'`);
      }
    }
    if (close === ']') return items;
    // (x) without a comma is just a parenthesised value in Python, not a tuple.
    if (items.length === 1 && !sawComma) return items[0] as PyValue;
    return { tuple: items };
  }

  private parseString(): string {
    const quote = this.text.charAt(this.pos);
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) throw this.error('unterminated string');
      const c = this.text.charAt(this.pos++);
      if (c === quote) return out;
      if (c === '\\') {
        if (this.pos >= this.text.length) throw this.error('unterminated string');
        out += this.text.charAt(this.pos++);
      } else {
        out += c;
      }
    }
  }

  private parseInt(): number {
    // Python 2 era files may write longs as 3L.
    const m = /^[+-]?\d+[lL]?/.exec(this.text.slice(this.pos, this.pos + 64));
    if (!m) throw this.error('malformed number');
    this.pos += m[0].length;
    const next = this.text.charAt(this.pos);
    if (next === '.' || next === 'e' || next === 'E' || /\w/.test(next)) throw this.error('expected an integer');
    return Number(m[0].replace(/[lL]$/, ''));
  }
}

function parseDtype(descr: PyValue): Dtype {
  if (typeof descr !== 'string') {
    throw new DarklensError(
      'unsupported_dtype',
      `NPY dtype is a structured (record) dtype, which is not supported; ${ACCEPTED_DTYPES}`,
    );
  }
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  const unsupported = (): DarklensError =>
    new DarklensError('unsupported_dtype', `NPY dtype '${descr}' is not supported; ${ACCEPTED_DTYPES}`);
  if (!m) throw unsupported();
  const [, order, kind, sizeText] = m;
  const code = `${kind}${sizeText}`;
  if (code === 'u1') return { name: 'uint8', size: 1, littleEndian: true };
  // Multi-byte types need an explicit byte order; numpy never writes '|' or '=' for them.
  if (order !== '<' && order !== '>') throw unsupported();
  const littleEndian = order === '<';
  switch (code) {
    case 'f4':
      return { name: 'float32', size: 4, littleEndian };
    case 'f8':
      return { name: 'float64', size: 8, littleEndian };
    case 'i2':
      return { name: 'int16', size: 2, littleEndian };
    case 'i4':
      return { name: 'int32', size: 4, littleEndian };
    default:
      throw unsupported();
  }
}

function shapeString(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function parseShape(value: PyValue): number[] {
  if (!isTuple(value)) {
    throw new DarklensError('bad_header', `NPY header 'shape' is not a tuple; accepted: a tuple of integers like (64, 64)`);
  }
  return value.tuple.map((v) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new DarklensError(
        'bad_header',
        `NPY header 'shape' holds ${JSON.stringify(v)}; accepted: non-negative integers only`,
      );
    }
    return v;
  });
}

/** Maps an accepted shape to (count, height, width), or throws 'bad_shape'. */
function interpretShape(shape: readonly number[]): { count: number; height: number; width: number } {
  const text = shapeString(shape);
  if (shape.some((n) => n === 0)) {
    throw new DarklensError('bad_shape', `NPY shape ${text} has an empty axis; ${ACCEPTED_SHAPES}`);
  }
  const at = (i: number): number => shape[i] ?? 0;
  switch (shape.length) {
    case 2:
      return { count: 1, height: at(0), width: at(1) };
    case 3:
      return { count: at(0), height: at(1), width: at(2) };
    case 4:
      if (at(1) === 1) return { count: at(0), height: at(2), width: at(3) };
      throw new DarklensError(
        'bad_shape',
        `NPY shape ${text} has ${at(1)} channels; only single-channel stacks are read; ${ACCEPTED_SHAPES}`,
      );
    case 5:
      if (at(2) === 1) return { count: at(0) * at(1), height: at(3), width: at(4) };
      throw new DarklensError(
        'bad_shape',
        `NPY shape ${text} has ${at(2)} channels; only single-channel stacks are read; ${ACCEPTED_SHAPES}`,
      );
    default:
      throw new DarklensError(
        'bad_shape',
        `NPY shape ${text} has rank ${shape.length}, which is not an image or image stack; ${ACCEPTED_SHAPES}`,
      );
  }
}

function checkLimits(count: number, height: number, width: number, shape: readonly number[], limits: DecodeLimits): void {
  if (height > limits.maxSide || width > limits.maxSide) {
    throw new DarklensError(
      'too_large',
      `NPY shape ${shapeString(shape)} has images of ${height}x${width} pixels; accepted: height and width up to ${limits.maxSide}`,
    );
  }
  const total = count * height * width;
  if (total > limits.maxPixels) {
    throw new DarklensError(
      'too_large',
      `NPY shape ${shapeString(shape)} holds ${total} pixels; accepted: up to ${limits.maxPixels} pixels in all`,
    );
  }
}

/** Parses the magic, version and header; returns the header text and the data offset. */
function readPreamble(bytes: Uint8Array): { version: string; header: string; dataOffset: number } {
  const prefix = Math.min(bytes.length, MAGIC.length);
  for (let i = 0; i < prefix; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new DarklensError('bad_magic', 'not an NPY file: it does not start with \\x93NUMPY; accepted: files written by numpy.save');
    }
  }
  if (bytes.length < 10) {
    throw new DarklensError('truncated', `NPY file ends after ${bytes.length} bytes, inside its preamble; accepted: a complete .npy file`);
  }
  const major = bytes[6] ?? 0;
  const minor = bytes[7] ?? 0;
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) {
    throw new DarklensError('bad_header', `NPY format version ${major}.${minor} is not supported; accepted: 1.0, 2.0, 3.0`);
  }
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = (bytes[8] ?? 0) | ((bytes[9] ?? 0) << 8);
    headerStart = 10;
  } else {
    if (bytes.length < 12) {
      throw new DarklensError('truncated', `NPY file ends after ${bytes.length} bytes, inside its preamble; accepted: a complete .npy file`);
    }
    headerLength = ((bytes[8] ?? 0) | ((bytes[9] ?? 0) << 8) | ((bytes[10] ?? 0) << 16) | ((bytes[11] ?? 0) << 24)) >>> 0;
    headerStart = 12;
  }
  const dataOffset = headerStart + headerLength;
  if (dataOffset > bytes.length) {
    throw new DarklensError(
      'truncated',
      `NPY header says it is ${headerLength} bytes long but the file ends after ${bytes.length - headerStart}; accepted: a complete .npy file`,
    );
  }
  // The header is ASCII (latin-1 in 1.0/2.0, UTF-8 in 3.0; anything non-ASCII could only sit in
  // structured-dtype field names, which are rejected anyway). Decode in slices to keep the
  // argument count of fromCharCode small.
  let header = '';
  for (let i = headerStart; i < dataOffset; i += 4096) {
    header += String.fromCharCode(...bytes.subarray(i, Math.min(i + 4096, dataOffset)));
  }
  return { version: `${major}.${minor}`, header, dataOffset };
}

function convert(bytes: Uint8Array, offset: number, n: number, dtype: Dtype): { data: Float32Array; masked: number } {
  const out = new Float32Array(n);
  const base = bytes.byteOffset + offset;
  if (dtype.size === 1) {
    out.set(bytes.subarray(offset, offset + n));
    return { data: out, masked: 0 };
  }
  if (dtype.littleEndian === HOST_LITTLE_ENDIAN && base % dtype.size === 0) {
    switch (dtype.name) {
      case 'float32':
        out.set(new Float32Array(bytes.buffer, base, n));
        break;
      case 'float64':
        out.set(new Float64Array(bytes.buffer, base, n));
        break;
      case 'int16':
        out.set(new Int16Array(bytes.buffer, base, n));
        break;
      case 'int32':
        out.set(new Int32Array(bytes.buffer, base, n));
        break;
    }
  } else {
    const view = new DataView(bytes.buffer, base, n * dtype.size);
    const le = dtype.littleEndian;
    switch (dtype.name) {
      case 'float32':
        for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, le);
        break;
      case 'float64':
        for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, le);
        break;
      case 'int16':
        for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, le);
        break;
      case 'int32':
        for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, le);
        break;
    }
  }
  let masked = 0;
  if (dtype.name === 'float32' || dtype.name === 'float64') {
    for (let i = 0; i < n; i++) {
      const v = out[i] as number;
      // v - v is NaN exactly for NaN and +/-Inf.
      if (v - v !== 0) {
        out[i] = NaN;
        masked++;
      }
    }
  }
  return { data: out, masked };
}

/**
 * Decodes an .npy file into a stack of float32 images. See the module comment for what is accepted.
 * Every failure is a DarklensError; dimensions are checked against `limits` before any allocation.
 */
/** What an NPY file's preamble says, checked against the data's length and the limits (no pixel read). */
export interface NpyLayout {
  version: string;
  /** The dtype as the header spells it, e.g. '<f4' or '|u1'. */
  descr: string;
  itemSize: number;
  shape: number[];
  count: number;
  height: number;
  width: number;
  dataOffset: number;
}

/** Reads and checks an NPY file's preamble (every header failure readNpy gives, without decoding a pixel). */
export function npyLayout(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): NpyLayout {
  const { dtype: _, ...layout } = readLayout(bytes, limits);
  return layout;
}

function readLayout(bytes: Uint8Array, limits: DecodeLimits): NpyLayout & { dtype: Dtype } {
  const { version, header, dataOffset } = readPreamble(bytes);
  const parsed = new LiteralParser(header).parseDocument();
  if (!isDict(parsed)) {
    throw new DarklensError(
      'bad_header',
      "NPY header is not a dict; accepted: a header like {'descr': '<f4', 'fortran_order': False, 'shape': (64, 64), }",
    );
  }
  const get = (key: string): PyValue => {
    if (!parsed.dict.has(key)) {
      throw new DarklensError(
        'bad_header',
        `NPY header has no '${key}' key; accepted: a dict with the keys 'descr', 'fortran_order' and 'shape'`,
      );
    }
    return parsed.dict.get(key) ?? null;
  };
  const descr = get('descr');
  const fortranOrder = get('fortran_order');
  const shapeValue = get('shape');

  const dtype = parseDtype(descr);
  if (typeof fortranOrder !== 'boolean') {
    throw new DarklensError('bad_header', "NPY header 'fortran_order' is not True or False; accepted: True or False");
  }
  if (fortranOrder) {
    throw new DarklensError(
      'unsupported_layout',
      'NPY array is stored in Fortran (column-major) order, which is not supported; accepted: C order ' +
        "(save it with np.save(path, np.ascontiguousarray(a)) or a.copy(order='C'))",
    );
  }
  const shape = parseShape(shapeValue);
  const { count, height, width } = interpretShape(shape);
  checkLimits(count, height, width, shape, limits);

  const n = count * height * width;
  const expected = n * dtype.size;
  const available = bytes.length - dataOffset;
  if (available < expected) {
    throw new DarklensError(
      'truncated',
      `NPY data holds ${available} bytes but shape ${shapeString(shape)} of ${dtype.name} needs ${expected}; accepted: a complete .npy file`,
    );
  }
  if (available > expected) {
    throw new DarklensError(
      'bad_header',
      `NPY data holds ${available} bytes but shape ${shapeString(shape)} of ${dtype.name} needs only ${expected}; ` +
        'the header does not describe the data; accepted: exactly shape*itemsize bytes after the header',
    );
  }
  return { version, descr: typeof descr === 'string' ? descr : '', itemSize: dtype.size, shape, count, height, width, dataOffset, dtype };
}

export function readNpy(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): CutoutStack {
  const { version, descr, dtype, shape, count, height, width, dataOffset } = readLayout(bytes, limits);
  const n = count * height * width;
  const { data, masked } = convert(bytes, dataOffset, n, dtype);
  return {
    count,
    width,
    height,
    data,
    masked,
    format: 'npy',
    meta: {
      dtype: dtype.name,
      descr,
      shape: shapeString(shape),
      npyVersion: version,
    },
  };
}
