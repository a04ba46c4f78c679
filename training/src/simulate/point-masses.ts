import type { Grid } from './grid.js';
import type { Subhalo } from './params.js';

/**
 * Total deflection of a set of point masses, alpha = sum_i thetaE_i^2 (x - x_i) / |x - x_i|^2,
 * at the sub-pixels of a grid.
 *
 * Summing every mass at each of ~80k sub-pixels would dominate the simulator. The field of one mass
 * is smooth at distance d >> pixel h, and bilinear interpolation from the pixel corners errs by at
 * most h^2 b / (2 d^3) there (b = thetaE_i^2). So each pixel keeps a list of the masses within
 * `nearRadius` (chosen to hold that error under `maxErrorPx` pixels): those are summed exactly at
 * every sub-pixel, and all the others are interpolated from the corners (the corner totals minus the
 * near masses' own corner values). Tests compare with exact summation.
 */
export class PointMassField {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly bs: Float64Array;
  /** Exact total field at the (side + 1)^2 pixel corners, row-major. */
  readonly cornerX: Float64Array;
  readonly cornerY: Float64Array;
  /** Near masses of pixel p: nearList[nearStart[p] .. nearStart[p + 1]). */
  readonly nearStart: Int32Array;
  readonly nearList: Int32Array;
  readonly nearRadius: number;
  private readonly tmp = [0, 0];

  constructor(
    subhalos: readonly Subhalo[],
    readonly grid: Grid,
    options: { maxErrorPx?: number; exact?: boolean } = {},
  ) {
    const n = subhalos.length;
    this.xs = new Float64Array(n);
    this.ys = new Float64Array(n);
    this.bs = new Float64Array(n);
    subhalos.forEach((s, i) => {
      this.xs[i] = s.x;
      this.ys[i] = s.y;
      this.bs[i] = s.thetaE * s.thetaE;
    });
    const { side, pixelScale: h, origin } = grid;
    const maxErrorPx = options.maxErrorPx ?? 0.004;

    // Per-mass radius: every pixel that comes within it treats the mass exactly.
    const radius = new Float64Array(n);
    for (let m = 0; m < n; m++) {
      radius[m] = options.exact ? Infinity : Math.max(2 * h, Math.cbrt((h * this.bs[m]!) / (2 * maxErrorPx)));
    }
    this.nearRadius = n > 0 ? Math.max(...radius) : 0;

    // Per-pixel lists, built in two passes (count, then fill) over each mass's pixels: those whose
    // nearest point lies within the mass's radius.
    const pixels = side * side;
    this.nearStart = new Int32Array(pixels + 1);
    let fill: Int32Array | undefined;
    let list = new Int32Array(0);
    for (let pass = 0; pass < 2; pass++) {
      for (let m = 0; m < n; m++) {
        const r = radius[m]!;
        const r2 = r * r;
        const xm = this.xs[m]!;
        const ym = this.ys[m]!;
        const reach = Number.isFinite(r) ? Math.ceil(r / h) + 1 : side;
        const ci = Math.floor((xm - origin) / h);
        const cj = Math.floor((ym - origin) / h);
        const i0 = Math.max(0, ci - reach), i1 = Math.min(side - 1, ci + reach);
        for (let j = Math.max(0, cj - reach); j <= Math.min(side - 1, cj + reach); j++) {
          const y0 = origin + j * h;
          const dy = ym < y0 ? y0 - ym : ym > y0 + h ? ym - y0 - h : 0;
          for (let i = i0; i <= i1; i++) {
            const x0 = origin + i * h;
            const dx = xm < x0 ? x0 - xm : xm > x0 + h ? xm - x0 - h : 0;
            if (dx * dx + dy * dy >= r2) continue;
            const p = j * side + i;
            if (pass === 0) this.nearStart[p + 1]!++;
            else list[fill![p]!++] = m;
          }
        }
      }
      if (pass === 0) {
        for (let p = 0; p < pixels; p++) this.nearStart[p + 1]! += this.nearStart[p]!;
        list = new Int32Array(this.nearStart[pixels]!);
        fill = this.nearStart.slice(0, pixels);
      }
    }
    this.nearList = list;

    // Exact total field at the pixel corners (corner-major: the sums stay in registers; the divisions
    // of consecutive masses overlap, which is what bounds this loop).
    const c = side + 1;
    this.cornerX = new Float64Array(c * c);
    this.cornerY = new Float64Array(c * c);
    const { xs, ys, bs } = this;
    for (let j = 0; j < c; j++) {
      const y = origin + j * h;
      for (let i = 0; i < c; i++) {
        const x = origin + i * h;
        let ax = 0;
        let ay = 0;
        for (let m = 0; m < n; m++) {
          const dx = x - xs[m]!;
          const dy = y - ys[m]!;
          const r2 = dx * dx + dy * dy;
          if (r2 > 0) {
            const f = bs[m]! / r2;
            ax += f * dx;
            ay += f * dy;
          }
        }
        this.cornerX[j * c + i] = ax;
        this.cornerY[j * c + i] = ay;
      }
    }
  }

