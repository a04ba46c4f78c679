/**
 * Pictures of a model's view of a cutout, for the web page and API clients: the [0,1] input or
 * reconstruction as a grey PNG, and the residual (reconstruction - input) as a diverging blue-white-red
 * PNG scaled symmetrically to its largest absolute value (so white is exactly zero residual).
 */
import { divergingRgb, encodePngGray, encodePngRgb } from '@darklens/core';

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${base64(png)}`;
}

/** A [0,1] image as an 8-bit grey PNG (values clamped). */
export function grayPng(width: number, height: number, values: Float32Array): Uint8Array {
  const px = new Uint8Array(width * height);
  for (let i = 0; i < px.length; i++) px[i] = Math.round(255 * Math.min(1, Math.max(0, values[i] ?? 0)));
  return encodePngGray(width, height, px);
}

/** Largest |value| (0 for an all-zero image). */
export function maxAbs(values: Float32Array): number {
  let m = 0;
  for (const v of values) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/** Residual as RGB, scaled so +-scale is full colour (core's divergingRgb). */
export function divergingPng(width: number, height: number, values: Float32Array, scale: number): Uint8Array {
  const px = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) divergingRgb(scale > 0 ? (values[i] ?? 0) / scale : 0, px, 3 * i);
  return encodePngRgb(width, height, px);
}
