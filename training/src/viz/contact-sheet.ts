/**
 * Contact sheets: a grid of small images, one row per class (e.g. "no_subhalo", "subhalo"), with a
 * title, row labels at the left and optional captions, for eyeballing simulated or real cutouts.
 *
 *   +--------------------------------------------------+
 *   | TITLE                                            |
 *   |                                                  |
 *   | label_a  [img] [img] [img] [img]                 |
 *   |          cap   cap   cap   cap                   |
 *   | label_b  [img] [img]                             |
 *   +--------------------------------------------------+
 *
 * Every image is stretched on its own (its own finite min/max), upscaled by an integer factor with
 * nearest-neighbour sampling and centred in its cell; all cells have the size of the largest image.
 */
import { DarklensError } from '@darklens/core';
import { RgbCanvas } from './canvas.js';
import type { Colormap, Rgb, Stretch } from './canvas.js';
import { drawText, GLYPH_HEIGHT, textWidth } from './font.js';

export interface SheetImage {
  width: number;
  height: number;
  data: Float32Array;
  caption?: string;
}

export interface SheetRow {
  label: string;
  images: SheetImage[];
}

export interface ContactSheetOptions {
  title?: string;
  /** Integer upscaling of every image. Default: max(1, floor(128 / largest image side)), so 64 px -> 128 px. */
  cellScale?: number;
  /** Default 'linear'. */
  stretch?: Stretch;
  /** Default 'gray'. */
  colormap?: Colormap;
}

/** Where things go on the sheet; all values in pixels of the output image. */
export interface SheetLayout {
  width: number;
  height: number;
  cellScale: number;
  /** Size of every cell (the largest image times cellScale). */
  cellWidth: number;
  cellHeight: number;
  /** Title's top-left corner, when there is a title. */
  title?: { x: number; y: number };
  rows: {
    /** Label's top-left corner. */
    label: { x: number; y: number };
    /** One entry per image: the cell's top-left corner and the drawn image's rectangle within it. */
    cells: { cellX: number; cellY: number; x: number; y: number; width: number; height: number; caption?: { x: number; y: number; text: string } }[];
  }[];
}

export const SHEET_COLORS = {
  background: [22, 22, 26] as Rgb,
  frame: [62, 62, 72] as Rgb,
  title: [238, 238, 242] as Rgb,
  label: [218, 218, 226] as Rgb,
  caption: [165, 165, 178] as Rgb,
};

const PAD = 16; // outer margin
const GAP = 8; // between cells in a row
const ROW_GAP = 14; // between rows
const TITLE_SCALE = 2;
const LABEL_SCALE = 2;
const CAPTION_SCALE = 1;
const CAPTION_GAP = 4; // between an image and its caption
const DEFAULT_CELL_TARGET = 128;

/** Cuts `text` (adding "..") so that it is at most `maxWidth` pixels wide at `scale`. */
function fitText(text: string, maxWidth: number, scale: number): string {
  if (textWidth(text, scale) <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 0 && textWidth(chars.join('') + '..', scale) > maxWidth) chars.pop();
  return chars.length > 0 ? chars.join('') + '..' : '';
}