  get count(): number {
    return this.xs.length;
  }

  /** Exact contribution of mass m at (x, y), added into out. A ray exactly on a mass is not deflected by it. */
  addMass(m: number, x: number, y: number, out: number[]): void {
    const dx = x - this.xs[m]!;
    const dy = y - this.ys[m]!;
    const r2 = dx * dx + dy * dy;
    if (r2 > 0) {
      const f = this.bs[m]! / r2;
      out[0]! += f * dx;
      out[1]! += f * dy;
    }
  }

  /** Exact sum over all masses at (x, y), written into out. */
  exactInto(x: number, y: number, out: number[]): void {
    out[0] = 0;
    out[1] = 0;
    for (let m = 0; m < this.xs.length; m++) this.addMass(m, x, y, out);
  }

  /**
   * The far part of the field of pixel (i, j) (all masses not in its near list) at its four corners,
   * as [x00, x10, x01, x11, y00, y10, y01, y11] written into out.
   */
  farCorners(i: number, j: number, out: Float64Array): void {
    const { side, pixelScale: h, origin } = this.grid;
    const c = side + 1;
    const k = j * c + i;
    const X = this.cornerX;
    const Y = this.cornerY;
    out[0] = X[k]!;
    out[1] = X[k + 1]!;
    out[2] = X[k + c]!;
    out[3] = X[k + c + 1]!;
    out[4] = Y[k]!;
    out[5] = Y[k + 1]!;
    out[6] = Y[k + c]!;
    out[7] = Y[k + c + 1]!;
    const p = j * side + i;
    const tmp = this.tmp;
    for (let q = this.nearStart[p]!; q < this.nearStart[p + 1]!; q++) {
      const m = this.nearList[q]!;
      for (let corner = 0; corner < 4; corner++) {
        tmp[0] = 0;
        tmp[1] = 0;
        this.addMass(m, origin + (i + (corner & 1)) * h, origin + (j + (corner >> 1)) * h, tmp);
        out[corner]! -= tmp[0];
        out[corner + 4]! -= tmp[1];
      }
    }
  }

  /** Field at (x, y) inside pixel (i, j): exact near masses plus the interpolated far field. */
  fieldInto(i: number, j: number, x: number, y: number, out: number[]): void {
    const { side, pixelScale: h, origin } = this.grid;
    const corners = new Float64Array(8);
    this.farCorners(i, j, corners);
    const fx = (x - origin) / h - i;
    const fy = (y - origin) / h - j;
    const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
    out[0] = w00 * corners[0]! + w10 * corners[1]! + w01 * corners[2]! + w11 * corners[3]!;
    out[1] = w00 * corners[4]! + w10 * corners[5]! + w01 * corners[6]! + w11 * corners[7]!;
    const p = j * side + i;
    for (let q = this.nearStart[p]!; q < this.nearStart[p + 1]!; q++) this.addMass(this.nearList[q]!, x, y, out);
  }
}
