import { DarklensError } from '@darklens/core';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { NAN_COLOR } from './canvas.js';
import { contactSheetLayout, drawContactSheet, renderContactSheet, SHEET_COLORS } from './contact-sheet.js';
import type { SheetRow } from './contact-sheet.js';

function image(width: number, height: number, f: (x: number, y: number) => number, caption?: string) {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return caption === undefined ? { width, height, data } : { width, height, data, caption };
}

/** Pixel (x, y) of a decoded RGB PNG. */
function px(png: { width: number; data: ArrayLike<number> }, x: number, y: number): number[] {
  const o = (y * png.width + x) * 3;
  return [png.data[o]!, png.data[o + 1]!, png.data[o + 2]!];
}

function countColor(png: { width: number; data: ArrayLike<number> }, x0: number, y0: number, x1: number, y1: number, rgb: number[]) {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (px(png, x, y).every((v, k) => v === rgb[k])) n++;
  return n;
}

const hRamp = (w: number, h: number, caption?: string) => image(w, h, (x) => x, caption); // 0 at left, w-1 at right
const vRamp = (w: number, h: number) => image(w, h, (_x, y) => 1000 + 10 * y); // 1000 at top, far from hRamp's range

const rows: SheetRow[] = [
  { label: 'no_subhalo', images: [hRamp(64, 64, 'id=1 s=0.02'), vRamp(64, 64), hRamp(64, 64)] },
  { label: 'subhalo', images: [vRamp(64, 64)] },
];

describe('contactSheetLayout', () => {
  it('upscales 64 px images to 128 px cells by default, and follows cellScale', () => {
    expect(contactSheetLayout(rows).cellScale).toBe(2);
    expect(contactSheetLayout(rows).cellWidth).toBe(128);
    expect(contactSheetLayout([{ label: 'a', images: [hRamp(32, 16)] }]).cellScale).toBe(4);
    expect(contactSheetLayout([{ label: 'a', images: [hRamp(200, 10)] }]).cellScale).toBe(1);
    const l3 = contactSheetLayout(rows, { cellScale: 3 });
    expect(l3.cellScale).toBe(3);
    expect(l3.rows[0]!.cells[0]!.width).toBe(192);
  });

  it('puts cells in an aligned grid that does not overlap and fits the sheet', () => {
    const l = contactSheetLayout(rows, { title: 'T' });
    const all = l.rows.flatMap((r) => r.cells);
    expect(all).toHaveLength(4);
    // Columns line up across rows.
    expect(l.rows[1]!.cells[0]!.cellX).toBe(l.rows[0]!.cells[0]!.cellX);
    // Cells in a row: same top, gaps between them.
    const r0 = l.rows[0]!.cells;
    for (let c = 1; c < r0.length; c++) {
      expect(r0[c]!.cellY).toBe(r0[0]!.cellY);
      expect(r0[c]!.cellX).toBeGreaterThan(r0[c - 1]!.cellX + l.cellWidth);
    }
    // Row 1 starts below row 0's captions.
    expect(l.rows[1]!.cells[0]!.cellY).toBeGreaterThan(r0[0]!.caption!.y + 7);
    // Everything inside the sheet, with the labels left of the grid and the title above it.
    for (const c of all) {
      expect(c.x - 1).toBeGreaterThanOrEqual(0);
      expect(c.y - 1).toBeGreaterThan(l.title!.y + 14);
      expect(c.x + c.width + 1).toBeLessThanOrEqual(l.width);
      expect(c.y + c.height + 1).toBeLessThanOrEqual(l.height);
    }
    expect(l.rows[0]!.label.x + 'no_subhalo'.length * 12 - 2).toBeLessThan(r0[0]!.cellX);
  });

  it('centres smaller images in their cell', () => {
    const l = contactSheetLayout([{ label: 'x', images: [hRamp(64, 64), hRamp(32, 48)] }]);
    const c = l.rows[0]!.cells[1]!;
    expect(c.width).toBe(64);
    expect(c.height).toBe(96);
    expect(c.x - c.cellX).toBe(32);
    expect(c.y - c.cellY).toBe(16);
  });

  it('shortens captions that are wider than a cell', () => {
    const l = contactSheetLayout([{ label: 'x', images: [hRamp(16, 16, 'a very long caption indeed, far too wide')] }]);
    const cap = l.rows[0]!.cells[0]!.caption!;
    expect(cap.text.endsWith('..')).toBe(true);
    expect(cap.text.length * 6 - 1).toBeLessThanOrEqual(l.cellWidth);
  });

  it('rejects sheets with nothing to show and bad scales', () => {
    expect(() => contactSheetLayout([])).toThrow(DarklensError);
    expect(() => contactSheetLayout([{ label: 'empty', images: [] }])).toThrow(DarklensError);
    expect(() => contactSheetLayout(rows, { cellScale: 0 })).toThrow(DarklensError);
    expect(() => contactSheetLayout(rows, { cellScale: 1.5 })).toThrow(DarklensError);
  });
});

