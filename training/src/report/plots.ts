/**
 * Evaluation plots drawn with RgbCanvas and the bitmap font (no native or font dependencies):
 * ROC curves with a chance line and an AUC legend, and per-class step histograms of scores.
 * line plots (loss curves, AUC against f_sub). All return PNG bytes; the *Canvas variants return the canvas (for tests and composition).
 */
import { DarklensError } from '@darklens/core';
import { RgbCanvas, type Rgb } from '../viz/canvas.js';
import { drawText, textWidth } from '../viz/font.js';
import type { ScoreHistograms } from '../metrics/histogram.js';

/** Plot size, plot-area margins and colours shared by both plots. */
export const PLOT_STYLE = {
  width: 640,
  height: 480,
  margin: { left: 64, right: 20, top: 34, bottom: 50 },
  background: [255, 255, 255] as Rgb,
  axis: [0, 0, 0] as Rgb,
  grid: [232, 232, 232] as Rgb,
  text: [0, 0, 0] as Rgb,
  chance: [150, 150, 150] as Rgb,
  /** One colour per curve / class, in order (repeats after the last). */
  series: [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
  ] as Rgb[],
  /** Colours of threshold lines, in order. */
  thresholds: [
    [60, 60, 60],
    [227, 119, 194],
    [23, 190, 207],
  ] as Rgb[],
} as const;

/** The plot area in canvas pixels: [x0, x0 + w] x [y0, y0 + h]. */
export interface PlotArea {
  x0: number;
  y0: number;
  w: number;
  h: number;
}

export function plotArea(): PlotArea {
  const { width, height, margin } = PLOT_STYLE;
  return { x0: margin.left, y0: margin.top, w: width - margin.left - margin.right, h: height - margin.top - margin.bottom };
}

export function seriesColor(i: number): Rgb {
  return PLOT_STYLE.series[i % PLOT_STYLE.series.length]!;
}

function thresholdColor(i: number): Rgb {
  return PLOT_STYLE.thresholds[i % PLOT_STYLE.thresholds.length]!;
}

/** A line from (x0, y0) to (x1, y1), `thick` pixels wide (square brush), optionally dashed. */
function drawLine(c: RgbCanvas, x0: number, y0: number, x1: number, y1: number, rgb: Rgb, thick = 1, dash = 0): void {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const steps = Math.max(1, Math.ceil(Math.max(Math.abs(dx), Math.abs(dy))));
  const off = Math.floor((thick - 1) / 2);
  for (let s = 0; s <= steps; s++) {
    if (dash > 0 && Math.floor(s / dash) % 2 === 1) continue;
    const x = Math.round(x0 + (dx * s) / steps);
    const y = Math.round(y0 + (dy * s) / steps);
    c.fillRect(x - off, y - off, thick, thick, rgb);
  }
}

/** Round tick values covering [lo, hi] (about `n` of them), with 1-2-5 steps. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo) || !Number.isFinite(hi - lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** A short label for a tick or threshold value. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(3)));
  return v.toExponential(1).replace('e+', 'e');
}

interface Axes {
  title: string;
  xLabel: string;
  yLabel: string;
  xRange: [number, number];
  yRange: [number, number];
  xTicks: number[];
  yTicks: number[];
  /** Tick labels (default formatTick); log axes label 10^t. */
  xFormat?: (t: number) => string;
  yFormat?: (t: number) => string;
}

