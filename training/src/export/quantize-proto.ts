/**
 * Whole ONNX models read and written for the quantizer. onnx-proto.ts only writes what the exporter
 * makes (float tensors, fully shaped values); the quantizer must read an exported file back, add
 * int8/uint8/int32 tensors and declare intermediate tensors as outputs without knowing their shapes.
 * Field numbers from onnx.proto. What this cannot carry over faithfully (subgraphs, tensor-valued
 * attributes, external data, functions, custom domains) is refused rather than dropped; per-value
 * shape hints (graph.value_info) are dropped: onnxruntime infers them again.
 */
import { DarklensError } from '@darklens/core';
import { ProtoWriter } from './protobuf.js';
import type { AttributeValue } from './onnx-proto.js';

/** TensorProto.DataType values the quantizer meets. */
export const DT = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, float16: 10, double: 11 } as const;
const BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 10: 2, 11: 8 };

export interface QTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Little-endian bytes of the values. */
  raw: Uint8Array;
}

export interface QNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes: Record<string, AttributeValue>;
}

export interface QValueInfo {
  name: string;
  elemType: number;
  /** Absent: unknown shape (an intermediate tensor declared as an output). */
  shape?: (number | string)[];
  doc?: string;
}

export interface QModel {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  graphName: string;
  nodes: QNode[];
  initializers: QTensor[];
  inputs: QValueInfo[];
  outputs: QValueInfo[];
  /** Key-value metadata, in file order. */
  metadata: [string, string][];
}

const unsupported = (what: string): DarklensError => new DarklensError('invalid_argument', `quantize: the ONNX file has ${what}, which the quantizer does not handle`);

/** A protobuf field as read: a varint, a fixed32/64 or a length-delimited byte string. */
type Field = { no: number; wire: 0; v: bigint } | { no: number; wire: 5 | 1; b: Uint8Array } | { no: number; wire: 2; b: Uint8Array };

function* fields(buf: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (at >= buf.length) throw new DarklensError('bad_header', 'quantize: truncated protobuf varint');
      const byte = buf[at++]!;
      v |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, v: varint() };
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      yield { no, wire, b: buf.subarray(at, at + n) };
      at += n;
    } else if (wire === 2) {
      const n = Number(varint());
      if (at + n > buf.length) throw new DarklensError('bad_header', 'quantize: truncated protobuf field');
      yield { no, wire, b: buf.subarray(at, at + n) };
      at += n;
    } else throw new DarklensError('bad_header', `quantize: protobuf wire type ${wire} is not supported`);
  }
}

const text = new TextDecoder();
const str = (f: Field): string => (f.wire === 2 ? text.decode(f.b) : '');
/** int64 varints are two's complement on 64 bits. */
const int = (f: Field): number => (f.wire === 0 ? Number(BigInt.asIntN(64, f.v)) : 0);

/** Repeated int64: packed (length-delimited) or one varint per value. */
function pushInts(into: number[], f: Field): void {
  if (f.wire === 0) into.push(int(f));
  else if (f.wire === 2) for (const g of fields(packedAsFields(f.b))) into.push(int(g));
}

/** A packed varint run re-tagged as field 1 varints, so `fields` can read it. */
function packedAsFields(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = true;
  for (const byte of b) {
    if (start) out.push(0x08);
    out.push(byte);
    start = (byte & 0x80) === 0;
  }
  return Uint8Array.from(out);
}

function readAttribute(b: Uint8Array): [string, AttributeValue] {
  let name = '';
  let type = 0;
  let f32: number | undefined;
  let i: number | undefined;
  let s: string | undefined;
  const ints: number[] = [];
  for (const f of fields(b)) {
    if (f.no === 1) name = str(f);
    else if (f.no === 20) type = int(f);
    else if (f.no === 2 && f.wire === 5) f32 = new DataView(f.b.buffer, f.b.byteOffset, 4).getFloat32(0, true);
    else if (f.no === 3) i = int(f);
    else if (f.no === 4) s = str(f);
    else if (f.no === 8) pushInts(ints, f);
    else if (f.no !== 13) throw unsupported(`an attribute with field ${f.no} (${name || 'unnamed'})`);
  }
  switch (type) {
    case 1:
      return [name, { kind: 'float', value: f32 ?? 0 }];
    case 2:
      return [name, { kind: 'int', value: i ?? 0 }];
    case 3:
      return [name, { kind: 'string', value: s ?? '' }];
    case 7:
      return [name, { kind: 'ints', value: ints }];
    default:
      throw unsupported(`attribute ${name} of type ${type}`);
  }
}

