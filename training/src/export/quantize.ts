/**
 * Static int8 quantization of a darklens graph, QDQ format: QuantizeLinear/DequantizeLinear pairs
 * around the network's Conv and Gemm layers, which onnxruntime's CPU provider fuses into integer
 * kernels (QLinearConv, QGemm). Only the network body (what computes `reconstruction`) changes; the
 * scoring head after it stays float32/float64 exactly as exported, so every score is still computed
 * from the fp32 input and a (slightly different) reconstruction.
 *
 * - weights: int8, symmetric, per output channel (range +-127: no -128, so the scale is max|w|/127);
 * - activations: uint8, asymmetric, per tensor, from ranges measured on the fp32 graph (calibrate in
 *   quantize-run.ts); every range includes 0 so that zero padding is exact; u8 activations with s8
 *   weights is the pairing onnxruntime's x86 kernels use (VNNI where the CPU has it);
 * - biases: int32 at scale (input scale x weight scale), as QLinearConv and QGemm take them;
 * - a stride-1 ConvTranspose is rewritten as the equivalent Conv (flipped, transposed kernel), since
 *   onnxruntime fuses QDQ Conv but not ConvTranspose on CPU; strided ones stay float32;
 * - a Conv whose output is the network's output stays float32 (quantizing it would round the
 *   reconstruction itself to 8 bits); a Gemm there is quantized with a float32 output (QGemm allows it).
 */
import { DarklensError, ONNX_RECONSTRUCTION } from '@darklens/core';
import { DT, floatValues, packValues, type QModel, type QNode, type QTensor } from './quantize-proto.js';

export interface Range {
  min: number;
  max: number;
}

export interface PlannedNode {
  name: string;
  opType: 'Conv' | 'Gemm';
  /** Rewritten from a stride-1 ConvTranspose. */
  fromConvTranspose: boolean;
  /** The activation input quantized (u8). */
  input: string;
  /** For a Conv: the tensor quantized after it (its output, or the output of the Relu after it). */
  output?: string;
}

export interface QuantizePlan {
  nodes: PlannedNode[];
  /** Body layers left in float32, and why. */
  skipped: { name: string; opType: string; why: string }[];
  /** Every activation tensor whose range the calibration must measure. */
  tensors: string[];
}

export interface QuantizeOptions {
  /** Node names to leave in float32. */
  exclude?: readonly string[];
  /** Activation tensors to leave in float32 (too peaked for 8 bits): the layers writing or reading them stay float32. */
  floatTensors?: ReadonlySet<string>;
}

const LAYERS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
/** Ops onnxruntime moves Q/DQ across (its QDQ propagation and drop rules), and Relu, which a Q can absorb. */
const PASS_THROUGH = new Set(['Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Slice', 'Expand', 'Tile', 'Gather', 'GatherElements', 'Relu']);
const bad = (msg: string): DarklensError => new DarklensError('invalid_argument', `quantize: ${msg}`);

function attrInts(n: QNode, key: string): readonly number[] | undefined {
  const a = n.attributes[key];
  return a?.kind === 'ints' ? a.value : undefined;
}
function attrNum(n: QNode, key: string): number | undefined {
  const a = n.attributes[key];
  return a?.kind === 'int' || a?.kind === 'float' ? a.value : undefined;
}

/** Tensor name -> nodes reading it. */
function consumersOf(nodes: readonly QNode[]): Map<string, QNode[]> {
  const out = new Map<string, QNode[]>();
  for (const n of nodes) for (const i of n.inputs) out.set(i, [...(out.get(i) ?? []), n]);
  return out;
}

/** The nodes `reconstruction` depends on: the network body (the scoring head is everything else). */
export function bodyNodes(m: QModel): Set<QNode> {
  const producer = new Map<string, QNode>();
  for (const n of m.nodes) for (const o of n.outputs) producer.set(o, n);
  if (!producer.has(ONNX_RECONSTRUCTION)) throw bad(`the graph has no "${ONNX_RECONSTRUCTION}" output: not a darklens model`);
  const body = new Set<QNode>();
  const stack = [ONNX_RECONSTRUCTION];
  while (stack.length > 0) {
    const p = producer.get(stack.pop()!);
    if (p === undefined || body.has(p)) continue;
    body.add(p);
    stack.push(...p.inputs);
  }
  return body;
}