/** Background, grid, ticks with labels, the frame, the title and axis labels. */
function drawAxes(c: RgbCanvas, a: Axes): { px: (x: number) => number; py: (y: number) => number } {
  const { x0, y0, w, h } = plotArea();
  const [xl, xh] = a.xRange;
  const [yl, yh] = a.yRange;
  const px = (x: number): number => x0 + ((x - xl) / (xh - xl)) * w;
  const py = (y: number): number => y0 + h - ((y - yl) / (yh - yl)) * h;
  for (const t of a.xTicks) {
    const x = Math.round(px(t));
    if (x < x0 || x > x0 + w) continue;
    c.fillRect(x, y0, 1, h, PLOT_STYLE.grid);
    c.fillRect(x, y0 + h, 1, 5, PLOT_STYLE.axis);
    const s = (a.xFormat ?? formatTick)(t);
    drawText(c, x - textWidth(s) / 2, y0 + h + 8, s, PLOT_STYLE.text);
  }
  for (const t of a.yTicks) {
    const y = Math.round(py(t));
    if (y < y0 || y > y0 + h) continue;
    c.fillRect(x0, y, w, 1, PLOT_STYLE.grid);
    c.fillRect(x0 - 5, y, 5, 1, PLOT_STYLE.axis);
    const s = (a.yFormat ?? formatTick)(t);
    drawText(c, x0 - 8 - textWidth(s), y - 3, s, PLOT_STYLE.text);
  }
  // Frame.
  c.fillRect(x0, y0, w + 1, 1, PLOT_STYLE.axis);
  c.fillRect(x0, y0 + h, w + 1, 1, PLOT_STYLE.axis);
  c.fillRect(x0, y0, 1, h + 1, PLOT_STYLE.axis);
  c.fillRect(x0 + w, y0, 1, h + 1, PLOT_STYLE.axis);
  drawText(c, x0 + w / 2 - textWidth(a.title, 2) / 2, 8, a.title, PLOT_STYLE.text, 2);
  drawText(c, x0 + w / 2 - textWidth(a.xLabel) / 2, y0 + h + 26, a.xLabel, PLOT_STYLE.text);
  // Vertical y label, one character per line.
  const chars = [...a.yLabel];
  const top = y0 + h / 2 - (chars.length * 9) / 2;
  chars.forEach((ch, i) => drawText(c, 6, top + i * 9, ch, PLOT_STYLE.text));
  return { px, py };
}

export interface LegendEntry {
  label: string;
  color: Rgb;
  dashed?: boolean;
}

/** Where the legend box went (for tests). */
export interface LegendBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A framed legend box in the given corner of the plot area. */
function drawLegend(c: RgbCanvas, entries: LegendEntry[], corner: 'top-right' | 'bottom-right'): LegendBox {
  const { x0, y0, w, h } = plotArea();
  const lineH = 12;
  const swatch = 18;
  const bw = 8 + swatch + 6 + Math.max(0, ...entries.map((e) => textWidth(e.label))) + 8;
  const bh = 6 + entries.length * lineH + 2;
  const bx = x0 + w - bw - 8;
  const by = corner === 'top-right' ? y0 + 8 : y0 + h - bh - 8;
  c.fillRect(bx, by, bw, bh, PLOT_STYLE.background);
  c.fillRect(bx, by, bw, 1, PLOT_STYLE.axis);
  c.fillRect(bx, by + bh - 1, bw, 1, PLOT_STYLE.axis);
  c.fillRect(bx, by, 1, bh, PLOT_STYLE.axis);
  c.fillRect(bx + bw - 1, by, 1, bh, PLOT_STYLE.axis);
  entries.forEach((e, i) => {
    const ly = by + 6 + i * lineH;
    drawLine(c, bx + 8, ly + 3, bx + 8 + swatch, ly + 3, e.color, 2, e.dashed === true ? 3 : 0);
    drawText(c, bx + 8 + swatch + 6, ly, e.label, PLOT_STYLE.text);
  });
  return { x: bx, y: by, w: bw, h: bh };
}

export interface RocPlotCurve {
  name: string;
  fpr: Float64Array;
  tpr: Float64Array;
  auc: number;
}

function checkCurves(curves: RocPlotCurve[]): void {
  if (curves.length === 0) throw new DarklensError('invalid_argument', 'rocPlot: no curves; pass at least one');
  for (const c of curves) {
    if (c.fpr.length !== c.tpr.length || c.fpr.length === 0) {
      throw new DarklensError('invalid_argument', `rocPlot: curve ${JSON.stringify(c.name)} has ${c.fpr.length} fpr and ${c.tpr.length} tpr values; pass equal, non-zero lengths`);
    }
    for (let i = 0; i < c.fpr.length; i++) {
      const f = c.fpr[i]!;
      const t = c.tpr[i]!;
      if (!(f >= 0 && f <= 1 && t >= 0 && t <= 1)) {
        throw new DarklensError('invalid_argument', `rocPlot: curve ${JSON.stringify(c.name)} point ${i} is (${f}, ${t}); rates must lie in [0, 1]`);
      }
    }
  }
}

