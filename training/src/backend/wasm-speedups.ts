/**
 * Faster replacements for two wasm kernels that dominate conv-autoencoder training time in Node:
 *
 * - `Conv2DBackpropInput` (the input gradient of conv2d, and the forward pass of conv2dTranspose):
 *   the stock wasm kernel is a direct loop (~0.8 GMAC/s here). Replaced, for NHWC, by one
 *   non-transposed BatchMatMul cols[M, K] = dy[M, outC] @ W^T[outC, K] (XNNPACK) and a col2im
 *   scatter-add in JavaScript; stride 1 as one XNNPACK convolution (wasm-stride1.ts). NCHW goes to
 *   the stock kernel.
 * - `BatchMatMul` with transposeA / transposeB (Dense-layer gradients): the stock transposed paths
 *   are 4-10x slower than the plain one. Replaced by a JavaScript transpose into a wasm tensor, then
 *   the stock kernel with no transpose.
 *
 * Both are drop-in: same inputs, attrs and outputs as the stock kernels, results equal to the cpu
 * backend's within float32 rounding (see the tests).
 */
import type * as TfNamespace from '@tensorflow/tfjs';
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { conv2DGeometry, type Conv2DGeometry } from './conv-geometry.js';
import { heapF32, type WasmBackendLike } from './wasm-conv2d-backprop-filter.js';
import { backpropInputStride1, stride1Applies } from './wasm-stride1.js';

type Tf = typeof TfNamespace;

const BACKEND = 'wasm';
const DEFAULT_MAX_COLS = 16 * 1024 * 1024;

function fail(kernel: string, message: string): never {
  throw new Error(`${kernel} (wasm): ${message}`);
}

const prod = (a: readonly number[]) => a.reduce((p, c) => p * c, 1);

/** The kernel config as first registered by tfjs-backend-wasm (before any of our replacements). */
const stock = new WeakMap<object, Map<string, KernelConfig>>();
const ours = new WeakSet<KernelFunc>();
/** The options of the Conv2DBackpropInput replacement now registered, per tfjs namespace. */
const speedupKey = new WeakMap<object, string>();

function stockKernel(tf: Tf, name: string): KernelConfig {
  let m = stock.get(tf);
  if (m === undefined) stock.set(tf, (m = new Map<string, KernelConfig>()));
  const saved = m.get(name);
  if (saved !== undefined) return saved;
  const current = tf.getKernel(name, BACKEND);
  if (current === undefined) fail(name, 'the stock wasm kernel is not registered (import @tensorflow/tfjs-backend-wasm first)');
  if (ours.has(current.kernelFunc)) fail(name, 'internal error: stock kernel lost');
  m.set(name, current);
  return current;
}

function replace(tf: Tf, name: string, kernelFunc: KernelFunc): void {
  const original = stockKernel(tf, name); // remember the stock one before replacing it
  const current = tf.getKernel(name, BACKEND);
  if (current !== undefined && ours.has(current.kernelFunc)) return; // already ours
  ours.add(kernelFunc);
  tf.unregisterKernel(name, BACKEND);
  // Keep the stock setup/dispose: the backend runs setupFunc at initialization, and the stock
  // kernelFunc we delegate to needs it (it binds the wasm function there).
  const config: KernelConfig = { kernelName: name, backendName: BACKEND, kernelFunc };
  if (original.setupFunc !== undefined) config.setupFunc = original.setupFunc;
  if (original.disposeFunc !== undefined) config.disposeFunc = original.disposeFunc;
  tf.registerKernel(config);
}

/** Restores the stock kernels (for comparisons and tests). */
export function unregisterWasmSpeedups(tf: Tf): void {
  const m = stock.get(tf);
  if (m === undefined) return;
  for (const [name, config] of m) {
    const current = tf.getKernel(name, BACKEND);
    if (current !== undefined && ours.has(current.kernelFunc)) {
      tf.unregisterKernel(name, BACKEND);
      tf.registerKernel(config);
    }
  }
}

function callMatMul(stockMatMul: KernelFunc, backend: unknown, a: TensorInfo, b: TensorInfo): TensorInfo {
  const r = stockMatMul({ inputs: { a, b }, backend: backend as object, attrs: { transposeA: false, transposeB: false } });
  if (Array.isArray(r)) fail('BatchMatMul', 'several outputs');
  return r;
}

