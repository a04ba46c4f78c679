import { isDarklensError, readPng } from '@darklens/core';
import { describe, expect, it } from 'vitest';
import type { RgbCanvas, Rgb } from '../viz/canvas.js';
import { scoreHistograms } from '../metrics/histogram.js';
import { rocCurve } from '../metrics/roc.js';
import { drawHistogramPlot, drawLinePlot, drawRocPlot, formatTick, histogramPlot, lossCurvePlot, niceTicks, plotArea, PLOT_STYLE, rocPlot, seriesColor } from './plots.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function same(a: Rgb, b: Rgb): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

function count(c: RgbCanvas, x0: number, y0: number, x1: number, y1: number, pred: (p: Rgb) => boolean): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (pred(c.getPixel(x, y))) n++;
  return n;
}

const perfect = rocCurve([0.9, 0.8, 0.7, 0.1, 0.2, 0.3], [1, 1, 1, 0, 0, 0]);
const chance = rocCurve([1, 1, 2, 2], [0, 1, 0, 1]);

describe('rocPlot', () => {
  it('is a 640x480 PNG', () => {
    const png = rocPlot([{ name: 'pooled', fpr: perfect.fpr, tpr: perfect.tpr, auc: 1 }]);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const img = readPng(png);
    expect([img.width, img.height]).toEqual([PLOT_STYLE.width, PLOT_STYLE.height]);
  });

  it('draws a perfect ROC along the left and top edges of the plot area', () => {
    const { canvas } = drawRocPlot([{ name: 'pooled', fpr: perfect.fpr, tpr: perfect.tpr, auc: 1 }]);
    const { x0, y0, w, h } = plotArea();
    const col = seriesColor(0);
    const isCol = (p: Rgb): boolean => same(p, col);
    // Left edge (x = x0): coloured over the whole height; top edge (y = y0) over the whole width.
    expect(count(canvas, x0, y0, x0 + 1, y0 + h + 1, isCol)).toBeGreaterThan(h * 0.95);
    expect(count(canvas, x0, y0, x0 + w + 1, y0 + 1, isCol)).toBeGreaterThan(w * 0.95);
    // Nothing of the curve inside the plot away from those edges (the legend swatch aside).
    expect(count(canvas, x0 + 10, y0 + 10, x0 + w - 10, y0 + h / 2, isCol)).toBe(0);
  });

  it('draws a chance-level curve on the diagonal, one colour per curve', () => {
    const { canvas } = drawRocPlot([
      { name: 'a', fpr: perfect.fpr, tpr: perfect.tpr, auc: 1 },
      { name: 'b', fpr: chance.fpr, tpr: chance.tpr, auc: 0.5 },
    ]);
    const { x0, y0, w, h } = plotArea();
    const col = seriesColor(1);
    expect(same(col, seriesColor(0))).toBe(false);
    // Diagonal point at fpr = tpr = 0.25 and 0.4: (x0 + f w, y0 + h - f h).
    for (const f of [0.25, 0.4]) {
      const x = Math.round(x0 + f * w);
      const y = Math.round(y0 + h - f * h);
      expect(count(canvas, x - 2, y - 2, x + 3, y + 3, (p) => same(p, col))).toBeGreaterThan(0);
    }
  });

  it('writes a legend with text inside its box', () => {
    const { canvas, legend } = drawRocPlot([{ name: 'pooled', fpr: perfect.fpr, tpr: perfect.tpr, auc: 0.987 }]);
    const text = count(canvas, legend.x + 30, legend.y + 2, legend.x + legend.w - 2, legend.y + legend.h - 2, (p) => same(p, PLOT_STYLE.text));
    expect(text).toBeGreaterThan(50);
    // The label "pooled AUC=0.987" is wider than "chance", so the box fits it.
    expect(legend.w).toBeGreaterThan(16 * 6);
  });

  it('rejects no curves and rates outside [0, 1]', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return isDarklensError(e) ? e.code : 'other';
      }
    };
    expect(code(() => rocPlot([]))).toBe('invalid_argument');
    expect(code(() => rocPlot([{ name: 'x', fpr: new Float64Array([0, 2]), tpr: new Float64Array([0, 1]), auc: 1 }]))).toBe('invalid_argument');
    expect(code(() => rocPlot([{ name: 'x', fpr: new Float64Array([0]), tpr: new Float64Array([0, 1]), auc: 1 }]))).toBe('invalid_argument');
  });
});

