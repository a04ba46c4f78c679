/**
 * TensorFlow.js layers model (NHWC) -> ONNX graph (NCHW). darklens's inference networks are chains
 * of standard layers; each layer becomes one or a few ONNX nodes, and the graph is laid out NCHW
 * from the input on, as ONNX convention and the registry's input spec want ([N, 1, H, W]).
 *
 * Layout: every value is tracked as an image (ONNX NCHW holding tfjs's [h, w, c]) or a vector
 * ([N, features] in tfjs's order). Flatten and Reshape between the two go through an explicit
 * Transpose to NHWC order, so feature orders match tfjs exactly without permuting weights.
 *
 * Weights: conv kernels [kh, kw, in, out] -> ONNX [out, in, kh, kw] and conv-transpose kernels
 * [kh, kw, out, in] -> [in, out, kh, kw] (both the permutation (3, 2, 0, 1)); TF 'same' padding
 * becomes explicit pads (split floor | ceil, like TF).
 */
import { DarklensError } from '@darklens/core';
import type * as TfNamespace from '@tensorflow/tfjs';
import { ONNX_FLOAT, ONNX_INT64, type AttributeValue, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

type Layer = TfNamespace.layers.Layer;

export type Layout = { kind: 'image'; h: number; w: number; c: number } | { kind: 'vector'; n: number };

export interface ConvertedGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  /** The ONNX name and layout of the model's input and output. */
  input: { name: string; layout: Layout };
  output: { name: string; layout: Layout };
}

function unsupported(layer: Layer, why: string): never {
  throw new DarklensError('invalid_argument', `ONNX export: layer ${layer.name} (${layer.getClassName()}): ${why}`);
}

/** Little-endian bytes of float32 values. */
export function floatBytes(v: Float32Array): Uint8Array {
  const out = new Uint8Array(v.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) dv.setFloat32(i * 4, v[i]!, true);
  return out;
}

function int64Bytes(v: readonly number[]): Uint8Array {
  const out = new Uint8Array(v.length * 8);
  const dv = new DataView(out.buffer);
  v.forEach((x, i) => dv.setBigInt64(i * 8, BigInt(x), true));
  return out;
}

/** Permutes a 4-D array [d0, d1, d2, d3] so that output axis k is input axis perm[k]. */
function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): { data: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = [shape[1]! * shape[2]! * shape[3]!, shape[2]! * shape[3]!, shape[3]!, 1];
  const st = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(data.length);
  let o = 0;
  for (let a = 0; a < outShape[0]!; a++)
    for (let b = 0; b < outShape[1]!; b++)
      for (let c = 0; c < outShape[2]!; c++)
        for (let d = 0; d < outShape[3]!; d++) out[o++] = data[a * st[0]! + b * st[1]! + c * st[2]! + d * st[3]!]!;
  return { data: out, shape: outShape };
}

