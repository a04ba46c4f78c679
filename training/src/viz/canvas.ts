/**
 * A minimal RGB raster for diagnostic images: filled rectangles, text (see font.ts) and float
 * images mapped through a stretch and a colormap. Saved with toPng().
 */
import { DarklensError, encodePngRgb } from '@darklens/core';

export type Rgb = [number, number, number];

/** A single-channel float image, row-major, row 0 drawn at the top. NaN marks masked pixels. */
export interface GrayImage {
  width: number;
  height: number;
  data: Float32Array;
}

export type Stretch = 'linear' | 'asinh';
export type Colormap = 'gray' | 'magma';

export interface DrawGrayOptions {
  /**
   * 'linear' (default): value v maps to t = (v - min) / (max - min), clamped to [0, 1].
   * 'asinh': the same t is then passed through asinh(K*t) / asinh(K) with K = ASINH_K = 10, which
   * lifts faint structure (arcs, halos) while keeping 0 -> 0 and 1 -> 1.
   */
  stretch?: Stretch;
  /** Value mapped to the bottom of the colormap. Default: the image's smallest finite value. */
  min?: number;
  /** Value mapped to the top of the colormap. Default: the image's largest finite value. */
  max?: number;
  /** Default 'gray'. */
  colormap?: Colormap;
  /** Integer nearest-neighbour upscaling: each image pixel becomes a scale x scale block. Default 1. */
  scale?: number;
  /** Colour of NaN pixels. Default NAN_COLOR[colormap]: dark red on gray, teal on magma. */
  nanColor?: Rgb;
}

/** Softening parameter of the asinh stretch. */
export const ASINH_K = 10;

/** Default colour for NaN (masked) pixels, chosen to stand out from each colormap. */
export const NAN_COLOR: Readonly<Record<Colormap, Readonly<Rgb>>> = {
  gray: [140, 20, 20],
  magma: [0, 150, 140],
};

/** Largest canvas accepted, in pixels (about 800 MB of RGB). */
export const MAX_CANVAS_PIXELS = 1 << 28;

/**
 * Anchor colours (position in [0, 1], rgb) of our magma-like map: black -> deep purple -> magenta
 * -> orange -> pale yellow. Hand-picked to resemble matplotlib's magma, not copied from it.
 */
const MAGMA_ANCHORS: readonly [number, Rgb][] = [
  [0.0, [0, 0, 5]],
  [0.15, [30, 15, 75]],
  [0.3, [90, 20, 125]],
  [0.5, [180, 55, 120]],
  [0.7, [245, 110, 90]],
  [0.85, [254, 175, 115]],
  [1.0, [252, 250, 190]],
];

function buildLut(anchors: readonly [number, Rgb][]): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  let seg = 0;
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    while (seg < anchors.length - 2 && t > anchors[seg + 1]![0]) seg++;
    const [t0, c0] = anchors[seg]!;
    const [t1, c1] = anchors[seg + 1]!;
    const f = t1 > t0 ? Math.min(1, Math.max(0, (t - t0) / (t1 - t0))) : 0;
    for (let k = 0; k < 3; k++) lut[i * 3 + k] = Math.round(c0[k]! + (c1[k]! - c0[k]!) * f);
  }
  return lut;
}

const LUTS: Record<Colormap, Uint8Array> = {
  gray: buildLut([
    [0, [0, 0, 0]],
    [1, [255, 255, 255]],
  ]),
  magma: buildLut(MAGMA_ANCHORS),
};

/** The 256-entry colour table of a colormap, as 768 interleaved RGB bytes (a copy). */
export function colormapTable(name: Colormap): Uint8Array {
  const lut = LUTS[name];
  if (!lut) throw new DarklensError('invalid_argument', `unknown colormap ${JSON.stringify(name)}`);
  return lut.slice();
}

/** Smallest and largest finite values of `data`, or null when it has none. */
export function finiteRange(data: Float32Array): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min && v !== -Infinity) min = v;
    if (v > max && v !== Infinity) max = v;
  }
  return min <= max ? { min, max } : null;
}

/**
 * Maps a value to a colormap index in 0..255 given the stretch and range (see DrawGrayOptions).
 * When max <= min (constant image, or all pixels NaN) every value maps to 0. NaN maps to -1.
 */
export function stretchIndex(v: number, min: number, max: number, stretch: Stretch = 'linear'): number {
  if (Number.isNaN(v)) return -1;
  if (!(max > min)) return 0;
  let t = (v - min) / (max - min);
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  if (stretch === 'asinh') t = Math.asinh(ASINH_K * t) / Math.asinh(ASINH_K);
  return Math.round(t * 255);
}

function clampByte(v: number): number {
  return v >= 255 ? 255 : v > 0 ? Math.round(v) : 0;
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) {
    throw new DarklensError('invalid_argument', `${name} must be an integer >= ${min}, got ${String(v)}`);
  }
}

export class RgbCanvas {
  readonly width: number;
  readonly height: number;
  /** width*height*3 bytes, RGB interleaved, row-major, top row first. */
  readonly pixels: Uint8Array;