describe('histogramPlot', () => {
  const scores = [0.1, 0.12, 0.15, 0.11, 0.5, 0.55, 0.6, 0.52];
  const classes = ['no_sub', 'no_sub', 'no_sub', 'no_sub', 'vortex', 'vortex', 'vortex', 'vortex'];
  const h = scoreHistograms(scores, classes, { bins: 10 });

  it('is a 640x480 PNG', () => {
    const png = histogramPlot(h, { title: 'scores', xLabel: 'MSE' });
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const img = readPng(png);
    expect([img.width, img.height]).toEqual([640, 480]);
  });

  it('draws each class where its scores are, at density height, and threshold lines', () => {
    const d = drawHistogramPlot(h, { title: 'scores', xLabel: 'MSE', thresholds: [{ name: 't', value: 0.3 }, { name: 'none', value: Infinity }] });
    const { x0, y0, w, h: ph } = plotArea();
    const [xl, xh] = d.xRange;
    const px = (x: number): number => Math.round(x0 + ((x - xl) / (xh - xl)) * w);
    const py = (y: number): number => Math.round(y0 + ph - (y / d.yRange[1]) * ph);
    const noSub = seriesColor(0);
    const vortex = seriesColor(1);
    // no_sub: all 4 values fall in bin 0 (its upper edge is 0.15000000000000002); density = count / (4 * bin width).
    const bw = h.edges[1]! - h.edges[0]!;
    const top0 = py(h.groups[0]!.counts[0]! / (4 * bw));
    const mid0 = px((h.edges[0]! + h.edges[1]!) / 2);
    expect(count(d.canvas, mid0 - 1, top0 - 2, mid0 + 2, top0 + 3, (p) => same(p, noSub))).toBeGreaterThan(0);
    // vortex nowhere left of 0.45, no_sub nowhere right of 0.2 (in the upper half, away from the legend).
    expect(count(d.canvas, px(0.2), y0 + 1, px(0.45), y0 + ph - 2, (p) => same(p, noSub) || same(p, vortex))).toBe(0);
    const lastBin = h.edges.length - 2;
    const topV = py(h.groups[1]!.counts[lastBin]! / (4 * bw));
    const midV = px((h.edges[lastBin]! + h.edges[lastBin + 1]!) / 2);
    expect(count(d.canvas, midV - 1, topV - 2, midV + 2, topV + 3, (p) => same(p, vortex))).toBeGreaterThan(0);
    // The threshold line at 0.3, dashed, spans the plot's height.
    const tx = px(0.3);
    const thr = PLOT_STYLE.thresholds[0]!;
    expect(count(d.canvas, tx - 1, y0 + ph / 2, tx + 2, y0 + ph, (p) => same(p, thr))).toBeGreaterThan(ph / 6);
    // Legend: two classes + one finite threshold, with text.
    expect(d.legend.h).toBe(6 + 3 * 12 + 2);
    expect(count(d.canvas, d.legend.x + 30, d.legend.y + 2, d.legend.x + d.legend.w - 2, d.legend.y + d.legend.h - 2, (p) => same(p, PLOT_STYLE.text))).toBeGreaterThan(50);
  });

  it('extends the x range to thresholds outside the scores', () => {
    const d = drawHistogramPlot(h, { title: 't', xLabel: 'x', thresholds: [{ name: 'far', value: 2 }] });
    expect(d.xRange[1]).toBeGreaterThan(2);
  });
});

describe('ticks', () => {
  it('picks 1-2-5 steps and formats them briefly', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.0013, 0.0031, 4)).toEqual([0.0015, 0.002, 0.0025, 0.003]);
    expect(formatTick(0.00025)).toBe('2.5e-4');
    expect(formatTick(0.123456)).toBe('0.123');
    expect(formatTick(0)).toBe('0');
  });
});

describe('linePlot', () => {
  const red = (p: Rgb): boolean => same(p, seriesColor(0));
  const blue = (p: Rgb): boolean => same(p, seriesColor(1));

  it('draws each series through its points, with markers, inside the plot area', () => {
    const { canvas, xRange, yRange } = drawLinePlot(
      [
        { name: 'a', x: [0, 1, 2], y: [0, 1, 0] },
        { name: 'b', x: [0, 2], y: [0.5, 0.5] },
      ],
      { title: 't', xLabel: 'x', yLabel: 'y' },
    );
    expect(xRange[0]).toBeLessThan(0);
    expect(xRange[1]).toBeGreaterThan(2);
    const { x0, y0, w, h } = plotArea();
    const px = (x: number): number => Math.round(x0 + ((x - xRange[0]) / (xRange[1] - xRange[0])) * w);
    const py = (y: number): number => Math.round(y0 + h - ((y - yRange[0]) / (yRange[1] - yRange[0])) * h);
    // A marker of series 0 at its peak (1, 1); series 1 crosses the middle of the plot horizontally.
    expect(count(canvas, px(1) - 2, py(1) - 2, px(1) + 3, py(1) + 3, red)).toBeGreaterThan(15);
    expect(count(canvas, px(0.5), py(0.5) - 1, px(0.5) + 1, py(0.5) + 2, blue)).toBeGreaterThan(0);
    // Nothing of series 0 near its valley's opposite corner (top left).
    expect(count(canvas, px(0) - 2, py(1) - 2, px(0) + 3, py(1) + 3, red)).toBe(0);
  });

  it('places points on log axes by their logarithm and skips non-positive values there', () => {
    const { canvas, xRange, yRange } = drawLinePlot([{ name: 'loss', x: [1, 2, 3], y: [1, 0.1, 0] }], { title: 't', xLabel: 'x', yLabel: 'y', logY: true });
    expect(yRange[0]).toBeLessThan(-1);
    expect(yRange[1]).toBeGreaterThan(0);
    const { x0, y0, w, h } = plotArea();
    const px = (x: number): number => Math.round(x0 + ((x - xRange[0]) / (xRange[1] - xRange[0])) * w);
    const py = (t: number): number => Math.round(y0 + h - ((t - yRange[0]) / (yRange[1] - yRange[0])) * h);
    expect(count(canvas, px(2) - 2, py(-1) - 2, px(2) + 3, py(-1) + 3, red)).toBeGreaterThan(15);
    expect(() => drawLinePlot([{ name: 'x', x: [1], y: [0] }], { title: 't', xLabel: 'x', yLabel: 'y', logY: true })).toThrow(/no finite points/);
    expect(() => drawLinePlot([{ name: 'x', x: [1, 2], y: [0] }], { title: 't', xLabel: 'x', yLabel: 'y' })).toThrow(/2 x and 1 y/);
  });

  it('lossCurvePlot gives a 640x480 PNG of both curves', () => {
    const png = lossCurvePlot([
      { epoch: 1, loss: 0.02, valLoss: 0.01 },
      { epoch: 2, loss: 0.005, valLoss: 0.004 },
    ]);
    const img = readPng(png);
    expect([img.width, img.height]).toEqual([640, 480]);
  });
});