/** The ROC plot's canvas and legend box (see rocPlot). */
export function drawRocPlot(curves: RocPlotCurve[], title = 'ROC curve'): { canvas: RgbCanvas; legend: LegendBox } {
  checkCurves(curves);
  const c = new RgbCanvas(PLOT_STYLE.width, PLOT_STYLE.height, PLOT_STYLE.background);
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const { px, py } = drawAxes(c, {
    title,
    xLabel: 'false positive rate (no_sub flagged)',
    yLabel: 'TPR',
    xRange: [0, 1],
    yRange: [0, 1],
    xTicks: ticks,
    yTicks: ticks,
  });
  drawLine(c, px(0), py(0), px(1), py(1), PLOT_STYLE.chance, 1, 4);
  curves.forEach((curve, k) => {
    const col = seriesColor(k);
    for (let i = 1; i < curve.fpr.length; i++) {
      drawLine(c, px(curve.fpr[i - 1]!), py(curve.tpr[i - 1]!), px(curve.fpr[i]!), py(curve.tpr[i]!), col, 2);
    }
    if (curve.fpr.length === 1) drawLine(c, px(curve.fpr[0]!), py(curve.tpr[0]!), px(curve.fpr[0]!), py(curve.tpr[0]!), col, 2);
  });
  const entries: LegendEntry[] = curves.map((curve, k) => ({ label: `${curve.name} AUC=${curve.auc.toFixed(3)}`, color: seriesColor(k) }));
  entries.push({ label: 'chance', color: PLOT_STYLE.chance, dashed: true });
  const legend = drawLegend(c, entries, 'bottom-right');
  return { canvas: c, legend };
}

/**
 * ROC curves (x: FPR, y: TPR, both [0, 1]) as a 640x480 PNG: one colour per curve, drawn as
 * straight segments between the given points, a dashed chance diagonal, and a legend with each
 * curve's AUC. Throws DarklensError('invalid_argument') for no curves or rates outside [0, 1].
 */
export function rocPlot(curves: RocPlotCurve[], title?: string): Uint8Array {
  return drawRocPlot(curves, title).canvas.toPng();
}

export interface HistogramPlotOptions {
  title: string;
  xLabel: string;
  /** Vertical lines at these score values (e.g. operating thresholds); non-finite ones are skipped. */
  thresholds?: { name: string; value: number }[];
}

