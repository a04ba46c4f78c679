/**
 * `Conv2DBackpropFilter` for the TensorFlow.js wasm backend, which ships without it (so training any
 * conv or conv-transpose layer on 'wasm' throws). Computes the filter gradient of a 2-D convolution,
 * NHWC, any strides, 'same' / 'valid' / numeric / explicit padding, dilation 1:
 *
 *   dW[kh, kw, ci, co] = sum over b, oh, ow of x[b, oh*sh + kh - top, ow*sw + kw - left, ci] * dy[b, oh, ow, co]
 *
 * Two implementations:
 * - 'im2col' (default): writes the input patches, already transposed, into a wasm-heap tensor
 *   P[K = kh*kw*ci, M = b*oh*ow] and runs the backend's own BatchMatMul once, P @ dy[M, co], with no
 *   transposed operand (wasm's transposed-input BatchMatMul path is very slow). Large batches are
 *   split into chunks so that P stays under `maxIm2colElements`.
 *   Stride-1 convolutions skip the im2col: the gradient is itself a convolution (wasm-stride1.ts).
 * - 'js': a direct loop in JavaScript over the heap views; no extra memory, but scalar.
 *
 * Pitfall handled here: typed-array views of wasm memory are detached when the heap grows, so every
 * view is taken after the last allocation that precedes its use.
 *
 * This module only imports types: the caller passes the tfjs namespace it loaded (see select.ts).
 */
import type {
  Conv2DBackpropFilterAttrs,
  DataId,
  DataType,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs';
import type * as TfNamespace from '@tensorflow/tfjs';
import { conv2DGeometry, type Conv2DGeometry } from './conv-geometry.js';
import { backpropFilterStride1, stride1Applies } from './wasm-stride1.js';

type Tf = typeof TfNamespace;

export type Conv2DBackpropFilterImpl = 'im2col' | 'js';

export interface WasmConv2DBackpropFilterOptions {
  /** Which implementation to register ('im2col' unless told otherwise). */
  impl?: Conv2DBackpropFilterImpl;
  /** Largest im2col matrix, in float32 elements, before the batch is split (default 16M = 64 MiB). */
  maxIm2colElements?: number;
  /** 'im2col' only: compute stride-1 gradients as an XNNPACK convolution (wasm-stride1.ts; default true). */
  stride1?: boolean;
}

/** The geometry of one filter-gradient computation, resolved from the kernel's inputs and attrs. */
export type BackpropFilterGeometry = Conv2DGeometry;

/** The parts of the wasm backend (BackendWasm) the kernels here use. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

const KERNEL = 'Conv2DBackpropFilter';
const BACKEND = 'wasm';
const DEFAULT_MAX_IM2COL = 16 * 1024 * 1024;

function fail(message: string): never {
  throw new Error(`Conv2DBackpropFilter (wasm): ${message}`);
}

function pair(v: number | [number, number] | number[] | undefined, name: string): [number, number] {
  if (v === undefined) return [1, 1];
  if (typeof v === 'number') return [v, v];
  if (v.length === 2 && v[0] !== undefined && v[1] !== undefined) return [v[0], v[1]];
  if (v.length === 4 && v[1] !== undefined && v[2] !== undefined) return [v[1], v[2]]; // [1, h, w, 1]
  return fail(`${name} must be a number or [h, w], got ${JSON.stringify(v)}`);
}

/**
 * Resolves shapes, strides and padding; throws a clear error for what the kernel does not support
 * (NCHW, dilations other than 1, non-float32 tensors, shapes that do not agree).
 */
export function backpropFilterGeometry(
  tf: Tf,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: Conv2DBackpropFilterAttrs & { dilations?: number | [number, number] },
): BackpropFilterGeometry {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    fail(`only dataFormat 'NHWC' is supported, got '${attrs.dataFormat}'`);
  }
  const [dh, dw] = pair(attrs.dilations, 'dilations');
  if (dh !== 1 || dw !== 1) fail(`only dilations 1 are supported, got [${dh}, ${dw}]`);
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    fail(`x and dy must be float32, got ${x.dtype} and ${dy.dtype}`);
  }
  if (x.shape.length !== 4 || dy.shape.length !== 4) {
    fail(`x and dy must be rank 4 (NHWC), got shapes [${x.shape.join(', ')}] and [${dy.shape.join(', ')}]`);
  }
  const fs = attrs.filterShape;
  if (!Array.isArray(fs) || fs.length !== 4) fail(`filterShape must be [h, w, in, out]`);
  const strides = pair(attrs.strides, 'strides');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    fs,
    strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const inChannels = x.shape[3] as number;
  const [dyBatch, dyH, dyW, dyC] = dy.shape as [number, number, number, number];
  if (fs[2] !== inChannels) fail(`filterShape in-channels ${fs[2]} != x channels ${inChannels}`);
  if (dyBatch !== info.batchSize || dyH !== info.outHeight || dyW !== info.outWidth || dyC !== fs[3]) {
    fail(
      `dy shape [${dy.shape.join(', ')}] does not match the convolution output ` +
        `[${info.batchSize}, ${info.outHeight}, ${info.outWidth}, ${fs[3]}]`,
    );
  }
  return conv2DGeometry(info, fs);
}

