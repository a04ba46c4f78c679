/** Drawing float images into canvases, one canvas pixel per image pixel (CSS scales them up). */
import { divergingColor, type Lut } from './colormap';

export interface FloatImage {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

/**
 * FITS and the simulator's NPY files store the bottom row of the sky first; PNG and JPEG the top row.
 * `flipY` draws row 0 at the bottom, as FITS viewers (and `darklens sheet`) do.
 */
function forEachPixel(img: FloatImage, flipY: boolean, fn: (value: number, at: number) => void): void {
  const { width, height, data } = img;
  for (let y = 0; y < height; y++) {
    const row = flipY ? height - 1 - y : y;
    for (let x = 0; x < width; x++) fn(data[row * width + x]!, 4 * (y * width + x));
  }
}

function put(canvas: HTMLCanvasElement, img: FloatImage, fill: (px: Uint8ClampedArray) => void): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const out = ctx.createImageData(img.width, img.height);
  fill(out.data);
  ctx.putImageData(out, 0, 0);
}

/** Stretched image through a colour map; masked (NaN) pixels are left transparent. */
export function paintStretched(canvas: HTMLCanvasElement, img: FloatImage, stretch: (v: number) => number, lut: Lut, flipY: boolean): void {
  put(canvas, img, (px) => {
    forEachPixel(img, flipY, (v, at) => {
      const s = stretch(v);
      if (Number.isNaN(s)) return;
      const k = 3 * Math.round(255 * s);
      px[at] = lut[k]!;
      px[at + 1] = lut[k + 1]!;
      px[at + 2] = lut[k + 2]!;
      px[at + 3] = 255;
    });
  });
}

/** Residual as a diverging heat map, symmetric about zero: `scale` (max |value|) is full colour. */
export function paintDiverging(canvas: HTMLCanvasElement, img: FloatImage, scale: number, flipY: boolean): void {
  put(canvas, img, (px) => {
    forEachPixel(img, flipY, (v, at) => divergingColor(scale > 0 && Number.isFinite(v) ? v / scale : 0, px, at));
  });
}
