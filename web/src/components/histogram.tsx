/**
 * A model's calibration histogram (scores of held-out smooth lenses) with the threshold at the page's
 * FPR (dashed amber) and, when given, the cutout's score (solid; red when flagged). Drawn by uPlot;
 * moving the threshold only redraws, it never rebuilds the plot.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtLoss } from '../format';

export const THRESHOLD_COLOR = '#f5a623';
export const FLAGGED_COLOR = '#ff4d4f';
export const SMOOTH_COLOR = '#36cfc9';

interface Props {
  edges: number[];
  counts: number[];
  threshold: number;
  score?: number;
  flagged?: boolean;
  height?: number;
  label: string;
}

interface Marks {
  threshold: number;
  score: number | undefined;
  flagged: boolean;
}

function vline(u: uPlot, value: number, color: string, dashed: boolean, clipped: boolean): void {
  const ctx = u.ctx;
  const dpr = devicePixelRatio || 1;
  const x = Math.round(u.valToPos(value, 'x', true));
  const { top, height } = u.bbox;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 2 * dpr;
  ctx.setLineDash(dashed ? [5 * dpr, 3 * dpr] : []);
  ctx.beginPath();
  ctx.moveTo(x, top);
  ctx.lineTo(x, top + height);
  ctx.stroke();
  if (clipped) {
    // The score lies beyond the axis: an arrow head says "further right".
    ctx.beginPath();
    ctx.moveTo(x, top + 4 * dpr);
    ctx.lineTo(x - 8 * dpr, top);
    ctx.lineTo(x - 8 * dpr, top + 8 * dpr);
    ctx.fill();
  }
  ctx.restore();
}

export function Histogram({ edges, counts, threshold, score, flagged = false, height = 120, label }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const marks = useRef<Marks>({ threshold, score, flagged });
  marks.current = { threshold, score, flagged };

  useEffect(() => {
    const el = host.current;
    if (!el || edges.length < 2) return;
    const lo = edges[0]!;
    const last = edges[edges.length - 1]!;
    const span = last - lo;
    // Room for a score beyond the calibration range, but not so much that the histogram shrinks to nothing.
    const cap = last + span * 0.5;
    const hi = Math.max(last, Math.min(cap, Math.max(score ?? last, threshold) * 1.02));
    const centres = counts.map((_, i) => 0.5 * (edges[i]! + edges[i + 1]!));
    const opts: uPlot.Options = {
      width: Math.max(160, el.clientWidth || 320),
      height,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: () => [lo, hi] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.08] },
      },
      axes: [
        { stroke: '#aab', grid: { stroke: 'rgba(255,255,255,0.06)' }, ticks: { stroke: 'rgba(255,255,255,0.2)' }, values: (_u, ticks) => ticks.map(fmtLoss), size: 28, font: '11px system-ui' },
        { stroke: '#aab', grid: { stroke: 'rgba(255,255,255,0.06)' }, ticks: { show: false }, size: 34, font: '11px system-ui' },
      ],
      series: [
        {},
        { label: 'smooth lenses', fill: 'rgba(120,140,220,0.55)', stroke: 'rgba(150,170,240,0.9)', width: 1, paths: uPlot.paths.bars!({ size: [1, Infinity], gap: 0 }), points: { show: false } },
      ],
      hooks: {
        draw: [
          (u) => {
            const m = marks.current;
            vline(u, Math.min(m.threshold, hi), THRESHOLD_COLOR, true, false);
            if (m.score !== undefined) vline(u, Math.min(m.score, hi), m.flagged ? FLAGGED_COLOR : SMOOTH_COLOR, false, m.score > hi);
          },
        ],
      },
    };
    const u = new uPlot(opts, [centres, counts], el);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [edges, counts, score, height]);

  useEffect(() => {
    plot.current?.redraw(false, false);
  }, [threshold, flagged]);

  return <div class="histogram" ref={host} role="img" aria-label={label} />;
}