/** The histogram plot's canvas and legend box (see histogramPlot). */
export function drawHistogramPlot(h: ScoreHistograms, opts: HistogramPlotOptions): { canvas: RgbCanvas; legend: LegendBox; xRange: [number, number]; yRange: [number, number] } {
  const bins = h.edges.length - 1;
  if (bins < 1 || h.groups.length === 0) {
    throw new DarklensError('invalid_argument', 'histogramPlot: no bins or no groups; pass the result of scoreHistograms');
  }
  const lo = h.edges[0]!;
  const hi = h.edges[bins]!;
  const thresholds = (opts.thresholds ?? []).filter((t) => Number.isFinite(t.value));
  let xl = lo;
  let xh = hi;
  for (const t of thresholds) {
    xl = Math.min(xl, t.value);
    xh = Math.max(xh, t.value);
  }
  if (!(xh > xl)) {
    xl -= 0.5;
    xh += 0.5;
  }
  const pad = (xh - xl) * 0.03;
  xl -= pad;
  xh += pad;
  // Density: counts / (total * bin width), so each group's area is its share of values in range.
  const densities = h.groups.map((g) =>
    g.counts.map((n, i) => {
      const width = h.edges[i + 1]! - h.edges[i]!;
      return g.total > 0 && width > 0 ? n / (g.total * width) : 0;
    }),
  );
  let ymax = 0;
  for (const d of densities) for (const v of d) ymax = Math.max(ymax, v);
  if (!(ymax > 0) || !Number.isFinite(ymax)) ymax = 1;
  const yh = ymax * 1.15;

  const c = new RgbCanvas(PLOT_STYLE.width, PLOT_STYLE.height, PLOT_STYLE.background);
  const { px, py } = drawAxes(c, {
    title: opts.title,
    xLabel: opts.xLabel,
    yLabel: 'density',
    xRange: [xl, xh],
    yRange: [0, yh],
    xTicks: niceTicks(xl, xh, 6),
    yTicks: niceTicks(0, yh, 5),
  });
  densities.forEach((d, k) => {
    const col = seriesColor(k);
    let prevY = py(0);
    for (let i = 0; i < bins; i++) {
      const xa = px(h.edges[i]!);
      const xb = px(h.edges[i + 1]!);
      const y = py(d[i]!);
      drawLine(c, xa, prevY, xa, y, col, 2);
      drawLine(c, xa, y, xb, y, col, 2);
      prevY = y;
    }
    drawLine(c, px(hi), prevY, px(hi), py(0), col, 2);
  });
  const { y0 } = plotArea();
  thresholds.forEach((t, k) => {
    const x = px(t.value);
    drawLine(c, x, py(0), x, y0, thresholdColor(k), 1, 4);
  });
  const entries: LegendEntry[] = h.groups.map((g, k) => ({ label: `${g.name} (n=${g.total})`, color: seriesColor(k) }));
  thresholds.forEach((t, k) => entries.push({ label: `${t.name} = ${formatTick(t.value)}`, color: thresholdColor(k), dashed: true }));
  const legend = drawLegend(c, entries, 'top-right');
  return { canvas: c, legend, xRange: [xl, xh], yRange: [0, yh] };
}

/**
 * Per-group step histograms of scores (from scoreHistograms: shared edges) as a 640x480 PNG,
 * normalized to density (each group's counts / (its total * bin width)), one colour per group,
 * with optional dashed vertical threshold lines and a legend.
 */
export function histogramPlot(h: ScoreHistograms, opts: HistogramPlotOptions): Uint8Array {
  return drawHistogramPlot(h, opts).canvas.toPng();
}

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  dashed?: boolean;
}

export interface LinePlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Logarithmic axes (non-positive values are left out). */
  logX?: boolean;
  logY?: boolean;
  /** Fixed y range (linear axis units); default: the data's, padded. */
  yRange?: [number, number];
  /** Only whole-number ticks on x (epochs). */
  xIntegers?: boolean;
  /** Horizontal dashed reference lines (e.g. chance level). */
  references?: { name: string; y: number }[];
  legend?: 'top-right' | 'bottom-right';
}

/** Ticks for a log10-transformed axis [lo, hi]: decades, plus 2 and 5 when it spans under two. */
function logTicks(lo: number, hi: number): number[] {
  const mult = hi - lo < 2 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
    for (const m of mult) {
      const t = d + Math.log10(m);
      if (t >= lo - 1e-9 && t <= hi + 1e-9) out.push(t);
    }
  }
  return out.length >= 2 ? out : niceTicks(lo, hi, 4);
}

/** Whole-number ticks in range: nice ticks rounded to integers, at least a step of 1. */
function integerTicks([lo, hi]: [number, number]): number[] {
  return [...new Set(niceTicks(lo, hi, 6).map(Math.round))].filter((t) => t >= lo && t <= hi);
}

function paddedRange(vals: number[], padFrac: number): [number, number] {
  let lo = Math.min(...vals);
  let hi = Math.max(...vals);
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * padFrac;
  return [lo - pad, hi + pad];
}