/** Computes the sheet's geometry without drawing anything (also used by tests). */
export function contactSheetLayout(rows: SheetRow[], opts: ContactSheetOptions = {}): SheetLayout {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new DarklensError('invalid_argument', 'a contact sheet needs at least one row');
  }
  let maxW = 0;
  let maxH = 0;
  let cols = 0;
  let anyCaption = false;
  for (const row of rows) {
    cols = Math.max(cols, row.images.length);
    for (const img of row.images) {
      if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
        throw new DarklensError('invalid_argument', `image size must be positive integers, got ${img.width}x${img.height}`);
      }
      maxW = Math.max(maxW, img.width);
      maxH = Math.max(maxH, img.height);
      if (img.caption) anyCaption = true;
    }
  }
  if (cols === 0) throw new DarklensError('invalid_argument', 'a contact sheet needs at least one image');

  const cellScale = opts.cellScale ?? Math.max(1, Math.floor(DEFAULT_CELL_TARGET / Math.max(maxW, maxH)));
  if (!Number.isInteger(cellScale) || cellScale < 1) {
    throw new DarklensError('invalid_argument', `cellScale must be a positive integer, got ${String(cellScale)}`);
  }
  const cellWidth = maxW * cellScale;
  const cellHeight = maxH * cellScale;
  const captionHeight = anyCaption ? CAPTION_GAP + GLYPH_HEIGHT * CAPTION_SCALE : 0;
  const labelWidth = Math.max(0, ...rows.map((r) => textWidth(r.label, LABEL_SCALE)));
  const gridX = PAD + (labelWidth > 0 ? labelWidth + 2 * GAP : 0);
  const gridWidth = cols * cellWidth + (cols - 1) * GAP;
  const title = opts.title ?? '';
  const titleHeight = title ? GLYPH_HEIGHT * TITLE_SCALE + 2 * GAP : 0;
  const width = Math.max(gridX + gridWidth + PAD, 2 * PAD + textWidth(title, TITLE_SCALE));
  const rowHeight = cellHeight + captionHeight;
  const height = PAD + titleHeight + rows.length * rowHeight + (rows.length - 1) * ROW_GAP + PAD;

  const layout: SheetLayout = { width, height, cellScale, cellWidth, cellHeight, rows: [] };
  if (title) layout.title = { x: PAD, y: PAD };
  rows.forEach((row, r) => {
    const top = PAD + titleHeight + r * (rowHeight + ROW_GAP);
    layout.rows.push({
      label: { x: PAD, y: top + Math.floor((cellHeight - GLYPH_HEIGHT * LABEL_SCALE) / 2) },
      cells: row.images.map((img, c) => {
        const cellX = gridX + c * (cellWidth + GAP);
        const w = img.width * cellScale;
        const h = img.height * cellScale;
        const cell: SheetLayout['rows'][number]['cells'][number] = {
          cellX,
          cellY: top,
          x: cellX + Math.floor((cellWidth - w) / 2),
          y: top + Math.floor((cellHeight - h) / 2),
          width: w,
          height: h,
        };
        if (img.caption) {
          const text = fitText(img.caption, cellWidth, CAPTION_SCALE);
          cell.caption = {
            x: cellX + Math.floor((cellWidth - textWidth(text, CAPTION_SCALE)) / 2),
            y: top + cellHeight + CAPTION_GAP,
            text,
          };
        }
        return cell;
      }),
    });
  });
  return layout;
}

/** Draws the contact sheet onto a new canvas (renderContactSheet without the PNG encoding). */
export function drawContactSheet(rows: SheetRow[], opts: ContactSheetOptions = {}): RgbCanvas {
  const layout = contactSheetLayout(rows, opts);
  const canvas = new RgbCanvas(layout.width, layout.height, SHEET_COLORS.background);
  if (layout.title && opts.title) {
    drawText(canvas, layout.title.x, layout.title.y, opts.title, SHEET_COLORS.title, TITLE_SCALE);
  }
  rows.forEach((row, r) => {
    const rl = layout.rows[r]!;
    drawText(canvas, rl.label.x, rl.label.y, row.label, SHEET_COLORS.label, LABEL_SCALE);
    row.images.forEach((img, c) => {
      const cell = rl.cells[c]!;
      // A 1-px frame just outside the image, so that dark image edges stay visible on the background.
      canvas.fillRect(cell.x - 1, cell.y - 1, cell.width + 2, cell.height + 2, SHEET_COLORS.frame);
      canvas.drawGray(cell.x, cell.y, img, {
        scale: layout.cellScale,
        stretch: opts.stretch ?? 'linear',
        colormap: opts.colormap ?? 'gray',
      });
      if (cell.caption) {
        drawText(canvas, cell.caption.x, cell.caption.y, cell.caption.text, SHEET_COLORS.caption, CAPTION_SCALE);
      }
    });
  });
  return canvas;
}

/** Renders the contact sheet as PNG bytes (8-bit RGB). */
export function renderContactSheet(rows: SheetRow[], opts: ContactSheetOptions = {}): Uint8Array {
  return drawContactSheet(rows, opts).toPng();
}