/** dst[b][c][r] = src[b][r][c] for `batch` matrices of rows x cols, blocked for the cache. */
export function transposeBatched(src: Float32Array, dst: Float32Array, batch: number, rows: number, cols: number): void {
  const B = 32;
  for (let n = 0; n < batch; n++) {
    const o = n * rows * cols;
    for (let r0 = 0; r0 < rows; r0 += B) {
      const r1 = Math.min(rows, r0 + B);
      for (let c0 = 0; c0 < cols; c0 += B) {
        const c1 = Math.min(cols, c0 + B);
        for (let r = r0; r < r1; r++) {
          const s = o + r * cols;
          for (let c = c0; c < c1; c++) dst[o + c * rows + r] = src[s + c] as number;
        }
      }
    }
  }
}

function batchMatMulKernel(tf: Tf): KernelFunc {
  const stockMatMul = stockKernel(tf, 'BatchMatMul').kernelFunc;
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs;
    const { transposeA, transposeB } = (attrs ?? {}) as NamedAttrMap & { transposeA?: boolean; transposeB?: boolean };
    if (
      (transposeA !== true && transposeB !== true) ||
      a === undefined ||
      b === undefined ||
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      a.shape.length < 2 ||
      b.shape.length < 2
    ) {
      return stockMatMul(args);
    }
    const be = backend as WasmBackendLike;
    const swapLast = (s: number[]) => [...s.slice(0, -2), s[s.length - 1] as number, s[s.length - 2] as number];
    const at = transposeA === true ? be.makeOutput(swapLast(a.shape), 'float32') : undefined;
    const bt = transposeB === true ? be.makeOutput(swapLast(b.shape), 'float32') : undefined;
    try {
      // Views only after both allocations.
      for (const [src, dst] of [
        [a, at],
        [b, bt],
      ] as const) {
        if (dst === undefined) continue;
        const rows = src.shape[src.shape.length - 2] as number;
        const cols = src.shape[src.shape.length - 1] as number;
        const batch = prod(src.shape.slice(0, -2));
        transposeBatched(heapF32(be, src, 'BatchMatMul input'), heapF32(be, dst, 'BatchMatMul scratch'), batch, rows, cols);
      }
      return callMatMul(stockMatMul, backend, at ?? a, bt ?? b);
    } finally {
      if (at !== undefined) be.disposeData(at.dataId);
      if (bt !== undefined) be.disposeData(bt.dataId);
    }
  };
}

/**
 * dx[b0 + b, ih, iw, ci] += cols[m, (kh*fw + kw)*inC + ci] for the images [b0, b0 + nb) of the
 * chunk; m = ((b*outH + oh)*outW + ow) counts from the chunk's first image.
 */
export function col2imAdd(g: Conv2DGeometry, cols: Float32Array, dx: Float32Array, b0: number, nb: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = g;
  const { strideHeight: sh, strideWidth: sw, padTop, padLeft, filterHeight: FH, filterWidth: FW } = g;
  const K = FH * FW * C;
  for (let b = 0; b < nb; b++) {
    const img = (b0 + b) * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const m = (b * OH + oh) * OW + ow;
        for (let kh = 0; kh < FH; kh++) {
          const ih = oh * sh + kh - padTop;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < FW; kw++) {
            const iw = ow * sw + kw - padLeft;
            if (iw < 0 || iw >= W) continue;
            const d = img + (ih * W + iw) * C;
            const s = m * K + (kh * FW + kw) * C;
            for (let c = 0; c < C; c++) dx[d + c] = (dx[d + c] as number) + (cols[s + c] as number);
          }
        }
      }
    }
  }
}