  constructor(width: number, height: number, background: Rgb = [0, 0, 0]) {
    checkInt('canvas width', width, 1);
    checkInt('canvas height', height, 1);
    if (width * height > MAX_CANVAS_PIXELS) {
      throw new DarklensError('too_large', `canvas ${width}x${height} exceeds ${MAX_CANVAS_PIXELS} pixels`);
    }
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel; coordinates are floored and pixels outside the canvas ignored. */
  setPixel(x: number, y: number, rgb: Rgb): void {
    x = Math.floor(x);
    y = Math.floor(y);
    if (!(x >= 0 && x < this.width && y >= 0 && y < this.height)) return;
    const o = (y * this.width + x) * 3;
    this.pixels[o] = clampByte(rgb[0]);
    this.pixels[o + 1] = clampByte(rgb[1]);
    this.pixels[o + 2] = clampByte(rgb[2]);
  }

  /** The colour at (x, y); throws for coordinates outside the canvas. */
  getPixel(x: number, y: number): Rgb {
    if (!(Number.isInteger(x) && Number.isInteger(y) && x >= 0 && x < this.width && y >= 0 && y < this.height)) {
      throw new DarklensError('invalid_argument', `pixel (${x}, ${y}) is outside the ${this.width}x${this.height} canvas`);
    }
    const o = (y * this.width + x) * 3;
    return [this.pixels[o]!, this.pixels[o + 1]!, this.pixels[o + 2]!];
  }

  /** Fills the rectangle [x, x+w) x [y, y+h), clipped to the canvas. Coordinates are rounded. */
  fillRect(x: number, y: number, w: number, h: number, rgb: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    if (!(x1 > x0 && y1 > y0)) return;
    const r = clampByte(rgb[0]);
    const g = clampByte(rgb[1]);
    const b = clampByte(rgb[2]);
    const px = this.pixels;
    for (let yy = y0; yy < y1; yy++) {
      let o = (yy * this.width + x0) * 3;
      for (let xx = x0; xx < x1; xx++, o += 3) {
        px[o] = r;
        px[o + 1] = g;
        px[o + 2] = b;
      }
    }
  }

  /**
   * Draws a float image with its top-left corner at (x, y), mapped through `opts.stretch` and
   * `opts.colormap` (see DrawGrayOptions), upscaled by `opts.scale`, clipped to the canvas.
   */
  drawGray(x: number, y: number, img: GrayImage, opts: DrawGrayOptions = {}): void {
    const { width: iw, height: ih, data } = img;
    checkInt('image width', iw, 1);
    checkInt('image height', ih, 1);
    if (!(data instanceof Float32Array) || data.length !== iw * ih) {
      throw new DarklensError(
        'invalid_argument',
        `image data must be a Float32Array of ${iw}x${ih} = ${iw * ih} values, got ${data?.length ?? 'none'}`,
      );
    }
    const scale = opts.scale ?? 1;
    checkInt('image scale', scale, 1);
    const stretch = opts.stretch ?? 'linear';
    if (stretch !== 'linear' && stretch !== 'asinh') {
      throw new DarklensError('invalid_argument', `unknown stretch ${JSON.stringify(stretch)}`);
    }
    const cmap = opts.colormap ?? 'gray';
    const lut = LUTS[cmap];
    if (!lut) throw new DarklensError('invalid_argument', `unknown colormap ${JSON.stringify(cmap)}`);
    for (const [name, v] of [
      ['min', opts.min],
      ['max', opts.max],
    ] as const) {
      if (v !== undefined && !Number.isFinite(v)) {
        throw new DarklensError('invalid_argument', `stretch ${name} must be finite, got ${String(v)}`);
      }
    }
    if (opts.min !== undefined && opts.max !== undefined && !(opts.max > opts.min)) {
      throw new DarklensError('invalid_argument', `stretch max (${opts.max}) must exceed min (${opts.min})`);
    }
    const range = opts.min === undefined || opts.max === undefined ? finiteRange(data) : null;
    const min = opts.min ?? range?.min ?? 0;
    const max = opts.max ?? range?.max ?? 0;
    const nan = opts.nanColor ?? NAN_COLOR[cmap];
    const nr = clampByte(nan[0]);
    const ng = clampByte(nan[1]);
    const nb = clampByte(nan[2]);

    x = Math.round(x);
    y = Math.round(y);
    const px = this.pixels;
    const W = this.width;
    // Visible columns of the destination, once per call.
    const dx0 = Math.max(0, x);
    const dx1 = Math.min(W, x + iw * scale);
    if (dx1 <= dx0) return;
    const row = new Uint8Array(iw * 3);
    for (let sy = 0; sy < ih; sy++) {
      const top = y + sy * scale;
      const ya = Math.max(0, top);
      const yb = Math.min(this.height, top + scale);
      if (yb <= ya) continue;
      for (let sx = 0; sx < iw; sx++) {
        const idx = stretchIndex(data[sy * iw + sx]!, min, max, stretch);
        if (idx < 0) {
          row[sx * 3] = nr;
          row[sx * 3 + 1] = ng;
          row[sx * 3 + 2] = nb;
        } else {
          row[sx * 3] = lut[idx * 3]!;
          row[sx * 3 + 1] = lut[idx * 3 + 1]!;
          row[sx * 3 + 2] = lut[idx * 3 + 2]!;
        }
      }
      for (let yy = ya; yy < yb; yy++) {
        let o = (yy * W + dx0) * 3;
        for (let xx = dx0; xx < dx1; xx++, o += 3) {
          const s = Math.floor((xx - x) / scale) * 3;
          px[o] = row[s]!;
          px[o + 1] = row[s + 1]!;
          px[o + 2] = row[s + 2]!;
        }
      }
    }
  }

  /** The canvas as an 8-bit RGB PNG. */
  toPng(): Uint8Array {
    return encodePngRgb(this.width, this.height, this.pixels);
  }
}