describe('renderContactSheet', () => {
  const opts = { title: 'darklens test sheet' };
  const png = decode(renderContactSheet(rows, opts));
  const layout = contactSheetLayout(rows, opts);

  it('is an RGB PNG of the layout size', () => {
    expect(png.width).toBe(layout.width);
    expect(png.height).toBe(layout.height);
    expect(png.channels).toBe(3);
    expect(png.depth).toBe(8);
  });

  it('stretches each image on its own, min black and max white where the ramp puts them', () => {
    const s = layout.cellScale;
    // Horizontal ramp: the left s columns are black, the right s columns white, at any row.
    for (const c of [layout.rows[0]!.cells[0]!, layout.rows[0]!.cells[2]!]) {
      for (const dy of [0, c.height - 1]) {
        for (let k = 0; k < s; k++) {
          expect(px(png, c.x + k, c.y + dy)).toEqual([0, 0, 0]);
          expect(px(png, c.x + c.width - 1 - k, c.y + dy)).toEqual([255, 255, 255]);
        }
      }
      // The middle of the ramp: source column 32 of 0..63 -> round(32/63*255).
      const mid = Math.round((32 / 63) * 255);
      expect(px(png, c.x + 32 * s, c.y + 5)).toEqual([mid, mid, mid]);
    }
    // Vertical ramp with values 1000..1630: also black at the top and white at the bottom.
    for (const c of [layout.rows[0]!.cells[1]!, layout.rows[1]!.cells[0]!]) {
      expect(px(png, c.x + 7, c.y)).toEqual([0, 0, 0]);
      expect(px(png, c.x + 7, c.y + c.height - 1)).toEqual([255, 255, 255]);
      expect(px(png, c.x + c.width - 1, c.y + 1)).toEqual([0, 0, 0]);
    }
  });

  it('frames images on a dark background', () => {
    const c = layout.rows[0]!.cells[0]!;
    expect(px(png, c.x - 1, c.y + 10)).toEqual(SHEET_COLORS.frame);
    expect(px(png, c.x + 10, c.y + c.height)).toEqual(SHEET_COLORS.frame);
    expect(px(png, 0, 0)).toEqual(SHEET_COLORS.background);
    expect(px(png, png.width - 1, png.height - 1)).toEqual(SHEET_COLORS.background);
    // Row 1 has a single image: where row 0 has its second cell, row 1 shows background.
    const empty = layout.rows[0]!.cells[1]!;
    const y1 = layout.rows[1]!.cells[0]!.y;
    expect(px(png, empty.x + 10, y1 + 10)).toEqual(SHEET_COLORS.background);
  });

  it('draws the title, labels and captions in their colours, and only where asked', () => {
    const t = layout.title!;
    expect(countColor(png, t.x, t.y, t.x + 200, t.y + 14, SHEET_COLORS.title)).toBeGreaterThan(50);
    const lab = layout.rows[1]!.label;
    expect(countColor(png, lab.x, lab.y, lab.x + 100, lab.y + 14, SHEET_COLORS.label)).toBeGreaterThan(30);
    const cap = layout.rows[0]!.cells[0]!.caption!;
    expect(countColor(png, cap.x, cap.y, cap.x + 100, cap.y + 7, SHEET_COLORS.caption)).toBeGreaterThan(20);
    // No caption under the second image.
    const c1 = layout.rows[0]!.cells[1]!;
    expect(c1.caption).toBeUndefined();
    expect(countColor(png, c1.cellX, c1.cellY + layout.cellHeight + 1, c1.cellX + layout.cellWidth, c1.cellY + layout.cellHeight + 12, SHEET_COLORS.caption)).toBe(0);
    // Without a title the grid moves up.
    const untitled = contactSheetLayout(rows);
    expect(untitled.title).toBeUndefined();
    expect(untitled.rows[0]!.cells[0]!.y).toBeLessThan(c1.y);
    expect(untitled.height).toBeLessThan(layout.height);
  });

  it('widens the sheet for a long title', () => {
    const title = 'a title much wider than one small image cell could ever be';
    const l = contactSheetLayout([{ label: 'a', images: [hRamp(8, 8)] }], { title });
    expect(l.width).toBeGreaterThanOrEqual(title.length * 12 - 2 + 2 * l.title!.x);
  });

  it('passes stretch, colormap and NaN handling through to every cell', () => {
    const img = image(8, 8, (x, y) => (x === 0 && y === 0 ? NaN : x + 8 * y));
    const one: SheetRow[] = [{ label: 'x', images: [img] }];
    const lin = drawContactSheet(one);
    const ash = drawContactSheet(one, { stretch: 'asinh' });
    const mag = drawContactSheet(one, { colormap: 'magma' });
    const c = contactSheetLayout(one).rows[0]!.cells[0]!;
    const s = contactSheetLayout(one).cellScale;
    expect(lin.getPixel(c.x, c.y)).toEqual([...NAN_COLOR.gray]);
    expect(mag.getPixel(c.x, c.y)).toEqual([...NAN_COLOR.magma]);
    // Value 9 of 1..63: asinh is brighter than linear.
    expect(ash.getPixel(c.x + s, c.y + s)[0]).toBeGreaterThan(lin.getPixel(c.x + s, c.y + s)[0] + 30);
    // Magma mid-range pixels are coloured, not gray.
    const [r, g, b] = mag.getPixel(c.x + 4 * s, c.y + 4 * s);
    expect(r).not.toBe(g);
    expect(g).not.toBe(b);
  });
});
