/**
 * ONNX export of a darklens inference network: opset 17, IR version 8 (what Debian's onnx 1.12
 * checker and onnxruntime 1.30 both accept). The graph takes `input` float32 [N, 1, H, W] (N
 * dynamic; images min-max scaled to [0, 1] like the training data) and returns
 *
 *   reconstruction  [N, 1, H, W]
 *   score           [N]           mean over pixels of (input - reconstruction)^2: the anomaly score,
 *                                 exactly the training definition, computed inside the graph (in
 *                                 float64, then rounded to float32)
 *   residual        [N, 1, H, W]  input - reconstruction (only with `residual: true`)
 *
 * The VAE's network already reconstructs from the mean and the RBM's by mean field; the AAE's
 * discriminator is not part of the network. Optional float16 weights halve the file (the graph
 * casts them back to float32, so inputs, outputs and arithmetic stay float32).
 */
import type * as TfNamespace from '@tensorflow/tfjs';
import { DarklensError, ONNX_INPUT, ONNX_RECONSTRUCTION, ONNX_RESIDUAL, ONNX_SCORE, SCORE_DEFINITION } from '@darklens/core';
import { convertLayersModel } from './convert.js';
import { encodeModel, ONNX_DOUBLE, ONNX_FLOAT, ONNX_FLOAT16, type OnnxModel, type OnnxNode } from './onnx-proto.js';
import { toFloat16Bytes } from './float16.js';

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
/** The graph's output names (core's ONNX contract). */
export const ONNX_OUTPUTS = { reconstruction: ONNX_RECONSTRUCTION, score: ONNX_SCORE, residual: ONNX_RESIDUAL } as const;

export interface ExportOptions {
  /** Also output the residual map input - reconstruction. */
  residual?: boolean;
  /** Store weights as float16 (cast to float32 in the graph). */
  fp16?: boolean;
  /** Key-value metadata stored in the model (model name, version, training provenance...). */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

/** The ONNX model of `model` (a darklens inference network), as bytes. */
export function exportOnnx(model: TfNamespace.LayersModel, opts: ExportOptions = {}): Uint8Array {
  const g = convertLayersModel(model, ONNX_INPUT);
  const inL = g.input.layout;
  const outL = g.output.layout;
  if (inL.kind !== 'image' || inL.c !== 1 || outL.kind !== 'image' || outL.c !== 1 || outL.h !== inL.h || outL.w !== inL.w) {
    throw new DarklensError('invalid_argument', `ONNX export: model ${model.name} must map [H, W, 1] images to [H, W, 1] reconstructions`);
  }
  const { h, w } = inL;
  const nodes: OnnxNode[] = [...g.nodes];
  let initializers = g.initializers;
  if (opts.fp16 === true) {
    // Weights as float16 initializers, each cast back to float32 under its original name.
    const casts: OnnxNode[] = [];
    initializers = initializers.map((t) => {
      if (t.dataType !== ONNX_FLOAT) return t;
      const half = `${t.name}.fp16`;
      casts.push({ opType: 'Cast', inputs: [half], outputs: [t.name], name: `${t.name}.cast`, attributes: { to: { kind: 'int', value: ONNX_FLOAT } } });
      return { ...t, name: half, dataType: ONNX_FLOAT16, raw: toFloat16Bytes(t.raw) };
    });
    nodes.unshift(...casts);
  }
  nodes.push(
    { opType: 'Identity', inputs: [g.output.name], outputs: [ONNX_OUTPUTS.reconstruction], name: 'reconstruction_out' },
    { opType: 'Sub', inputs: [ONNX_INPUT, ONNX_OUTPUTS.reconstruction], outputs: ['diff'], name: 'diff' },
    // The mean over pixels in float64, rounded once to float32: exact to float32 whatever the
    // runtime's summation order (a float32 sum of 4096 terms drifts by ~1e-5 relative).
    { opType: 'Cast', inputs: ['diff'], outputs: ['diff64'], name: 'diff64', attributes: { to: { kind: 'int', value: ONNX_DOUBLE } } },
    { opType: 'Mul', inputs: ['diff64', 'diff64'], outputs: ['squared'], name: 'squared' },
    { opType: 'ReduceMean', inputs: ['squared'], outputs: ['score64'], name: 'score64', attributes: { axes: { kind: 'ints', value: [1, 2, 3] }, keepdims: { kind: 'int', value: 0 } } },
    { opType: 'Cast', inputs: ['score64'], outputs: [ONNX_OUTPUTS.score], name: 'score_out', attributes: { to: { kind: 'int', value: ONNX_FLOAT } } },
  );
  const image = (name: string, doc: string): OnnxModel['graph']['inputs'][number] => ({ name, elemType: ONNX_FLOAT, shape: ['N', 1, h, w], doc });
  const outputs = [
    image(ONNX_OUTPUTS.reconstruction, 'reconstruction of the input'),
    { name: ONNX_OUTPUTS.score, elemType: ONNX_FLOAT, shape: ['N'], doc: SCORE_DEFINITION },
  ];
  if (opts.residual === true) {
    nodes.push({ opType: 'Identity', inputs: ['diff'], outputs: [ONNX_OUTPUTS.residual], name: 'residual_out' });
    outputs.push(image(ONNX_OUTPUTS.residual, 'input - reconstruction'));
  }
  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    producerName: 'darklens',
    producerVersion: opts.producerVersion ?? '0.1.0',
    docString: `darklens ${model.name}: anomaly score = ${SCORE_DEFINITION}`,
    graph: {
      name: model.name,
      nodes,
      initializers,
      inputs: [image(ONNX_INPUT, 'cutouts, each min-max scaled to [0, 1]')],
      outputs,
    },
    ...(opts.metadata !== undefined ? { metadata: opts.metadata } : {}),
  });
}
