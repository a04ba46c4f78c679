/**
 * ONNX export of a darklens inference network: opset 17, IR version 8 (what Debian's onnx 1.12
 * checker and onnxruntime 1.30 both accept), laid out as core's ONNX contract (onnx/contract.ts) says:
 *
 *   inputs   input [N, 1, H, W] (N dynamic; cutouts min-max scaled to [0, 1] like the training data),
 *            variance [N, 1, H, W] and noise [N, 2] (the noise model, core's preprocess/noise.ts)
 *   outputs  reconstruction [N, 1, H, W]; every score of the scoring head (score-graph.ts): `score`
 *            (the MSE, the training definition) then score_chi2, score_psf, score_mf, score_mf2;
 *            with `residual: true`, residual = input - reconstruction
 *
 * The VAE's network already reconstructs from the mean and the RBM's by mean field; the AAE's
 * discriminator is not part of the network. Optional float16 weights halve the file (the graph
 * casts them back to float32, so inputs, outputs and arithmetic stay float32).
 */
import type * as TfNamespace from '@tensorflow/tfjs';
import { DarklensError, ONNX_INPUT, ONNX_RECONSTRUCTION, ONNX_RESIDUAL, ONNX_SCORE } from '@darklens/core';
import { convertLayersModel } from './convert.js';
import { encodeModel, ONNX_FLOAT, ONNX_FLOAT16, type OnnxModel, type OnnxNode } from './onnx-proto.js';
import { toFloat16Bytes } from './float16.js';
import { scoreHead } from './score-graph.js';

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
/** The graph's output names (core's ONNX contract). */
export const ONNX_OUTPUTS = { reconstruction: ONNX_RECONSTRUCTION, score: ONNX_SCORE, residual: ONNX_RESIDUAL } as const;

export interface ExportOptions {
  /** PSF sigma in pixels of the model's grid: the width of the filtered scores (psf, mf; mf2 twice it). */
  psfSigmaPx: number;
  /** Also output the residual map input - reconstruction. */
  residual?: boolean;
  /** Store weights as float16 (cast to float32 in the graph). */
  fp16?: boolean;
  /** Key-value metadata stored in the model (model name, version, training provenance...). */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

/** The ONNX model of `model` (a darklens inference network), as bytes. */
export function exportOnnx(model: TfNamespace.LayersModel, opts: ExportOptions): Uint8Array {
  if (!(Number.isFinite(opts.psfSigmaPx) && opts.psfSigmaPx > 0 && opts.psfSigmaPx <= 64)) {
    throw new DarklensError('invalid_argument', `ONNX export: PSF sigma ${String(opts.psfSigmaPx)} pixels; accepted: a number in (0, 64]`);
  }
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
  nodes.push({ opType: 'Identity', inputs: [g.output.name], outputs: [ONNX_RECONSTRUCTION], name: 'reconstruction_out' });
  const head = scoreHead({ reconstruction: ONNX_RECONSTRUCTION, psfSigmaPx: opts.psfSigmaPx });
  nodes.push(...head.nodes);
  const image = (name: string, doc: string): OnnxModel['graph']['inputs'][number] => ({ name, elemType: ONNX_FLOAT, shape: ['N', 1, h, w], doc });
  const outputs = [image(ONNX_RECONSTRUCTION, 'reconstruction of the input'), ...head.outputs];
  if (opts.residual === true) {
    nodes.push({ opType: 'Sub', inputs: [ONNX_INPUT, ONNX_RECONSTRUCTION], outputs: [ONNX_RESIDUAL], name: 'residual_out' });
    outputs.push(image(ONNX_RESIDUAL, 'input - reconstruction'));
  }
  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    producerName: 'darklens',
    producerVersion: opts.producerVersion ?? '0.1.0',
    docString: `darklens ${model.name}: reconstruction and anomaly scores (PSF sigma ${opts.psfSigmaPx} px)`,
    graph: {
      name: model.name,
      nodes,
      initializers: [...initializers, ...head.initializers],
      inputs: [image(ONNX_INPUT, 'cutouts, each min-max scaled to [0, 1]'), ...head.inputs(h, w)],
      outputs,
    },
    metadata: { 'darklens.psfSigmaPx': String(opts.psfSigmaPx), ...opts.metadata },
  });
}
