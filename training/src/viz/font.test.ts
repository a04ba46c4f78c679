import { DarklensError } from '@darklens/core';
import { describe, expect, it } from 'vitest';
import { RgbCanvas } from './canvas.js';
import { drawText, GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows, hasGlyph, SUPPORTED_CHARS, textWidth } from './font.js';

const REQUIRED =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789' + '_-.:/=%(),' + ' ';
const BG: [number, number, number] = [0, 0, 0];
const FG: [number, number, number] = [255, 200, 100];

/** Bounding box of all pixels that differ from the background, or null. */
function inkBox(c: RgbCanvas) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let y = 0; y < c.height; y++) {
    for (let x = 0; x < c.width; x++) {
      const [r, g, b] = c.getPixel(x, y);
      if (r !== BG[0] || g !== BG[1] || b !== BG[2]) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1, y1 };
}

/** The glyph as drawn on a canvas at scale 1, as 7 strings of '#' and '.'. */
function rendered(ch: string): string[] {
  const c = new RgbCanvas(GLYPH_WIDTH, GLYPH_HEIGHT, BG);
  drawText(c, 0, 0, ch, FG);
  const rows: string[] = [];
  for (let y = 0; y < GLYPH_HEIGHT; y++) {
    let s = '';
    for (let x = 0; x < GLYPH_WIDTH; x++) s += c.getPixel(x, y)[0] === FG[0] ? '#' : '.';
    rows.push(s);
  }
  return rows;
}

describe('font glyphs', () => {
  it('has a glyph for every required character', () => {
    for (const ch of REQUIRED) expect(hasGlyph(ch), JSON.stringify(ch)).toBe(true);
    expect(hasGlyph('~')).toBe(false);
  });

  it('draws ink for every glyph except space', () => {
    for (const ch of SUPPORTED_CHARS) {
      const blank = [...glyphRows(ch)].every((r) => r === 0);
      expect(blank, JSON.stringify(ch)).toBe(ch === ' ');
    }
  });

  it('gives distinct characters distinct glyphs (no copy-paste mistakes, O differs from 0, l from 1...)', () => {
    const seen = new Map<string, string>();
    for (const ch of SUPPORTED_CHARS) {
      const key = [...glyphRows(ch)].join(',');
      expect(seen.get(key), `${JSON.stringify(ch)} duplicates ${JSON.stringify(seen.get(key))}`).toBeUndefined();
      seen.set(key, ch);
    }
    expect(seen.size).toBeGreaterThanOrEqual(REQUIRED.length);
  });

  it('draws glyph bits at the right pixels', () => {
    expect(rendered('T')).toEqual(['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..']);
    expect(rendered('L')).toEqual(['#....', '#....', '#....', '#....', '#....', '#....', '#####']);
    expect(rendered('_')).toEqual(['.....', '.....', '.....', '.....', '.....', '.....', '#####']);
  });

  it('draws unsupported characters as ?', () => {
    expect(rendered('~')).toEqual(rendered('?'));
    expect(rendered('\n')).toEqual(rendered('?'));
  });
});

describe('textWidth and drawText', () => {
  it('computes widths', () => {
    expect(textWidth('')).toBe(0);
    expect(textWidth('H')).toBe(5);
    expect(textWidth('HH')).toBe(5 + GLYPH_ADVANCE);
    expect(textWidth('abc', 3)).toBe((3 * GLYPH_ADVANCE - 1) * 3);
  });

  it('matches the drawn extent', () => {
    for (const [text, scale] of [
      ['H', 1],
      ['Hello WORLD 42', 1],
      ['p=0.95 (M) W', 2],
      ['AZ09', 3],
    ] as const) {
      const c = new RgbCanvas(300, 40, BG);
      drawText(c, 3, 2, text, FG, scale);
      // Each text starts with a glyph touching column 0 and ends with one touching column 4.
      expect(inkBox(c), text).toEqual({ x0: 3, y0: 2, x1: 3 + textWidth(text, scale) - 1, y1: 2 + GLYPH_HEIGHT * scale - 1 });
    }
  });

  it('keeps every glyph inside its advertised box', () => {
    const text = SUPPORTED_CHARS.join('');
    const c = new RgbCanvas(textWidth(text, 2) + 20, 30, BG);
    drawText(c, 10, 5, text, FG, 2);
    const box = inkBox(c)!;
    expect(box.x0).toBeGreaterThanOrEqual(10);
    expect(box.x1).toBeLessThanOrEqual(10 + textWidth(text, 2) - 1);
    expect(box.y0).toBeGreaterThanOrEqual(5);
    expect(box.y1).toBeLessThanOrEqual(5 + GLYPH_HEIGHT * 2 - 1);
  });

  it('scales by whole pixel blocks', () => {
    const c = new RgbCanvas(20, 30, BG);
    drawText(c, 0, 0, 'T', FG, 3);
    // Top bar: rows 0-2 fully inked over the 15 columns; the stem occupies columns 6-8 below it.
    for (let x = 0; x < 15; x++) for (let y = 0; y < 3; y++) expect(c.getPixel(x, y)).toEqual(FG);
    expect(c.getPixel(7, 10)).toEqual(FG);
    expect(c.getPixel(5, 10)).toEqual(BG);
    expect(c.getPixel(9, 10)).toEqual(BG);
  });

  it('clips text that runs off the canvas', () => {
    const c = new RgbCanvas(10, 5, BG);
    expect(() => drawText(c, -4, -3, 'WIDE TEXT', FG, 2)).not.toThrow();
    expect(inkBox(c)).not.toBeNull();
  });

  it('rejects non-integer scales', () => {
    const c = new RgbCanvas(10, 10, BG);
    expect(() => drawText(c, 0, 0, 'A', FG, 1.5)).toThrow(DarklensError);
    expect(() => textWidth('A', 0)).toThrow(DarklensError);
  });
});