/** TF 'same' padding of one axis: [before, after]. */
function samePads(inSize: number, k: number, s: number): [number, number] {
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + k - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

class GraphBuilder {
  nodes: OnnxNode[] = [];
  initializers: OnnxTensor[] = [];
  private counter = 0;

  fresh(base: string): string {
    return `${base}_${this.counter++}`;
  }

  node(opType: string, inputs: string[], name: string, attributes?: Record<string, AttributeValue>): string {
    const out = this.fresh(name);
    this.nodes.push({ opType, inputs, outputs: [out], name: out, ...(attributes !== undefined ? { attributes } : {}) });
    return out;
  }

  floats(name: string, data: Float32Array, dims: number[]): string {
    this.initializers.push({ name, dims, dataType: ONNX_FLOAT, raw: floatBytes(data) });
    return name;
  }

  ints(name: string, values: number[]): string {
    this.initializers.push({ name, dims: [values.length], dataType: ONNX_INT64, raw: int64Bytes(values) });
    return name;
  }
}

function weights(layer: Layer): Float32Array[] {
  return layer.getWeights().map((t) => t.dataSync() as Float32Array);
}

function activation(g: GraphBuilder, layer: Layer, x: string, act: unknown): string {
  switch (act ?? 'linear') {
    case 'linear':
      return x;
    case 'relu':
      return g.node('Relu', [x], `${layer.name}_relu`);
    case 'sigmoid':
      return g.node('Sigmoid', [x], `${layer.name}_sigmoid`);
    case 'tanh':
      return g.node('Tanh', [x], `${layer.name}_tanh`);
    default:
      return unsupported(layer, `activation ${String(act)}`);
  }
}

/** image (NCHW) -> vector in tfjs's (h, w, c) order. */
function imageToVector(g: GraphBuilder, name: string, x: string, l: Extract<Layout, { kind: 'image' }>): { x: string; layout: Layout } {
  const t = g.node('Transpose', [x], `${name}_nhwc`, { perm: { kind: 'ints', value: [0, 2, 3, 1] } });
  const n = l.h * l.w * l.c;
  return { x: g.node('Reshape', [t, g.ints(g.fresh(`${name}_shape`), [0, n])], `${name}_flat`), layout: { kind: 'vector', n } };
}

/** vector in tfjs's order -> image [h, w, c] (NCHW). */
function vectorToImage(g: GraphBuilder, name: string, x: string, h: number, w: number, c: number): { x: string; layout: Layout } {
  const r = g.node('Reshape', [x, g.ints(g.fresh(`${name}_shape`), [0, h, w, c])], `${name}_nhwc`);
  return { x: g.node('Transpose', [r], `${name}_nchw`, { perm: { kind: 'ints', value: [0, 3, 1, 2] } }), layout: { kind: 'image', h, w, c } };
}

function convertLayer(g: GraphBuilder, layer: Layer, x: string, layout: Layout): { x: string; layout: Layout } {
  const cfg = layer.getConfig() as Record<string, unknown>;
  const cls = layer.getClassName();
  const outShape = layer.outputShape as (number | null)[];
  switch (cls) {
    case 'Conv2D':
    case 'Conv2DTranspose': {
      if (layout.kind !== 'image') unsupported(layer, 'needs an image input');
      const [kh, kw] = pair(cfg.kernelSize);
      const [sh, sw] = pair(cfg.strides);
      const [dh, dw] = pair(cfg.dilationRate ?? 1);
      if (dh !== 1 || dw !== 1) unsupported(layer, 'dilation other than 1');
      if (cfg.dataFormat !== undefined && cfg.dataFormat !== 'channelsLast') unsupported(layer, 'only channelsLast');
      const [kernel, bias] = weights(layer);
      const kshape = layer.getWeights()[0]!.shape;
      const k = permute(kernel!, kshape, [3, 2, 0, 1]);
      const inputs = [x, g.floats(`${layer.name}.weight`, k.data, k.shape)];
      if (bias !== undefined && cfg.useBias !== false) inputs.push(g.floats(`${layer.name}.bias`, bias, [bias.length]));
      const [oh, ow, oc] = [outShape[1]!, outShape[2]!, outShape[3]!];
      let pads: number[];
      if (cls === 'Conv2D') {
        pads = cfg.padding === 'same' ? (() => {
          const [t, b] = samePads(layout.h, kh, sh);
          const [l, r] = samePads(layout.w, kw, sw);
          return [t, l, b, r];
        })() : cfg.padding === 'valid' ? [0, 0, 0, 0] : unsupported(layer, `padding ${String(cfg.padding)}`);
      } else {
        if (kh < sh || kw < sw) unsupported(layer, 'kernel smaller than the stride');
        const th = (layout.h - 1) * sh + kh - oh;
        const tw = (layout.w - 1) * sw + kw - ow;
        if (th < 0 || tw < 0) unsupported(layer, 'output larger than the kernel covers');
        pads = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
      }
      const y = g.node(cls === 'Conv2D' ? 'Conv' : 'ConvTranspose', inputs, layer.name, {
        kernel_shape: { kind: 'ints', value: [kh, kw] },
        strides: { kind: 'ints', value: [sh, sw] },
        pads: { kind: 'ints', value: pads },
      });
      return { x: activation(g, layer, y, cfg.activation), layout: { kind: 'image', h: oh, w: ow, c: oc } };
    }
    case 'Dense': {
      if (layout.kind !== 'vector') unsupported(layer, 'needs a vector input (flatten first)');
      const [kernel, bias] = weights(layer);
      const units = Number(cfg.units);
      const inputs = [x, g.floats(`${layer.name}.weight`, kernel!, [layout.n, units])];
      if (bias !== undefined && cfg.useBias !== false) inputs.push(g.floats(`${layer.name}.bias`, bias, [units]));
      const y = g.node('Gemm', inputs, layer.name);
      return { x: activation(g, layer, y, cfg.activation), layout: { kind: 'vector', n: units } };
    }
    case 'BatchNormalization': {
      const axis = Number(cfg.axis ?? -1);
      if (axis !== -1 && !(layout.kind === 'vector' && axis === 1) && !(layout.kind === 'image' && axis === 3)) unsupported(layer, `axis ${axis}`);
      if (cfg.center === false || cfg.scale === false) unsupported(layer, 'center and scale must be on');
      const [gamma, beta, mean, variance] = weights(layer);
      const n = gamma!.length;
      const y = g.node(
        'BatchNormalization',
        [x, g.floats(`${layer.name}.gamma`, gamma!, [n]), g.floats(`${layer.name}.beta`, beta!, [n]), g.floats(`${layer.name}.mean`, mean!, [n]), g.floats(`${layer.name}.variance`, variance!, [n])],
        layer.name,
        { epsilon: { kind: 'float', value: Number(cfg.epsilon ?? 1e-3) } },
      );
      return { x: y, layout };
    }
    case 'Flatten':
      return layout.kind === 'image' ? imageToVector(g, layer.name, x, layout) : { x, layout };
    case 'Reshape': {
      const target = cfg.targetShape as number[];
      const v = layout.kind === 'image' ? imageToVector(g, `${layer.name}_in`, x, layout) : { x, layout };
      if (target.length === 1) return { x: v.x, layout: { kind: 'vector', n: target[0]! } };
      if (target.length === 3) return vectorToImage(g, layer.name, v.x, target[0]!, target[1]!, target[2]!);
      return unsupported(layer, `target shape [${target.join(', ')}]`);
    }
    case 'Cropping2D': {
      if (layout.kind !== 'image') unsupported(layer, 'needs an image input');
      const [[t, b], [l, r]] = cfg.cropping as [[number, number], [number, number]];
      const y = g.node('Slice', [x, g.ints(`${layer.name}.starts`, [t, l]), g.ints(`${layer.name}.ends`, [layout.h - b, layout.w - r]), g.ints(`${layer.name}.axes`, [2, 3])], layer.name);
      return { x: y, layout: { kind: 'image', h: layout.h - t - b, w: layout.w - l - r, c: layout.c } };
    }
    case 'Activation':
      return { x: activation(g, layer, x, cfg.activation), layout };
    case 'LeakyReLU':
      return { x: g.node('LeakyRelu', [x], layer.name, { alpha: { kind: 'float', value: Number(cfg.alpha ?? 0.3) } }), layout };
    default:
      return unsupported(layer, 'no ONNX conversion for this layer type');
  }
}

/**
 * Converts a chain-structured layers model whose input is [H, W, C]. `inputName` is the ONNX
 * graph input (NCHW).
 */
export function convertLayersModel(model: TfNamespace.LayersModel, inputName: string): ConvertedGraph {
  const shape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || shape === undefined || shape.length !== 4) {
    throw new DarklensError('invalid_argument', `ONNX export: model ${model.name} must have one [H, W, C] input and one output`);
  }
  const g = new GraphBuilder();
  const inLayout: Layout = { kind: 'image', h: shape[1]!, w: shape[2]!, c: shape[3]! };
  let x = inputName;
  let layout: Layout = inLayout;
  let previous: string | undefined;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') {
      previous = layer.name;
      continue;
    }
    const inbound = (layer as unknown as { inboundNodes: { inboundLayers: Layer[] }[] }).inboundNodes;
    const from = inbound.length === 1 && inbound[0]!.inboundLayers.length === 1 ? inbound[0]!.inboundLayers[0]!.name : undefined;
    if (from === undefined || from !== previous) unsupported(layer, 'darklens exports chains of layers only');
    ({ x, layout } = convertLayer(g, layer, x, layout));
    previous = layer.name;
  }
  return { nodes: g.nodes, initializers: g.initializers, input: { name: inputName, layout: inLayout }, output: { name: x, layout } };
}
