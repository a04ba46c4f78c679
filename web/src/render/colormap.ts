/** Colour maps as 256-entry RGB lookup tables. */
import { divergingRgb } from '@darklens/core';

export type ColormapName = 'gray' | 'magma';

export const COLORMAPS: ColormapName[] = ['gray', 'magma'];

export type Lut = Uint8Array; // 256 * 3

function fromAnchors(anchors: [number, number, number][]): Lut {
  const lut = new Uint8Array(256 * 3);
  const segments = anchors.length - 1;
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * segments;
    const k = Math.min(segments - 1, Math.floor(t));
    const f = t - k;
    const a = anchors[k]!;
    const b = anchors[k + 1]!;
    for (let c = 0; c < 3; c++) lut[3 * i + c] = Math.round(a[c]! + (b[c]! - a[c]!) * f);
  }
  return lut;
}

/** Perceptually ordered dark-to-light map close to matplotlib's magma (the CLI's default), from nine samples. */
const MAGMA: [number, number, number][] = [
  [0, 0, 4], [28, 16, 68], [79, 18, 123], [129, 37, 129], [181, 54, 122],
  [229, 80, 100], [251, 135, 97], [254, 194, 135], [252, 253, 191],
];

export const LUTS: Record<ColormapName, Lut> = {
  gray: fromAnchors([[0, 0, 0], [255, 255, 255]]),
  magma: fromAnchors(MAGMA),
};

/** Diverging map of a residual in [-1, 1] (core's, the same as the API's residual PNGs), opaque RGBA. */
export function divergingColor(t: number, out: Uint8ClampedArray, at: number): void {
  divergingRgb(t, out, at);
  out[at + 3] = 255;
}