/** The body alone: input -> reconstruction (to time or inspect the network without its scoring head). */
export function bodyModel(m: QModel): QModel {
  const body = bodyNodes(m);
  const nodes = m.nodes.filter((n) => body.has(n));
  const used = new Set(nodes.flatMap((n) => n.inputs));
  return {
    ...m,
    nodes,
    initializers: m.initializers.filter((t) => used.has(t.name)),
    inputs: m.inputs.filter((i) => used.has(i.name)),
    outputs: m.outputs.filter((o) => o.name === ONNX_RECONSTRUCTION),
  };
}

/** Whether `tensor` reaches a graph output through non-layer ops only (so it is the network's output, unrounded). */
function reachesOutput(tensor: string, consumers: Map<string, QNode[]>, outputs: Set<string>): boolean {
  const seen = new Set<string>();
  const stack = [tensor];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (outputs.has(t)) return true;
    if (seen.has(t)) continue;
    seen.add(t);
    for (const c of consumers.get(t) ?? []) if (!LAYERS.has(c.opType)) stack.push(...c.outputs);
  }
  return false;
}

/** Why a body layer cannot be quantized here, or undefined when it can. */
function unsupportedLayer(n: QNode, inits: Map<string, QTensor>): string | undefined {
  const w = inits.get(n.inputs[1] ?? '');
  if (w === undefined || w.dataType !== DT.float) return 'its weights are not a float32 initializer';
  const bias = n.inputs[2];
  if (bias !== undefined && bias !== '' && inits.get(bias)?.dataType !== DT.float) return 'its bias is not a float32 initializer';
  if (n.opType === 'Gemm') {
    if ((attrNum(n, 'transA') ?? 0) !== 0 || (attrNum(n, 'alpha') ?? 1) !== 1 || (attrNum(n, 'beta') ?? 1) !== 1) return 'transA, alpha or beta is not the default';
    if (w.dims.length !== 2) return 'its weight is not 2-D';
    return undefined;
  }
  const auto = n.attributes.auto_pad;
  if (auto !== undefined && !(auto.kind === 'string' && auto.value === 'NOTSET')) return 'auto_pad is set';
  if ((attrInts(n, 'dilations') ?? []).some((d) => d !== 1)) return 'it is dilated';
  if (n.opType === 'ConvTranspose') {
    if ((attrInts(n, 'strides') ?? []).some((s) => s !== 1)) return 'a strided ConvTranspose has no integer kernel in onnxruntime\'s CPU provider';
    if ((attrNum(n, 'group') ?? 1) !== 1 || n.attributes.output_padding !== undefined || n.attributes.output_shape !== undefined) return 'group, output_padding or output_shape is set';
  }
  return undefined;
}