function conv2DBackpropInputKernel(tf: Tf, maxCols: number, stride1: boolean): KernelFunc {
  const name = 'Conv2DBackpropInput';
  const stockBpi = stockKernel(tf, name).kernelFunc;
  const stockConv2d = stockKernel(tf, 'Conv2D').kernelFunc;
  const stockMatMul = stockKernel(tf, 'BatchMatMul').kernelFunc;
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    const { dy, filter } = inputs;
    if (dy === undefined || filter === undefined) fail(name, 'inputs dy and filter are required');
    if (attrs.dataFormat === 'NCHW' || dy.dtype !== 'float32' || filter.dtype !== 'float32') return stockBpi(args);
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const [FH, FW, C, CO] = filter.shape as [number, number, number, number];
    const g = conv2DGeometry(info, [FH, FW, C, CO]);
    const expected = [g.batch, g.outHeight, g.outWidth, CO];
    if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== expected[i])) {
      fail(name, `dy shape [${dy.shape.join(', ')}] does not match the convolution output [${expected.join(', ')}]`);
    }
    const be = backend as WasmBackendLike;
    if (stride1 && stride1Applies(g)) return backpropInputStride1({ backend: be, conv2d: stockConv2d }, g, dy, filter);
    const K = FH * FW * C;
    const perImage = g.outHeight * g.outWidth;
    const imagesPerChunk = Math.max(1, Math.min(g.batch, Math.floor(maxCols / Math.max(1, K * perImage))));

    // W^T [1, outC, K] (the filter is [K, outC] in memory), so the product needs no transpose.
    const wt = be.makeOutput([1, CO, K], 'float32');
    const out = be.makeOutput(attrs.inputShape, 'float32');
    try {
      transposeBatched(heapF32(be, filter, 'filter'), heapF32(be, wt, 'W^T'), 1, K, CO);
      heapF32(be, out, 'dx').fill(0);
      for (let b0 = 0; b0 < g.batch; b0 += imagesPerChunk) {
        const nb = Math.min(imagesPerChunk, g.batch - b0);
        const M = nb * perImage;
        let dyc: TensorInfo | undefined;
        let cols: TensorInfo | undefined;
        try {
          if (nb === g.batch) {
            dyc = { dataId: dy.dataId, shape: [1, M, CO], dtype: 'float32' }; // a view, not owned
          } else {
            const own = be.makeOutput([1, M, CO], 'float32');
            dyc = own;
            const start = b0 * perImage * CO;
            heapF32(be, own, 'dy chunk').set(heapF32(be, dy, 'dy').subarray(start, start + M * CO));
          }
          cols = callMatMul(stockMatMul, backend, dyc, wt);
          col2imAdd(g, heapF32(be, cols, 'cols'), heapF32(be, out, 'dx'), b0, nb);
        } finally {
          if (cols !== undefined) be.disposeData(cols.dataId);
          if (dyc !== undefined && dyc.dataId !== dy.dataId) be.disposeData(dyc.dataId);
        }
      }
    } catch (e) {
      be.disposeData(out.dataId);
      throw e;
    } finally {
      be.disposeData(wt.dataId);
    }
    return out;
  };
}

export interface WasmSpeedupOptions {
  /** Largest cols matrix of Conv2DBackpropInput, in float32 elements, before the batch is split. */
  maxColsElements?: number;
  /** Compute stride-1 input gradients as an XNNPACK convolution (wasm-stride1.ts; default true). */
  stride1?: boolean;
}

/**
 * Replaces the wasm `Conv2DBackpropInput` and the transposed paths of `BatchMatMul` with the faster
 * versions above. Idempotent; `unregisterWasmSpeedups` restores the stock kernels.
 */
export function registerWasmSpeedups(tf: Tf, opts: WasmSpeedupOptions = {}): void {
  const maxCols = Math.max(1, Math.floor(opts.maxColsElements ?? DEFAULT_MAX_COLS));
  const stride1 = opts.stride1 !== false;
  const key = `${maxCols}:${stride1}`;
  // Options changed since the last call: put the stock kernel back first (replace keeps ours otherwise).
  const current = tf.getKernel('Conv2DBackpropInput', BACKEND);
  if (current !== undefined && ours.has(current.kernelFunc) && speedupKey.get(tf) !== key) {
    tf.unregisterKernel('Conv2DBackpropInput', BACKEND);
    tf.registerKernel(stockKernel(tf, 'Conv2DBackpropInput'));
  }
  // BackpropInput calls the stock BatchMatMul directly, so the order does not matter.
  replace(tf, 'Conv2DBackpropInput', conv2DBackpropInputKernel(tf, maxCols, stride1));
  replace(tf, 'BatchMatMul', batchMatMulKernel(tf));
  speedupKey.set(tf, key);
}
