/**
 * A tiny 5x7 bitmap font for labelling diagnostic images (contact sheets, plots) without any font
 * files or native dependencies. Glyphs are drawn in a 5x7 box and advance by 6 pixels (one blank
 * column between letters), all multiplied by an integer `scale`.
 *
 * Covered: A-Z, a-z (real lower-case shapes; g j p q y get short tails that fit inside the 7-row
 * box), 0-9, space and `_ - . : / = % ( ) , ? ! + * ' [ ] < > | # ;`. Anything else is drawn as `?`.
 */
import { DarklensError } from '@darklens/core';
import type { RgbCanvas } from './canvas.js';

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Horizontal advance per character at scale 1 (glyph plus one blank column). */
export const GLYPH_ADVANCE = GLYPH_WIDTH + 1;

const GLYPH_ROWS: Record<string, string> = {
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '####. #...# #...# #...# #...# #...# ####.',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',

  a: '..... ..... .###. ....# .#### #...# .####',
  b: '#.... #.... #.##. ##..# #...# #...# ####.',
  c: '..... ..... .###. #.... #.... #...# .###.',
  d: '....# ....# .##.# #..## #...# #...# .####',
  e: '..... ..... .###. #...# ##### #.... .###.',
  f: '..##. .#..# .#... ###.. .#... .#... .#...',
  g: '..... ..... .#### #...# .#### ....# .###.',
  h: '#.... #.... #.##. ##..# #...# #...# #...#',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  j: '...#. ..... ..##. ...#. ...#. #..#. .##..',
  k: '#.... #.... #..#. #.#.. ##... #.#.. #..#.',
  l: '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  m: '..... ..... ##.#. #.#.# #.#.# #...# #...#',
  n: '..... ..... #.##. ##..# #...# #...# #...#',
  o: '..... ..... .###. #...# #...# #...# .###.',
  p: '..... ..... ####. #...# #...# ####. #....',
  q: '..... ..... .#### #...# #...# .#### ....#',
  r: '..... ..... #.##. ##..# #.... #.... #....',
  s: '..... ..... .#### #.... .###. ....# ####.',
  t: '.#... .#... ###.. .#... .#... .#..# ..##.',
  u: '..... ..... #...# #...# #...# #..## .##.#',
  v: '..... ..... #...# #...# #...# .#.#. ..#..',
  w: '..... ..... #...# #...# #.#.# #.#.# .#.#.',
  x: '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  y: '..... ..... #...# #...# .#### ....# .###.',
  z: '..... ..... ##### ...#. ..#.. .#... #####',

  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',

  ' ': '..... ..... ..... ..... ..... ..... .....',
  _: '..... ..... ..... ..... ..... ..... #####',
  '-': '..... ..... ..... .###. ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  ';': '..... .##.. .##.. ..... .##.. ..#.. .#...',
  ',': '..... ..... ..... ..... .##.. ..#.. .#...',
  '/': '..... ....# ...#. ..#.. .#... #.... .....',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...##',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#.. .....',
  "'": '..#.. ..#.. .#... ..... ..... ..... .....',
  '|': '..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
};

/** Each glyph as 7 row bitmasks; bit 4 (value 16) is the leftmost column. */
const GLYPHS = new Map<string, Uint8Array>();
for (const [ch, spec] of Object.entries(GLYPH_ROWS)) {
  const rows = spec.split(' ');
  if (rows.length !== GLYPH_HEIGHT || rows.some((r) => r.length !== GLYPH_WIDTH || /[^.#]/.test(r))) {
    throw new Error(`font: malformed glyph for ${JSON.stringify(ch)}`);
  }
  GLYPHS.set(ch, Uint8Array.from(rows, (r) => parseInt(r.replaceAll('#', '1').replaceAll('.', '0'), 2)));
}
const FALLBACK = GLYPHS.get('?')!;

/** Every character with its own glyph, in no particular order. */
export const SUPPORTED_CHARS: readonly string[] = [...GLYPHS.keys()];

/** True when `ch` (one character) has its own glyph rather than the `?` fallback. */
export function hasGlyph(ch: string): boolean {
  return GLYPHS.has(ch);
}

/**
 * The 7 row bitmasks of a character's glyph (bit 4 = leftmost column), or of `?` for unsupported
 * characters. Returns a copy.
 */
export function glyphRows(ch: string): Uint8Array {
  return (GLYPHS.get(ch) ?? FALLBACK).slice();
}

function checkScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 1) {
    throw new DarklensError('invalid_argument', `text scale must be a positive integer, got ${String(scale)}`);
  }
}

/**
 * Width in pixels of `text` drawn at `scale`: 6*scale per character minus the trailing blank
 * column, so a single full-width glyph (e.g. "H") is exactly 5*scale wide. 0 for empty text.
 * Height is always GLYPH_HEIGHT*scale.
 */
export function textWidth(text: string, scale = 1): number {
  checkScale(scale);
  const n = [...text].length;
  return n === 0 ? 0 : (n * GLYPH_ADVANCE - 1) * scale;
}

/**
 * Draws `text` with its top-left corner at (x, y), each font pixel a scale x scale block. Single
 * line (no wrapping, `\n` is drawn as `?`); pixels falling outside the canvas are clipped.
 */
export function drawText(
  canvas: RgbCanvas,
  x: number,
  y: number,
  text: string,
  color: [number, number, number],
  scale = 1,
): void {
  checkScale(scale);
  x = Math.round(x);
  y = Math.round(y);
  let cx = x;
  for (const ch of text) {
    const rows = GLYPHS.get(ch) ?? FALLBACK;
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      const bits = rows[r]!;
      if (bits === 0) continue;
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        if (bits & (1 << (GLYPH_WIDTH - 1 - c))) {
          canvas.fillRect(cx + c * scale, y + r * scale, scale, scale, color);
        }
      }
    }
    cx += GLYPH_ADVANCE * scale;
  }
}