/** Which body layers to quantize and which activation ranges that needs. */
export function planQuantization(m: QModel, opts: QuantizeOptions = {}): QuantizePlan {
  const inits = new Map(m.initializers.map((t) => [t.name, t]));
  const consumers = consumersOf(m.nodes);
  const outputs = new Set(m.outputs.map((o) => o.name));
  const exclude = new Set(opts.exclude ?? []);
  const floats = opts.floatTensors ?? new Set<string>();
  const plan: QuantizePlan = { nodes: [], skipped: [], tensors: [] };
  const body = bodyNodes(m);
  const layers = m.nodes.filter((n) => body.has(n) && LAYERS.has(n.opType));
  for (const n of layers) {
    const skip = (why: string): void => void plan.skipped.push({ name: n.name, opType: n.opType, why });
    if (exclude.has(n.name)) {
      skip('excluded');
      continue;
    }
    if (n.opType === 'MatMul') {
      skip('MatMul is not handled (darklens graphs use Gemm)');
      continue;
    }
    const why = unsupportedLayer(n, inits);
    if (why !== undefined) {
      skip(why);
      continue;
    }
    if (floats.has(n.inputs[0]!)) {
      skip(`its input ${n.inputs[0]!} is too peaked for 8 bits`);
      continue;
    }
    const out = n.outputs[0]!;
    if (n.opType === 'Gemm') {
      plan.nodes.push({ name: n.name, opType: 'Gemm', fromConvTranspose: false, input: n.inputs[0]! });
      continue;
    }
    if (reachesOutput(out, consumers, outputs)) {
      skip('its output is the network\'s output (kept float32 rather than rounded to 8 bits)');
      continue;
    }
    // Quantize after a lone Relu: onnxruntime drops a Relu whose output Q clamps at zero anyway.
    const next = consumers.get(out) ?? [];
    const relu = next.length === 1 && next[0]!.opType === 'Relu' && !outputs.has(next[0]!.outputs[0]!) ? next[0]! : undefined;
    const qOut = relu?.outputs[0] ?? out;
    if (floats.has(qOut)) {
      skip(`its output ${qOut} is too peaked for 8 bits`);
      continue;
    }
    plan.nodes.push({ name: n.name, opType: 'Conv', fromConvTranspose: n.opType === 'ConvTranspose', input: n.inputs[0]!, output: qOut });
  }
  dropSandwiched(plan, layers, consumers);
  plan.tensors = [...new Set(plan.nodes.flatMap((p) => (p.output !== undefined ? [p.input, p.output] : [p.input])))];
  return plan;
}

/**
 * A float layer whose output reaches a quantized layer's input through pass-through ops only would
 * sit between a DequantizeLinear and a QuantizeLinear, and onnxruntime then quantizes its float
 * weights itself, per tensor: such quantized layers are dropped (repeatedly) so float stays float.
 */
function dropSandwiched(plan: QuantizePlan, layers: readonly QNode[], consumers: Map<string, QNode[]>): void {
  for (let changed = true; changed; ) {
    changed = false;
    const planned = new Set(plan.nodes.map((p) => p.name));
    for (const x of layers.filter((l) => !planned.has(l.name))) {
      const stack = [...x.outputs];
      while (stack.length > 0) {
        for (const c of consumers.get(stack.pop()!) ?? []) {
          if (PASS_THROUGH.has(c.opType)) stack.push(...c.outputs);
          else if (planned.has(c.name)) {
            plan.nodes = plan.nodes.filter((p) => p.name !== c.name);
            plan.skipped.push({ name: c.name, opType: c.opType, why: `it reads the float layer ${x.name}'s output (onnxruntime would quantize ${x.name} per tensor)` });
            planned.delete(c.name);
            changed = true;
          }
        }
      }
    }
  }
}

/** The model with `tensors` also declared as outputs (shape unknown), for the calibration pass. */
export function calibrationModel(m: QModel, tensors: readonly string[]): QModel {
  const have = new Set([...m.outputs, ...m.inputs].map((v) => v.name));
  return { ...m, outputs: [...m.outputs, ...tensors.filter((t) => !have.has(t)).map((name) => ({ name, elemType: DT.float }))] };
}

/** uint8 scale and zero point of a range (widened to include 0, so zero padding stays exact). */
export function activationParams(r: Range): { scale: number; zeroPoint: number } {
  const lo = Math.min(0, r.min);
  const hi = Math.max(0, r.max);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw bad(`activation range [${r.min}, ${r.max}] is not finite`);
  if (!(hi > lo)) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / 255);
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

/**
 * Signal-to-quantization-noise ratio in dB of `samples` quantized with the uint8 parameters of
 * `range`: how much an 8-bit copy of the tensor loses. Peaked, long-tailed activations (most values
 * near 0, a few far out that set the range) score low.
 */