function readNode(b: Uint8Array): QNode {
  const n: QNode = { opType: '', inputs: [], outputs: [], name: '', attributes: {} };
  for (const f of fields(b)) {
    if (f.no === 1) n.inputs.push(str(f));
    else if (f.no === 2) n.outputs.push(str(f));
    else if (f.no === 3) n.name = str(f);
    else if (f.no === 4) n.opType = str(f);
    else if (f.no === 5 && f.wire === 2) {
      const [k, v] = readAttribute(f.b);
      n.attributes[k] = v;
    } else if (f.no === 7) {
      if (str(f) !== '') throw unsupported(`a node of domain ${str(f)}`);
    } else if (f.no !== 6) throw unsupported(`a node field ${f.no}`);
  }
  return n;
}

/** Typed data fields (float_data, int32_data, int64_data, double_data), appended to `into`. */
function pushTyped(into: number[], f: Field): void {
  if (f.wire === 5) into.push(new DataView(f.b.buffer, f.b.byteOffset, 4).getFloat32(0, true));
  else if (f.wire === 1) into.push(new DataView(f.b.buffer, f.b.byteOffset, 8).getFloat64(0, true));
  else if (f.wire === 2 && (f.no === 4 || f.no === 10)) {
    // Packed floats or doubles.
    const dv = new DataView(f.b.buffer, f.b.byteOffset, f.b.byteLength);
    const w = f.no === 4 ? 4 : 8;
    for (let k = 0; k < f.b.byteLength; k += w) into.push(w === 4 ? dv.getFloat32(k, true) : dv.getFloat64(k, true));
  } else pushInts(into, f);
}

function readTensor(b: Uint8Array): QTensor {
  const t: QTensor = { name: '', dims: [], dataType: 0, raw: new Uint8Array(0) };
  const typed: number[] = [];
  let hasRaw = false;
  for (const f of fields(b)) {
    if (f.no === 1) pushInts(t.dims, f);
    else if (f.no === 2) t.dataType = int(f);
    else if (f.no === 8) t.name = str(f);
    else if (f.no === 9 && f.wire === 2) {
      t.raw = f.b.slice();
      hasRaw = true;
    } else if (f.no === 4 || f.no === 5 || f.no === 7 || f.no === 10) pushTyped(typed, f);
    else if (f.no === 13 || f.no === 14) throw unsupported(`tensor ${t.name || '?'} stored outside the file`);
    else if (f.no !== 12) throw unsupported(`a tensor field ${f.no} (${t.name || '?'})`);
  }
  const width = BYTES[t.dataType];
  if (width === undefined) throw unsupported(`tensor ${t.name} of data type ${t.dataType}`);
  if (!hasRaw) t.raw = packValues(t.dataType, typed);
  const count = t.dims.reduce((a, d) => a * d, 1);
  if (t.raw.length !== count * width) throw new DarklensError('bad_header', `quantize: tensor ${t.name} holds ${t.raw.length} bytes for ${count} values of ${width}`);
  return t;
}

/** Values as little-endian bytes of `dataType`. */
export function packValues(dataType: number, values: ArrayLike<number>): Uint8Array {
  const width = BYTES[dataType];
  if (width === undefined) throw unsupported(`data type ${dataType}`);
  const out = new Uint8Array(values.length * width);
  const dv = new DataView(out.buffer);
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (dataType === DT.float) dv.setFloat32(k * 4, v, true);
    else if (dataType === DT.double) dv.setFloat64(k * 8, v, true);
    else if (dataType === DT.uint8) dv.setUint8(k, v);
    else if (dataType === DT.int8) dv.setInt8(k, v);
    else if (dataType === DT.int32) dv.setInt32(k * 4, v, true);
    else if (dataType === DT.int64) dv.setBigInt64(k * 8, BigInt(v), true);
    else throw unsupported(`typed data of data type ${dataType}`);
  }
  return out;
}

function readValueInfo(b: Uint8Array): QValueInfo {
  const v: QValueInfo = { name: '', elemType: 0 };
  for (const f of fields(b)) {
    if (f.no === 1) v.name = str(f);
    else if (f.no === 3) v.doc = str(f);
    else if (f.no === 2 && f.wire === 2) {
      for (const t of fields(f.b)) {
        if (t.no !== 1 || t.wire !== 2) throw unsupported(`value ${v.name || '?'} that is not a tensor`);
        for (const tt of fields(t.b)) {
          if (tt.no === 1) v.elemType = int(tt);
          else if (tt.no === 2 && tt.wire === 2) {
            v.shape = [];
            for (const d of fields(tt.b)) {
              let dim: number | string = '?';
              if (d.wire === 2) for (const x of fields(d.b)) dim = x.no === 1 ? int(x) : x.no === 2 ? str(x) : dim;
              v.shape.push(dim);
            }
          }
        }
      }
    }
  }
  return v;
}

