/**
 * The scoring head of a darklens ONNX graph: from `input`, the network's reconstruction and the noise
 * inputs to every score of core's contract (onnx/contract.ts), so that every runtime (Node, Lambda,
 * Workers, browsers) computes the same numbers from one definition. Masked pixels (variance +Inf)
 * count in no score. Sums run in float64 and are rounded once to float32, so a score does not depend
 * on the runtime's summation order.
 */
import { ONNX_INPUT, ONNX_NOISE, ONNX_VARIANCE, SCORES, scoreOutputName, type ScoreName } from '@darklens/core';
import { floatBytes } from './convert.js';

function doubleBytes(v: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, v, true);
  return out;
}
import { ONNX_DOUBLE, ONNX_FLOAT, ONNX_INT64, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnx-proto.js';

export interface ScoreHeadOptions {
  /** Name of the reconstruction value in the graph. */
  reconstruction: string;
  /** Sigma of the PSF in pixels of the model's grid: the width of the filtered scores. */
  psfSigmaPx: number;
}

export interface ScoreHead {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  /** The graph inputs it adds (variance, noise). */
  inputs: (h: number, w: number) => OnnxValueInfo[];
  /** The score outputs, `score` first. */
  outputs: OnnxValueInfo[];
}

/** Scores of the head, in output order. */
export const HEAD_SCORES: readonly ScoreName[] = ['mse', 'chi2', 'psf', 'mf', 'mf2', 'sharp'];

/**
 * A unit-L2-norm 2-D Gaussian of `sigma` pixels, truncated at 3 sigma: it maps white noise of unit
 * variance to unit variance, so filtered noise-whitened residuals stay chi-square distributed per pixel.
 */
export function unitNormGaussian(sigma: number): { size: number; data: Float32Array } {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const size = 2 * r + 1;
  const data = new Float32Array(size * size);
  let sq = 0;
  for (let y = -r; y <= r; y++) {
    for (let x = -r; x <= r; x++) {
      const v = Math.exp(-(x * x + y * y) / (2 * sigma * sigma));
      data[(y + r) * size + x + r] = v;
      sq += v * v;
    }
  }
  const norm = Math.sqrt(sq);
  for (let k = 0; k < data.length; k++) data[k] = data[k]! / norm;
  return { size, data };
}

/**
 * The negative Laplacian of a normalized Gaussian of `sigma` pixels, truncated at 3 sigma (plus one
 * pixel) and shifted to sum to exactly zero, so a constant image maps to zero: convolving an image
 * with it gives the negative Laplacian of the image smoothed at `sigma`, positive on peaks and ridges.
 */
export function negativeLaplacianOfGaussian(sigma: number): { size: number; data: Float32Array } {
  const r = Math.max(2, Math.ceil(3 * sigma) + 1);
  const size = 2 * r + 1;
  const s2 = sigma * sigma;
  const values = new Float64Array(size * size);
  let norm = 0;
  for (let y = -r; y <= r; y++) for (let x = -r; x <= r; x++) norm += Math.exp(-(x * x + y * y) / (2 * s2));
  let sum = 0;
  for (let y = -r; y <= r; y++) {
    for (let x = -r; x <= r; x++) {
      const q = x * x + y * y;
      const v = -(Math.exp(-q / (2 * s2)) / norm) * ((q - 2 * s2) / (s2 * s2));
      values[(y + r) * size + x + r] = v;
      sum += v;
    }
  }
  const data = new Float32Array(size * size);
  for (let k = 0; k < data.length; k++) data[k] = values[k]! - sum / data.length;
  return { size, data };
}

export function scoreHead(o: ScoreHeadOptions): ScoreHead {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const op = (opType: string, inputs: string[], output: string, attributes?: OnnxNode['attributes']): string => {
    nodes.push({ opType, inputs, outputs: [output], name: output, ...(attributes !== undefined ? { attributes } : {}) });
    return output;
  };
  const ints = (name: string, values: number[]): string => {
    const raw = new Uint8Array(values.length * 8);
    const dv = new DataView(raw.buffer);
    values.forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
    initializers.push({ name, dims: [values.length], dataType: ONNX_INT64, raw });
    return name;
  };
  const doubles = new Map<string, string>();
  const toDouble = (x: string): string => {
    let d = doubles.get(x);
    if (d === undefined) doubles.set(x, (d = op('Cast', [x], `${x}_f64`, { to: { kind: 'int', value: ONNX_DOUBLE } })));
    return d;
  };
  const toFloat = (x: string, out: string): string => op('Cast', [x], out, { to: { kind: 'int', value: ONNX_FLOAT } });
  const imageAxes = ints('head.image_axes', [1, 2, 3]);
  const perImage = ints('head.per_image', [-1, 1, 1, 1]);

  // Per-image noise parameters as [N, 1, 1, 1], for broadcasting over the image.
  const column = (index: number, name: string): string => {
    const sliced = op('Slice', [ONNX_NOISE, ints(`head.${name}_start`, [index]), ints(`head.${name}_end`, [index + 1]), ints(`head.${name}_axis`, [1])], `head.${name}_col`);
    return op('Reshape', [sliced, perImage], `head.${name}`);
  };
  const background = column(0, 'background');
  const gain = column(1, 'gain');

  // Noise variance: the base plane plus the Poisson term of the reconstruction's light; weight = 1 /
  // variance (0 where masked: the base is +Inf there), mask = weight > 0.
  const above = op('Relu', [op('Sub', [o.reconstruction, background], 'head.light')], 'head.light_above');
  const variance = op('Add', [ONNX_VARIANCE, op('Mul', [gain, above], 'head.poisson')], 'head.variance');
  const weight = op('Reciprocal', [variance], 'head.weight');
  const zero = 'head.zero';
  initializers.push({ name: zero, dims: [], dataType: ONNX_FLOAT, raw: floatBytes(new Float32Array([0])) });
  const mask = op('Cast', [op('Greater', [weight, zero], 'head.unmasked')], 'head.mask', { to: { kind: 'int', value: ONNX_FLOAT } });
  const count = op('ReduceSum', [toDouble(mask), imageAxes], 'head.count', { keepdims: { kind: 'int', value: 0 } });

  const diff = op('Sub', [ONNX_INPUT, o.reconstruction], 'head.diff');
  const maskedDiff = op('Mul', [diff, mask], 'head.masked_diff');
  /** Score `name`: the mean over unmasked pixels of x^2 (times `alsoTimes`); x is zero where masked. */
  const meanOfSquares = (x: string, name: ScoreName, alsoTimes?: string): string => {
    const x64 = toDouble(x);
    let sq = op('Mul', [x64, x64], `head.${name}_sq`);
    if (alsoTimes !== undefined) sq = op('Mul', [sq, toDouble(alsoTimes)], `head.${name}_weighted`);
    const sum = op('ReduceSum', [sq, imageAxes], `head.${name}_sum`, { keepdims: { kind: 'int', value: 0 } });
    return toFloat(op('Div', [sum, count], `head.${name}_mean`), scoreOutputName(name));
  };
  /** Zero-padded 'same' convolution with a square kernel. */
  const convolve = (x: string, k: { size: number; data: Float32Array }, name: string): string => {
    const r = (k.size - 1) / 2;
    initializers.push({ name: `head.${name}_kernel`, dims: [1, 1, k.size, k.size], dataType: ONNX_FLOAT, raw: floatBytes(k.data) });
    return op('Conv', [x, `head.${name}_kernel`], `head.${name}_filtered`, {
      kernel_shape: { kind: 'ints', value: [k.size, k.size] },
      pads: { kind: 'ints', value: [r, r, r, r] },
    });
  };
  // Filtered values next to a masked pixel are real; those AT masked pixels are not counted.
  const filter = (x: string, sigma: number, name: string): string =>
    op('Mul', [convolve(x, unitNormGaussian(sigma), name), mask], `head.${name}_filtered_masked`);
  const sumOver = (x64: string, name: string): string => op('ReduceSum', [x64, imageAxes], `head.${name}_sum`, { keepdims: { kind: 'int', value: 0 } });

  const whitened = op('Mul', [diff, op('Sqrt', [weight], 'head.inv_sigma')], 'head.whitened');
  meanOfSquares(maskedDiff, 'mse');
  meanOfSquares(maskedDiff, 'chi2', weight);
  meanOfSquares(filter(maskedDiff, o.psfSigmaPx, 'psf'), 'psf');
  meanOfSquares(filter(whitened, o.psfSigmaPx, 'mf'), 'mf');
  meanOfSquares(filter(whitened, 2 * o.psfSigmaPx, 'mf2'), 'mf2');

  // sharp: <d, t>_w / sqrt(<t, t>_w), t the negative Laplacian of the smoothed reconstruction above
  // the background (the background subtracted so that zero padding adds no edge). float64 sums.
  const template = convolve(op('Sub', [o.reconstruction, background], 'head.light_signed'), negativeLaplacianOfGaussian(2 * o.psfSigmaPx), 'sharp');
  const t64 = toDouble(template);
  const w64 = toDouble(weight);
  const tw = op('Mul', [t64, w64], 'head.sharp_tw');
  const projection = sumOver(op('Mul', [toDouble(maskedDiff), tw], 'head.sharp_dtw'), 'sharp_projection');
  const norm2 = sumOver(op('Mul', [t64, tw], 'head.sharp_ttw'), 'sharp_norm2');
  const tiny = 'head.tiny';
  initializers.push({ name: tiny, dims: [], dataType: ONNX_DOUBLE, raw: doubleBytes(1e-30) });
  const norm = op('Sqrt', [op('Max', [norm2, tiny], 'head.sharp_norm2_floor')], 'head.sharp_norm');
  toFloat(op('Div', [projection, norm], 'head.sharp_value'), scoreOutputName('sharp'));

  return {
    nodes,
    initializers,
    inputs: (h, w) => [
      { name: ONNX_VARIANCE, elemType: ONNX_FLOAT, shape: ['N', 1, h, w], doc: 'base noise variance per pixel in the scaled units of input; +Inf where masked' },
      { name: ONNX_NOISE, elemType: ONNX_FLOAT, shape: ['N', 2], doc: 'background level b and Poisson gain k: variance + k max(reconstruction - b, 0)' },
    ],
    outputs: HEAD_SCORES.map((s) => ({ name: scoreOutputName(s), elemType: ONNX_FLOAT, shape: ['N'], doc: SCORES[s] })),
  };
}
