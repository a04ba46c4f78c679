import type { Grid } from './grid.js';
import type { Subhalo } from './params.js';

/**
 * Total deflection of a set of point masses, alpha = sum_i thetaE_i^2 (x - x_i) / |x - x_i|^2,
 * evaluated on a grid's sub-pixels.
 *
 * Summing 25 masses for each of 65k sub-pixels would dominate the simulator, so far from every mass
 * the field (smooth there) is interpolated bilinearly from its exact values at the pixel corners,
 * and within `nearRadius` of any mass it is summed exactly. The radius is chosen so the interpolation
 * error (at most h^2 b / (2 d^3) for one mass of b = thetaE_i^2 at distance d, pixel h) stays below
 * `maxErrorPx` pixels from each mass; tests compare with the exact sum.
 */
export class PointMassField {
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  private readonly bs: Float64Array;
  /** Exact field at the (side + 1)^2 pixel corners, row-major. */
  readonly cornerX: Float64Array;
  readonly cornerY: Float64Array;
  /** 1 for pixels whose sub-pixels are summed exactly. */
  readonly near: Uint8Array;
  readonly nearRadius: number;

  constructor(
    subhalos: readonly Subhalo[],
    readonly grid: Grid,
    options: { maxErrorPx?: number; exact?: boolean } = {},
  ) {
    const n = subhalos.length;
    this.xs = new Float64Array(n);
    this.ys = new Float64Array(n);
    this.bs = new Float64Array(n);
    let bMax = 0;
    subhalos.forEach((s, i) => {
      this.xs[i] = s.x;
      this.ys[i] = s.y;
      this.bs[i] = s.thetaE * s.thetaE;
      bMax = Math.max(bMax, this.bs[i]);
    });
    const { side, pixelScale: h, origin } = grid;
    const maxErrorPx = options.maxErrorPx ?? 0.003;
    this.nearRadius = options.exact ? Infinity : Math.max(2 * h, Math.cbrt((h * bMax) / (2 * maxErrorPx)));

    // Cells within nearRadius (Chebyshev) of any mass are summed exactly.
    this.near = new Uint8Array(side * side);
    const reach = Math.ceil(this.nearRadius / h);
    for (let m = 0; m < n; m++) {
      const ci = Math.floor((this.xs[m]! - origin) / h);
      const cj = Math.floor((this.ys[m]! - origin) / h);
      const i0 = Math.max(0, ci - reach);
      const i1 = Math.min(side - 1, ci + reach);
      const j0 = Math.max(0, cj - reach);
      const j1 = Math.min(side - 1, cj + reach);
      for (let j = j0; j <= j1; j++) this.near.fill(1, j * side + i0, i1 >= i0 ? j * side + i1 + 1 : j * side + i0);
    }

    // Exact field at the (side + 1)^2 pixel corners.
    const c = side + 1;
    this.cornerX = new Float64Array(c * c);
    this.cornerY = new Float64Array(c * c);
    if (!options.exact) {
      const out = [0, 0];
      for (let j = 0; j < c; j++) {
        for (let i = 0; i < c; i++) {
          this.exactInto(origin + i * h, origin + j * h, out);
          this.cornerX[j * c + i] = out[0]!;
          this.cornerY[j * c + i] = out[1]!;
        }
      }
    }
  }

  get count(): number {
    return this.xs.length;
  }

  /** Exact sum at (x, y), written into out[0], out[1]. A ray exactly on a mass is not deflected by it. */
  exactInto(x: number, y: number, out: number[]): void {
    let ax = 0;
    let ay = 0;
    const { xs, ys, bs } = this;
    for (let m = 0; m < xs.length; m++) {
      const dx = x - xs[m]!;
      const dy = y - ys[m]!;
      const r2 = dx * dx + dy * dy;
      if (r2 > 0) {
        const f = bs[m]! / r2;
        ax += f * dx;
        ay += f * dy;
      }
    }
    out[0] = ax;
    out[1] = ay;
  }

  /** True when pixel (i, j) is summed exactly. */
  isNear(i: number, j: number): boolean {
    return this.nearRadius === Infinity || this.near[j * this.grid.side + i] === 1;
  }

  /** Field at (x, y) inside pixel (i, j), interpolated from the pixel's corners (for far pixels). */
  interpolatedInto(i: number, j: number, x: number, y: number, out: number[]): void {
    const { side, pixelScale: h, origin } = this.grid;
    const c = side + 1;
    const fx = (x - origin) / h - i;
    const fy = (y - origin) / h - j;
    const k = j * c + i;
    const w00 = (1 - fx) * (1 - fy);
    const w10 = fx * (1 - fy);
    const w01 = (1 - fx) * fy;
    const w11 = fx * fy;
    const X = this.cornerX;
    const Y = this.cornerY;
    out[0] = w00 * X[k]! + w10 * X[k + 1]! + w01 * X[k + c]! + w11 * X[k + c + 1]!;
    out[1] = w00 * Y[k]! + w10 * Y[k + 1]! + w01 * Y[k + c]! + w11 * Y[k + c + 1]!;
  }
}
