/**
 * The geometry of a 2-D convolution (NHWC, dilation 1) as the wasm kernels here use it: the
 * Conv2DBackpropFilter kernel (wasm-conv2d-backprop-filter.ts) and the Conv2DBackpropInput
 * replacement (wasm-speedups.ts). Type-only import of tfjs, like those modules.
 */
import type { backend_util } from '@tensorflow/tfjs';

/** Sizes, strides and leading padding of one convolution; the filter is [filterHeight, filterWidth, inChannels, outChannels]. */
export interface Conv2DGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

/**
 * The geometry from tfjs's `backend_util.computeConv2DInfo` result (channelsLast) and the filter shape
 * [h, w, in, out], which gives the filter size and both channel counts.
 */
export function conv2DGeometry(
  info: backend_util.Conv2DInfo,
  filterShape: readonly [number, number, number, number],
): Conv2DGeometry {
  const [filterHeight, filterWidth, inChannels, outChannels] = filterShape;
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels,
    filterHeight,
    filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}
