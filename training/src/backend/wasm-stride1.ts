/**
 * Stride-1 convolution gradients as forward convolutions, so XNNPACK's convolution does the work
 * instead of an im2col written by JavaScript (measured: the JS im2col cost as much as the matrix
 * product for the DCAE's 8x8x32 -> 8x8x64 layers). For a stride-1, dilation-1 NHWC convolution
 * with filter W [FH, FW, C, CO] and leading padding (pt, pl):
 *
 * - filter gradient: dW[kh, kw, c, co] = sum_{b, y, x} x[b, y + kh - pt, x + kw - pl, c] dy[b, y, x, co]
 *   is conv2d(x' = x as [C, H, W, B], f' = dy as [OH, OW, B, CO], pads (pt, pl) before) -> [C, FH, FW, CO];
 * - input gradient: dx[b, i, j, c] = sum_{kh, kw, co} dy[b, i - kh + pt, j - kw + pl, co] W[kh, kw, c, co]
 *   is conv2d(dy, W rotated by 180 degrees with its channel axes swapped, pads (FH-1-pt, FW-1-pl) before).
 *
 * The trailing pads follow from the output size; when one would be negative (not the case for
 * 'same' or 'valid') the callers keep their general path.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { Conv2DGeometry } from './conv-geometry.js';
import { heapF32, type WasmBackendLike } from './wasm-conv2d-backprop-filter.js';

type Shape4 = [number, number, number, number];

/** dst = src [n0, n1, n2, n3] transposed so that dst axis d is src axis perm[d]. */
export function permute4(src: Float32Array, dst: Float32Array, shape: Shape4, perm: Shape4): void {
  const strides: Shape4 = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  const d = perm.map((p) => shape[p]) as Shape4;
  const st = perm.map((p) => strides[p]) as Shape4;
  const [d0, d1, d2, d3] = d;
  const [s0, s1, s2, s3] = st;
  let o = 0;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      const base = i0 * s0 + i1 * s1;
      for (let i2 = 0; i2 < d2; i2++) {
        let s = base + i2 * s2;
        for (let i3 = 0; i3 < d3; i3++, s += s3) dst[o++] = src[s] as number;
      }
    }
  }
}

/** W [FH, FW, C, CO] -> W'' [FH, FW, CO, C] with W''[a, b, co, c] = W[FH-1-a, FW-1-b, c, co]. */
export function rotateSwapFilter(w: Float32Array, out: Float32Array, [FH, FW, C, CO]: Shape4): void {
  let o = 0;
  for (let a = 0; a < FH; a++) {
    for (let b = 0; b < FW; b++) {
      const base = ((FH - 1 - a) * FW + (FW - 1 - b)) * C * CO;
      for (let co = 0; co < CO; co++) for (let c = 0; c < C; c++) out[o++] = w[base + c * CO + co] as number;
    }
  }
}

export interface Stride1Context {
  backend: WasmBackendLike;
  /** The wasm Conv2D kernel (XNNPACK). */
  conv2d: KernelFunc;
}

function conv(ctx: Stride1Context, x: TensorInfo, filter: TensorInfo, pads: [number, number, number, number]): TensorInfo {
  const [t, b, l, r] = pads;
  const out = ctx.conv2d({
    inputs: { x, filter },
    backend: ctx.backend,
    attrs: { strides: [1, 1], pad: [[0, 0], [t, b], [l, r], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] },
  });
  if (Array.isArray(out)) throw new Error('Conv2D (wasm) returned several outputs');
  return out;
}

/** Whether the stride-1 paths apply to this geometry (stride 1 and non-negative trailing pads). */
export function stride1Applies(g: Conv2DGeometry): boolean {
  const { strideHeight: sh, strideWidth: sw, filterHeight: FH, filterWidth: FW, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, padTop: pt, padLeft: pl } = g;
  return sh === 1 && sw === 1 && FH - 1 + OH - H - pt >= 0 && FW - 1 + OW - W - pl >= 0 && H - OH + pt >= 0 && W - OW + pl >= 0;
}

/** dW [FH, FW, C, CO] of a stride-1 convolution (see the header). */
export function backpropFilterStride1(ctx: Stride1Context, g: Conv2DGeometry, x: TensorInfo, dy: TensorInfo): TensorInfo {
  const be = ctx.backend;
  const { batch: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO, filterHeight: FH, filterWidth: FW, padTop: pt, padLeft: pl } = g;
  const xp = be.makeOutput([C, H, W, B], 'float32');
  const fp = be.makeOutput([OH, OW, B, CO], 'float32');
  let o: TensorInfo | undefined;
  try {
    permute4(heapF32(be, x, 'x'), heapF32(be, xp, "x'"), [B, H, W, C], [3, 1, 2, 0]);
    permute4(heapF32(be, dy, 'dy'), heapF32(be, fp, "dy'"), [B, OH, OW, CO], [1, 2, 0, 3]);
    o = conv(ctx, xp, fp, [pt, FH - 1 + OH - H - pt, pl, FW - 1 + OW - W - pl]);
    const dw = be.makeOutput([FH, FW, C, CO], 'float32');
    permute4(heapF32(be, o, 'conv output'), heapF32(be, dw, 'dW'), [C, FH, FW, CO], [1, 2, 0, 3]);
    return dw;
  } finally {
    be.disposeData(xp.dataId);
    be.disposeData(fp.dataId);
    if (o !== undefined) be.disposeData(o.dataId);
  }
}

/** dx [B, H, W, C] of a stride-1 convolution (see the header). */
export function backpropInputStride1(ctx: Stride1Context, g: Conv2DGeometry, dy: TensorInfo, filter: TensorInfo): TensorInfo {
  const be = ctx.backend;
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO, filterHeight: FH, filterWidth: FW, padTop: pt, padLeft: pl } = g;
  const w2 = be.makeOutput([FH, FW, CO, C], 'float32');
  try {
    rotateSwapFilter(heapF32(be, filter, 'filter'), heapF32(be, w2, 'rotated filter'), [FH, FW, C, CO]);
    return conv(ctx, dy, w2, [FH - 1 - pt, H - OH + pt, FW - 1 - pl, W - OW + pl]);
  } finally {
    be.disposeData(w2.dataId);
  }
}