export function quantizationSnrDb(samples: Float32Array, range: Range): number {
  const { scale, zeroPoint } = activationParams(range);
  let mean = 0;
  for (const x of samples) mean += x;
  mean /= samples.length;
  let signal = 0;
  let noise = 0;
  for (const x of samples) {
    const q = Math.min(255, Math.max(0, Math.round(x / scale) + zeroPoint));
    signal += (x - mean) ** 2;
    noise += (x - (q - zeroPoint) * scale) ** 2;
  }
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}

/** int8 symmetric per-channel quantization of `w` along `axis`: values in [-127, 127] and one scale per channel. */
export function quantizeWeights(w: Float32Array, dims: readonly number[], axis: number): { q: Int8Array; scales: Float32Array } {
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const maxAbs = new Float64Array(channels);
  for (let k = 0; k < w.length; k++) {
    const c = Math.floor(k / inner) % channels;
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(w[k]!));
  }
  // An all-zero channel gets scale 1 (its values quantize to 0 either way).
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(w.length);
  for (let k = 0; k < w.length; k++) {
    const c = Math.floor(k / inner) % channels;
    q[k] = Math.max(-127, Math.min(127, Math.round(w[k]! / scales[c]!)));
  }
  return { q, scales };
}

/** ConvTranspose (stride 1) weights [in, out, kh, kw] -> the equivalent Conv's [out, in, kh, kw], spatially flipped. */
export function convTransposeAsConvWeights(w: Float32Array, dims: readonly number[]): { values: Float32Array; dims: number[] } {
  const [ci, co, kh, kw] = dims as [number, number, number, number];
  const out = new Float32Array(w.length);
  for (let i = 0; i < ci; i++)
    for (let o = 0; o < co; o++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((o * ci + i) * kh + (kh - 1 - y)) * kw + (kw - 1 - x)] = w[((i * co + o) * kh + y) * kw + x]!;
  return { values: out, dims: [co, ci, kh, kw] };
}

const tensor = (name: string, dataType: number, dims: number[], values: ArrayLike<number>): QTensor => ({ name, dataType, dims, raw: packValues(dataType, values) });
const node = (opType: string, inputs: string[], outputs: string[], name: string, axis?: number): QNode => ({
  opType,
  inputs,
  outputs,
  name,
  attributes: axis === undefined ? {} : { axis: { kind: 'int', value: axis } },
});

/** The QDQ int8 model of `m`, with activation ranges measured for every tensor of `plan.tensors`. */
export function quantizeModel(m: QModel, plan: QuantizePlan, ranges: ReadonlyMap<string, Range>): QModel {
  const inits = new Map(m.initializers.map((t) => [t.name, t]));
  const added: QTensor[] = [];
  const act = new Map<string, { scale: number; zeroPoint: number }>();
  for (const t of plan.tensors) {
    const r = ranges.get(t);
    if (r === undefined) throw bad(`no calibrated range for tensor ${t}`);
    const p = activationParams(r);
    act.set(t, p);
    added.push(tensor(`${t}.q_scale`, DT.float, [], [p.scale]), tensor(`${t}.q_zero`, DT.uint8, [], [p.zeroPoint]));
  }
  const planned = new Map(plan.nodes.map((p) => [p.name, p]));
  // Tensors after a quantized Conv: every reader takes the dequantized value (the fused kernel outputs only u8).
  const forced = new Set(plan.nodes.flatMap((p) => (p.output !== undefined ? [p.output] : [])));
  const qdq = (t: string): QNode[] => [
    node('QuantizeLinear', [t, `${t}.q_scale`, `${t}.q_zero`], [`${t}.q`], `${t}.quantize`),
    node('DequantizeLinear', [`${t}.q`, `${t}.q_scale`, `${t}.q_zero`], [`${t}.dq`], `${t}.dequantize`),
  ];
  const out: QNode[] = [];
  const emitted = new Set<string>();
  const emitQdq = (t: string): void => {
    if (emitted.has(t)) return;
    emitted.add(t);
    out.push(...qdq(t));
  };
  const graphInputs = new Set(m.inputs.map((i) => i.name));
  for (const t of plan.tensors) if (graphInputs.has(t)) emitQdq(t);

  for (const n of m.nodes) {
    const p = planned.get(n.name);
    // Readers of a forced tensor take its dequantized value; a quantized layer reads its input dequantized.
    const inputs = n.inputs.map((i, k) => (forced.has(i) || (p !== undefined && k === 0) ? `${i}.dq` : i));
    if (p === undefined) {
      out.push({ ...n, inputs });
    } else {
      out.push(...quantizedLayer(n, p, inputs, inits, act.get(p.input)!.scale, added));
    }
    for (const o of n.outputs) if (act.has(o)) emitQdq(o);
  }
  const used = new Set(out.flatMap((n) => n.inputs));
  return {
    ...m,
    nodes: out,
    initializers: [...m.initializers, ...added].filter((t) => used.has(t.name)),
    metadata: [...m.metadata.filter(([k]) => k !== 'darklens.weights'), ['darklens.weights', 'int8 (QDQ: per-channel int8 weights, uint8 activations)']],
  };
}