/** The line plot's canvas and legend (see linePlot). */
export function drawLinePlot(series: LineSeries[], opts: LinePlotOptions): { canvas: RgbCanvas; legend: LegendBox; xRange: [number, number]; yRange: [number, number] } {
  const tx = (v: number): number => (opts.logX === true ? Math.log10(v) : v);
  const ty = (v: number): number => (opts.logY === true ? Math.log10(v) : v);
  const points = series.map((s) => {
    if (s.x.length !== s.y.length) {
      throw new DarklensError('invalid_argument', `linePlot: series ${JSON.stringify(s.name)} has ${s.x.length} x and ${s.y.length} y values`);
    }
    const pts: [number, number][] = [];
    for (let i = 0; i < s.x.length; i++) {
      const x = tx(s.x[i]!);
      const y = ty(s.y[i]!);
      if (Number.isFinite(x) && Number.isFinite(y)) pts.push([x, y]);
    }
    return pts;
  });
  const all = points.flat();
  if (all.length === 0) throw new DarklensError('invalid_argument', 'linePlot: no finite points to draw');
  const xRange = paddedRange(
    all.map((p) => p[0]),
    0.04,
  );
  const refs = (opts.references ?? []).filter((r) => Number.isFinite(ty(r.y)));
  const yRange: [number, number] =
    opts.yRange !== undefined
      ? [ty(opts.yRange[0]), ty(opts.yRange[1])]
      : paddedRange([...all.map((p) => p[1]), ...refs.map((r) => ty(r.y))], 0.08);
  const c = new RgbCanvas(PLOT_STYLE.width, PLOT_STYLE.height, PLOT_STYLE.background);
  const pow = (t: number): string => formatTick(10 ** t);
  const { px, py } = drawAxes(c, {
    title: opts.title,
    xLabel: opts.xLabel,
    yLabel: opts.yLabel,
    xRange,
    yRange,
    xTicks: opts.logX === true ? logTicks(...xRange) : opts.xIntegers === true ? integerTicks(xRange) : niceTicks(xRange[0], xRange[1], 6),
    yTicks: opts.logY === true ? logTicks(...yRange) : niceTicks(yRange[0], yRange[1], 5),
    ...(opts.logX === true ? { xFormat: pow } : {}),
    ...(opts.logY === true ? { yFormat: pow } : {}),
  });
  const clampY = (y: number): number => Math.min(Math.max(py(y), plotArea().y0), plotArea().y0 + plotArea().h);
  refs.forEach((r) => drawLine(c, px(xRange[0]), clampY(ty(r.y)), px(xRange[1]), clampY(ty(r.y)), PLOT_STYLE.chance, 1, 4));
  points.forEach((pts, k) => {
    const col = seriesColor(k);
    const dash = series[k]!.dashed === true ? 5 : 0;
    for (let i = 1; i < pts.length; i++) drawLine(c, px(pts[i - 1]![0]), clampY(pts[i - 1]![1]), px(pts[i]![0]), clampY(pts[i]![1]), col, 2, dash);
    // Markers when points are few enough to be read one by one.
    if (pts.length <= 40) for (const [x, y] of pts) c.fillRect(Math.round(px(x)) - 2, Math.round(clampY(y)) - 2, 5, 5, col);
  });
  const entries: LegendEntry[] = series.map((s, k) => ({ label: s.name, color: seriesColor(k), ...(s.dashed === true ? { dashed: true } : {}) }));
  for (const r of refs) entries.push({ label: r.name, color: PLOT_STYLE.chance, dashed: true });
  const legend = drawLegend(c, entries, opts.legend ?? 'top-right');
  return { canvas: c, legend, xRange, yRange };
}

/** Lines through (x, y) points per series, as a 640x480 PNG with markers, a legend and optional log axes. */
export function linePlot(series: LineSeries[], opts: LinePlotOptions): Uint8Array {
  return drawLinePlot(series, opts).canvas.toPng();
}

/** Training and validation loss per epoch (log y): the picture `darklens train` keeps beside a checkpoint. */
export function lossCurvePlot(history: readonly { epoch: number; loss: number; valLoss: number }[], title = 'loss'): Uint8Array {
  const x = history.map((h) => h.epoch);
  return linePlot(
    [
      { name: 'training loss', x, y: history.map((h) => h.loss) },
      { name: 'validation MSE (score)', x, y: history.map((h) => h.valLoss) },
    ],
    { title, xLabel: 'epoch', yLabel: 'loss', logY: true, xIntegers: true },
  );
}
