/** Number formats shared by the views, the table and the downloads. */

/** Losses are per-pixel MSEs around 1e-4: scientific notation keeps them readable. */
export function fmtLoss(v: number): string {
  return v === 0 ? '0' : v.toExponential(2);
}

export function fmtP(p: number): string {
  if (p < 0.001) return p.toExponential(1);
  return p.toFixed(p < 0.01 ? 4 : 3);
}

export function fmtPercentile(p: number): string {
  return `${p.toFixed(1)}`;
}