/** A planned layer as DequantizeLinear(weights, bias) + the float op reading them. */
function quantizedLayer(n: QNode, p: PlannedNode, inputs: string[], inits: Map<string, QTensor>, inputScale: number, added: QTensor[]): QNode[] {
  const w = inits.get(n.inputs[1]!)!;
  let values = floatValues(w);
  let dims = w.dims;
  const attributes = { ...n.attributes };
  if (p.fromConvTranspose) {
    ({ values, dims } = convTransposeAsConvWeights(values, dims));
    // Stride 1: a ConvTranspose padding p is a Conv padding k - 1 - p on the same side.
    const k = attrInts(n, 'kernel_shape') ?? dims.slice(2);
    const pads = attrInts(n, 'pads') ?? k.flatMap(() => [0, 0]);
    attributes.pads = { kind: 'ints', value: pads.map((v, i) => k[i % k.length]! - 1 - v) };
  }
  // Per output channel: Conv weights [out, in, kh, kw] along 0; Gemm B [K, N] along 1 ([N, K] with transB).
  const axis = p.opType === 'Conv' ? 0 : (attrNum(n, 'transB') ?? 0) === 1 ? 0 : 1;
  const { q, scales } = quantizeWeights(values, dims, axis);
  const base = n.name;
  const nodes: QNode[] = [];
  added.push(tensor(`${base}.w_q`, DT.int8, [...dims], q), tensor(`${base}.w_scale`, DT.float, [scales.length], scales), tensor(`${base}.w_zero`, DT.int8, [scales.length], new Int8Array(scales.length)));
  nodes.push(node('DequantizeLinear', [`${base}.w_q`, `${base}.w_scale`, `${base}.w_zero`], [`${base}.w_dq`], `${base}.w_dequantize`, axis));
  const layerInputs = [inputs[0]!, `${base}.w_dq`];
  const bias = n.inputs[2];
  if (bias !== undefined && bias !== '') {
    const b = floatValues(inits.get(bias)!);
    const bScale = Float32Array.from(scales, (s) => Math.fround(inputScale * s));
    const bq = Int32Array.from(b, (v, c) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v / bScale[c]!))));
    added.push(tensor(`${base}.b_q`, DT.int32, [b.length], bq), tensor(`${base}.b_scale`, DT.float, [b.length], bScale), tensor(`${base}.b_zero`, DT.int32, [b.length], new Int32Array(b.length)));
    nodes.push(node('DequantizeLinear', [`${base}.b_q`, `${base}.b_scale`, `${base}.b_zero`], [`${base}.b_dq`], `${base}.b_dequantize`, 0));
    layerInputs.push(`${base}.b_dq`);
    // onnxruntime's QDQ Gemm fusion reads beta as an attribute: state the default.
    if (p.opType === 'Gemm') attributes.beta = { kind: 'float', value: 1 };
  }
  nodes.push({ opType: p.opType, name: n.name, inputs: layerInputs, outputs: n.outputs, attributes });
  return nodes;
}