/** Range of output columns [lo, hi) whose input column ow*sw + kw - left lies inside [0, inW). */
function validRange(k: number, pad: number, stride: number, inSize: number, outSize: number): [number, number] {
  // o*stride + k - pad >= 0  <=>  o >= ceil((pad - k) / stride)
  const lo = Math.max(0, Math.ceil((pad - k) / stride));
  // o*stride + k - pad <= inSize - 1  <=>  o <= floor((inSize - 1 - k + pad) / stride)
  const hi = Math.min(outSize, Math.floor((inSize - 1 - k + pad) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Writes the transposed im2col matrix for images [b0, b0 + nb): row k = (kh*fw + kw)*inC + ci, column
 * m = ((b - b0)*outH + oh)*outW + ow, value x[b, ih, iw, ci] or 0 outside the image. Every element is
 * written (the destination comes from malloc and is not zeroed). Two loop orders, whichever is
 * faster for the channel count (measured: channel-inner is ~2x faster from 16 channels, row-wise
 * ~2x faster for 1 channel).
 */
export function im2colTransposed(
  g: BackpropFilterGeometry,
  x: Float32Array,
  p: Float32Array,
  b0: number,
  nb: number,
): void {
  if (g.inChannels >= 4) im2colChannelInner(g, x, p, b0, nb);
  else im2colRowWise(g, x, p, b0, nb);
}

/** One output row of P at a time: sequential writes, reads strided by stride*inC. */
function im2colRowWise(g: BackpropFilterGeometry, x: Float32Array, p: Float32Array, b0: number, nb: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const { strideHeight: sh, strideWidth: sw, padTop, padLeft, filterHeight: FH, filterWidth: FW } = g;
  const M = nb * OH * OW;
  const rowStrideX = W * C;
  const imgStrideX = H * rowStrideX;
  const step = sw * C;
  for (let kh = 0; kh < FH; kh++) {
    const [ohLo, ohHi] = validRange(kh, padTop, sh, H, OH);
    for (let kw = 0; kw < FW; kw++) {
      const [owLo, owHi] = validRange(kw, padLeft, sw, W, OW);
      const xColOff = (owLo * sw + kw - padLeft) * C;
      for (let ci = 0; ci < C; ci++) {
        let m = ((kh * FW + kw) * C + ci) * M;
        for (let b = 0; b < nb; b++) {
          const xImg = (b0 + b) * imgStrideX + ci + xColOff;
          for (let oh = 0; oh < OH; oh++) {
            if (oh < ohLo || oh >= ohHi) {
              p.fill(0, m, m + OW);
              m += OW;
              continue;
            }
            if (owLo > 0) p.fill(0, m, m + owLo);
            m += owLo;
            let xi = xImg + (oh * sh + kh - padTop) * rowStrideX;
            for (let ow = owLo; ow < owHi; ow++) {
              p[m++] = x[xi] as number;
              xi += step;
            }
            if (owHi < OW) p.fill(0, m, m + OW - owHi);
            m += OW - owHi;
          }
        }
      }
    }
  }
}

/** One input pixel's channels at a time: contiguous reads, writes strided by M (one per row). */
function im2colChannelInner(g: BackpropFilterGeometry, x: Float32Array, p: Float32Array, b0: number, nb: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const { strideHeight: sh, strideWidth: sw, padTop, padLeft, filterHeight: FH, filterWidth: FW } = g;
  const M = nb * OH * OW;
  for (let kh = 0; kh < FH; kh++) {
    for (let kw = 0; kw < FW; kw++) {
      const rowBase = (kh * FW + kw) * C * M;
      let m = 0;
      for (let b = 0; b < nb; b++) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh + kh - padTop;
          const rowInside = ih >= 0 && ih < H;
          const xRow = ((b0 + b) * H + ih) * W;
          for (let ow = 0; ow < OW; ow++, m++) {
            const iw = ow * sw + kw - padLeft;
            let d = rowBase + m;
            if (!rowInside || iw < 0 || iw >= W) {
              for (let c = 0; c < C; c++, d += M) p[d] = 0;
              continue;
            }
            let xi = (xRow + iw) * C;
            for (let c = 0; c < C; c++, d += M) p[d] = x[xi++] as number;
          }
        }
      }
    }
  }
}

/** Direct filter gradient in JavaScript: out[K, outC] (zeroed here) += patches^T @ dy. */
export function backpropFilterJs(g: BackpropFilterGeometry, x: Float32Array, dy: Float32Array, out: Float32Array): void {
  const { batch, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = g;
  const { strideHeight: sh, strideWidth: sw, padTop, padLeft, filterHeight: FH, filterWidth: FW } = g;
  out.fill(0);
  // Taps outside, output positions inside (only those whose input lies in the image, from validRange):
  // each out element still sums its terms in (b, oh, ow) order.
  for (let b = 0; b < batch; b++) {
    for (let kh = 0; kh < FH; kh++) {
      const [ohLo, ohHi] = validRange(kh, padTop, sh, H, OH);
      for (let kw = 0; kw < FW; kw++) {
        const [owLo, owHi] = validRange(kw, padLeft, sw, W, OW);
        const wOff = (kh * FW + kw) * C * CO;
        for (let oh = ohLo; oh < ohHi; oh++) {
          const xRow = (b * H + oh * sh + kh - padTop) * W;
          for (let ow = owLo; ow < owHi; ow++) {
            const xOff = (xRow + ow * sw + kw - padLeft) * C;
            const dyOff = ((b * OH + oh) * OW + ow) * CO;
            for (let ci = 0; ci < C; ci++) {
              const xv = x[xOff + ci] as number;
              const o = wOff + ci * CO;
              for (let co = 0; co < CO; co++) out[o + co] = (out[o + co] as number) + xv * (dy[dyOff + co] as number);
            }
          }
        }
      }
    }
  }
}

function asFloat32(a: Float32Array | Int32Array | Uint8Array, what: string): Float32Array {
  if (!(a instanceof Float32Array)) fail(`${what} is not float32`);
  return a;
}

/** A fresh float32 view of a wasm tensor (take it after the last allocation that precedes its use). */
export function heapF32(backend: WasmBackendLike, t: TensorInfo, what: string): Float32Array {
  return asFloat32(backend.typedArrayFromHeap(t), what);
}

/** Builds the kernel config (not registered). */
export function wasmConv2DBackpropFilterConfig(tf: Tf, opts: WasmConv2DBackpropFilterOptions = {}): KernelConfig {
  const impl = opts.impl ?? 'im2col';
  const maxElems = Math.max(1, Math.floor(opts.maxIm2colElements ?? DEFAULT_MAX_IM2COL));

  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs;
    if (x === undefined || dy === undefined) fail('inputs x and dy are required');
    const be = backend as WasmBackendLike;
    const g = backpropFilterGeometry(tf, x, dy, attrs as unknown as Conv2DBackpropFilterAttrs);
    const filterShape = [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels];
    const K = g.filterHeight * g.filterWidth * g.inChannels;
    const perImage = g.outHeight * g.outWidth;

    if (impl === 'js') {
      const out = be.makeOutput(filterShape, 'float32');
      // Views after the allocation above.
      backpropFilterJs(
        g,
        asFloat32(be.typedArrayFromHeap(x), 'x'),
        asFloat32(be.typedArrayFromHeap(dy), 'dy'),
        asFloat32(be.typedArrayFromHeap(out), 'output'),
      );
      return out;
    }

    const conv2d = tf.getKernel('Conv2D', BACKEND)?.kernelFunc;
    if (opts.stride1 !== false && conv2d !== undefined && stride1Applies(g)) return backpropFilterStride1({ backend: be, conv2d }, g, x, dy);

    const matMul = tf.getKernel('BatchMatMul', BACKEND)?.kernelFunc;
    if (matMul === undefined) fail('the wasm BatchMatMul kernel is not registered');
    const mm = (a: TensorInfo, b: TensorInfo): TensorInfo => {
      const r = matMul({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
      if (Array.isArray(r)) fail('BatchMatMul returned several outputs');
      return r;
    };

    const imagesPerChunk = Math.max(1, Math.min(g.batch, Math.floor(maxElems / Math.max(1, K * perImage))));
    if (imagesPerChunk >= g.batch) {
      // One chunk: P[1, K, M] @ dy viewed as [1, M, outC] -> [1, K, outC] = dW.
      const M = g.batch * perImage;
      const p = be.makeOutput([1, K, M], 'float32');
      try {
        im2colTransposed(g, asFloat32(be.typedArrayFromHeap(x), 'x'), asFloat32(be.typedArrayFromHeap(p), 'P'), 0, g.batch);
        const out = mm(p, { dataId: dy.dataId, shape: [1, M, g.outChannels], dtype: 'float32' });
        return { dataId: out.dataId, shape: filterShape, dtype: 'float32' };
      } finally {
        be.disposeData(p.dataId);
      }
    }

    // Several chunks of images: accumulate each chunk's product in JS, then write the sum.
    const acc = new Float32Array(K * g.outChannels);
    for (let b0 = 0; b0 < g.batch; b0 += imagesPerChunk) {
      const nb = Math.min(imagesPerChunk, g.batch - b0);
      const M = nb * perImage;
      const p = be.makeOutput([1, K, M], 'float32');
      const dyc = be.makeOutput([1, M, g.outChannels], 'float32');
      let part: TensorInfo | undefined;
      try {
        // Views after both allocations.
        const dyAll = asFloat32(be.typedArrayFromHeap(dy), 'dy');
        const start = b0 * perImage * g.outChannels;
        asFloat32(be.typedArrayFromHeap(dyc), 'dy chunk').set(dyAll.subarray(start, start + M * g.outChannels));
        im2colTransposed(g, asFloat32(be.typedArrayFromHeap(x), 'x'), asFloat32(be.typedArrayFromHeap(p), 'P'), b0, nb);
        part = mm(p, dyc);
        const pv = asFloat32(be.typedArrayFromHeap(part), 'partial product');
        for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + (pv[i] as number);
      } finally {
        be.disposeData(p.dataId);
        be.disposeData(dyc.dataId);
        if (part !== undefined) be.disposeData(part.dataId);
      }
    }
    const out = be.makeOutput(filterShape, 'float32');
    asFloat32(be.typedArrayFromHeap(out), 'output').set(acc);
    return out;
  };

  return { kernelName: KERNEL, backendName: BACKEND, kernelFunc };
}

const registered = new WeakMap<object, string>();

/**
 * Registers the kernel for 'wasm' (replacing any earlier registration, so switching options works).
 * Idempotent: registering the same options again for the same tfjs namespace does nothing.
 */
export function registerWasmConv2DBackpropFilter(tf: Tf, opts: WasmConv2DBackpropFilterOptions = {}): void {
  const key = `${opts.impl ?? 'im2col'}:${opts.maxIm2colElements ?? DEFAULT_MAX_IM2COL}:${opts.stride1 !== false}`;
  const current = tf.getKernel(KERNEL, BACKEND);
  if (current !== undefined && registered.get(tf) === key) return;
  if (current !== undefined) tf.unregisterKernel(KERNEL, BACKEND);
  tf.registerKernel(wasmConv2DBackpropFilterConfig(tf, opts));
  registered.set(tf, key);
}
