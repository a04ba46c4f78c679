/**
 * ONNX messages as plain objects and their protobuf encoding (field numbers from onnx.proto). Only
 * what darklens's exporter writes: a single graph of standard-domain nodes with float32 (or
 * float16) initializers and tensor inputs/outputs.
 */
import { ProtoWriter } from './protobuf.js';

/** TensorProto.DataType values used here. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;
export const ONNX_FLOAT16 = 10;
export const ONNX_DOUBLE = 11;

export type AttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'string'; value: string };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Record<string, AttributeValue>;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: typeof ONNX_FLOAT | typeof ONNX_INT64 | typeof ONNX_FLOAT16 | typeof ONNX_DOUBLE;
  /** Little-endian bytes of the values (exactly the tensor's size). */
  raw: Uint8Array;
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** A number, or a symbolic name for a dynamic dimension. */
  shape: (number | string)[];
  doc?: string;
}

export interface OnnxModel {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: {
    name: string;
    nodes: OnnxNode[];
    initializers: OnnxTensor[];
    inputs: OnnxValueInfo[];
    outputs: OnnxValueInfo[];
  };
  metadata?: Record<string, string>;
}

/** AttributeProto.AttributeType values. */
const ATTR_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'ints':
      // Unpacked: onnx.proto (proto2 syntax) declares `repeated int64 ints = 8` without packing.
      for (const v of a.value) w.int(8, v);
      break;
  }
  w.int(20, ATTR_TYPE[a.kind]);
}

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
  if (v.doc !== undefined) w.string(3, v.doc);
}

export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  if (m.docString !== undefined) w.string(6, m.docString);
  w.message(7, (g) => {
    for (const n of m.graph.nodes) {
      g.message(1, (nw) => {
        for (const i of n.inputs) nw.string(1, i);
        for (const o of n.outputs) nw.string(2, o);
        nw.string(3, n.name);
        nw.string(4, n.opType);
        for (const [name, a] of Object.entries(n.attributes ?? {})) nw.message(5, (aw) => writeAttribute(aw, name, a));
      });
    }
    g.string(2, m.graph.name);
    for (const t of m.graph.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of m.graph.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of m.graph.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  w.message(8, (o) => {
    o.string(1, '');
    o.int(2, m.opset);
  });
  for (const [key, value] of Object.entries(m.metadata ?? {})) w.message(14, (e) => e.string(1, key).string(2, value));
  return w.finish();
}