export function decodeOnnx(bytes: Uint8Array): QModel {
  const m: QModel = { irVersion: 0, opset: 0, producerName: '', producerVersion: '', graphName: '', nodes: [], initializers: [], inputs: [], outputs: [], metadata: [] };
  let sawGraph = false;
  for (const f of fields(bytes)) {
    if (f.no === 1) m.irVersion = int(f);
    else if (f.no === 2) m.producerName = str(f);
    else if (f.no === 3) m.producerVersion = str(f);
    else if (f.no === 6) m.docString = str(f);
    else if (f.no === 8 && f.wire === 2) {
      let domain = '';
      let version = 0;
      for (const g of fields(f.b)) {
        if (g.no === 1) domain = str(g);
        else if (g.no === 2) version = int(g);
      }
      if (domain !== '' && domain !== 'ai.onnx') throw unsupported(`operator set ${domain}`);
      m.opset = version;
    } else if (f.no === 14 && f.wire === 2) {
      let key = '';
      let value = '';
      for (const g of fields(f.b)) {
        if (g.no === 1) key = str(g);
        else if (g.no === 2) value = str(g);
      }
      m.metadata.push([key, value]);
    } else if (f.no === 7 && f.wire === 2) {
      sawGraph = true;
      for (const g of fields(f.b)) {
        if (g.wire !== 2) continue;
        if (g.no === 1) m.nodes.push(readNode(g.b));
        else if (g.no === 2) m.graphName = str(g);
        else if (g.no === 5) m.initializers.push(readTensor(g.b));
        else if (g.no === 11) m.inputs.push(readValueInfo(g.b));
        else if (g.no === 12) m.outputs.push(readValueInfo(g.b));
        else if (g.no === 15) throw unsupported('sparse initializers');
      }
    } else if (f.no === 20 || f.no === 25) throw unsupported('training information or functions');
  }
  if (!sawGraph || m.opset === 0) throw new DarklensError('bad_header', 'quantize: not an ONNX model (no graph or no default-domain opset)');
  return m;
}

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(1, name);
  if (a.kind === 'float') w.float(2, a.value);
  else if (a.kind === 'int') w.int(3, a.value);
  else if (a.kind === 'string') w.string(4, a.value);
  else for (const v of a.value) w.int(8, v);
  w.int(20, { float: 1, int: 2, string: 3, ints: 7 }[a.kind]);
}

function writeValueInfo(w: ProtoWriter, v: QValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      const shape = v.shape;
      if (shape !== undefined) tensor.message(2, (s) => shape.forEach((d) => s.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)))));
    }),
  );
  if (v.doc !== undefined) w.string(3, v.doc);
}

/** The model's bytes; fields in the order onnx-proto.ts writes them, so an exported file reads back to the same bytes. */
export function encodeOnnx(m: QModel): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  if (m.docString !== undefined) w.string(6, m.docString);
  w.message(7, (g) => {
    for (const n of m.nodes) {
      g.message(1, (nw) => {
        for (const i of n.inputs) nw.string(1, i);
        for (const o of n.outputs) nw.string(2, o);
        nw.string(3, n.name);
        nw.string(4, n.opType);
        for (const [name, a] of Object.entries(n.attributes)) nw.message(5, (aw) => writeAttribute(aw, name, a));
      });
    }
    g.string(2, m.graphName);
    for (const t of m.initializers) {
      g.message(5, (tw) => {
        for (const d of t.dims) tw.int(1, d);
        tw.int(2, t.dataType);
        tw.string(8, t.name);
        tw.bytes(9, t.raw);
      });
    }
    for (const v of m.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of m.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  w.message(8, (o) => o.string(1, '').int(2, m.opset));
  for (const [key, value] of m.metadata) w.message(14, (e) => e.string(1, key).string(2, value));
  return w.finish();
}

/** float32 values of a float initializer. */
export function floatValues(t: QTensor): Float32Array {
  if (t.dataType !== DT.float) throw unsupported(`weight ${t.name} of data type ${t.dataType} (float32 expected)`);
  const out = new Float32Array(t.raw.length / 4);
  const dv = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
  for (let k = 0; k < out.length; k++) out[k] = dv.getFloat32(k * 4, true);
  return out;
}
