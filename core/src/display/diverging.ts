/**
 * The diverging colour map of residuals: -1 blue (59,76,192), 0 white, +1 red (180,4,38), linear in
 * between, clamped outside [-1, 1]. One definition for the API's residual PNGs and the web page's
 * canvases, so both read a residual the same way.
 */
const NEGATIVE = [59, 76, 192] as const;
const POSITIVE = [180, 4, 38] as const;

/** Writes the RGB of `t` (a residual divided by its scale) into out[at..at+2]. */
export function divergingRgb(t: number, out: { [i: number]: number }, at: number): void {
  const c = Number.isFinite(t) ? Math.max(-1, Math.min(1, t)) : 0;
  const end = c < 0 ? NEGATIVE : POSITIVE;
  const a = Math.abs(c);
  for (let k = 0; k < 3; k++) out[at + k] = Math.round(255 + a * (end[k]! - 255));
}
