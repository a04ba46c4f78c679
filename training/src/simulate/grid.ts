/**
 * Geometry of a square pixel grid centred on the lens. Pixel (i, j) covers
 * x in [(i - c) s, (i + 1 - c) s], y likewise with j, where c = side / 2 and s the pixel scale;
 * so the lens sits at the grid centre (a pixel corner for even sides, a pixel centre for odd).
 */
export interface Grid {
  /** Pixels per side (of the rendered field, which may include a padding border). */
  side: number;
  pixelScale: number;
  /** Coordinate of the lower edge of pixel 0, arcsec. */
  origin: number;
}

export function centredGrid(side: number, pixelScale: number, pad = 0): Grid {
  return { side: side + 2 * pad, pixelScale, origin: -(side / 2 + pad) * pixelScale };
}

/** Coordinates of the sub-pixel centres along one axis: side * supersample values. */
export function subpixelCoords(g: Grid, supersample: number): Float64Array {
  const n = g.side * supersample;
  const out = new Float64Array(n);
  const step = g.pixelScale / supersample;
  for (let k = 0; k < n; k++) out[k] = g.origin + (k + 0.5) * step;
  return out;
}
