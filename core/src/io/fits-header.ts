/**
 * FITS header cards: parsing and formatting of the 80-character ASCII records that make up a FITS
 * header (FITS Standard 4.0, section 4). Runtime-agnostic: bytes are decoded with
 * String.fromCharCode, no TextDecoder, no Node APIs.
 *
 * A header is a sequence of 2880-byte blocks of 36 cards each; it ends with the END card and is
 * padded with spaces to the block boundary.
 */
import { DarklensError } from '../errors.js';

/** Size of a FITS logical record (header and data are padded to a multiple of it). */
export const FITS_BLOCK = 2880;
/** Size of one header card. */
export const FITS_CARD = 80;
/** Most cards read from one header: real headers hold hundreds; this bounds a hostile one. */
export const MAX_HEADER_CARDS = 100_000;
/** Longest string content (after '' escaping) that fits a single card: 80 - 10 - 2 quotes. */
export const FITS_MAX_STRING = 68;

/** A decoded value: string, logical (T/F), integer or floating-point number. */
export type FitsValue = string | number | boolean;

export interface FitsCard {
  /** Keyword, columns 1-8 with trailing blanks removed (for HIERARCH cards: the text before '='). */
  keyword: string;
  /** Decoded value; undefined for commentary cards, undefined values and unparsable values. */
  value?: FitsValue;
  /** For integer values, the digits as written, so 64-bit integers can be read exactly. */
  intText?: string;
  /** The raw value field (before any comment), trimmed; undefined for commentary cards. */
  valueText?: string;
  /** Comment after '/', or the text of a commentary card (COMMENT, HISTORY, blank keyword...). */
  comment?: string;
  /** True when the card has a value field that could not be parsed (e.g. a complex value). */
  invalid?: boolean;
}

const COMMENTARY = new Set(['COMMENT', 'HISTORY', '']);
const KEYWORD_RE = /^[A-Z0-9_-]{1,8}$/;
const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[EDed][+-]?\d+)?$/;

/** Decodes `length` bytes from `offset` as one character per byte (headers are ASCII). */
export function bytesToAscii(bytes: Uint8Array, offset: number, length: number): string {
  const end = Math.min(bytes.length, offset + length);
  let s = '';
  for (let i = offset; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Parses a quoted string starting at `text[start] === "'"`; returns the content and the index after it. */
function parseQuoted(text: string, start: number): { value: string; end: number } | undefined {
  let out = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'") {
      if (text[i + 1] === "'") {
        out += "'";
        i += 2;
        continue;
      }
      // Trailing blanks of a string value are not significant; leading blanks are.
      return { value: out.replace(/ +$/, ''), end: i + 1 };
    }
    out += ch;
    i++;
  }
  return undefined;
}

/** Decodes a value field (the text after '= '), filling value/valueText/comment/invalid of `card`. */
function parseValueField(field: string, card: FitsCard): void {
  const start = field.search(/\S/);
  if (start < 0) {
    card.valueText = '';
    return; // undefined value
  }
  if (field[start] === "'") {
    const q = parseQuoted(field, start);
    if (!q) {
      card.valueText = field.trim();
      card.invalid = true;
      return;
    }
    card.value = q.value;
    card.valueText = field.slice(start, q.end);
    const rest = field.slice(q.end);
    const slash = rest.indexOf('/');
    if (slash >= 0) card.comment = rest.slice(slash + 1).trim();
    else if (rest.trim() !== '') card.invalid = true;
    return;
  }
  const slash = field.indexOf('/');
  const text = (slash >= 0 ? field.slice(0, slash) : field).trim();
  if (slash >= 0) card.comment = field.slice(slash + 1).trim();
  card.valueText = text;
  if (text === '') return; // undefined value followed by a comment
  if (text === 'T') card.value = true;
  else if (text === 'F') card.value = false;
  else if (INT_RE.test(text)) {
    card.value = Number(text);
    card.intText = text;
  } else if (FLOAT_RE.test(text)) card.value = Number(text.replace(/[Dd]/, 'E'));
  else card.invalid = true; // complex values and garbage: kept as text only
}

/**
 * Parses one 80-character card. Never throws: a card whose value cannot be parsed is returned with
 * `invalid: true`, so only keywords the reader actually needs can make a file unreadable.
 */
export function parseCard(text: string): FitsCard {
  const card80 = text.length >= FITS_CARD ? text.slice(0, FITS_CARD) : text.padEnd(FITS_CARD, ' ');
  let keyword = card80.slice(0, 8).trimEnd();
  let field: string | undefined;
  if (keyword === 'HIERARCH') {
    const eq = card80.indexOf('=', 8);
    if (eq >= 0) {
      keyword = card80.slice(8, eq).trim();
      field = card80.slice(eq + 1);
    }
  } else if (!COMMENTARY.has(keyword) && card80[8] === '=') {
    // The standard asks for '= ' in columns 9-10; a missing blank in column 10 is tolerated.
    field = card80.slice(9);
  }
  if (field === undefined) {
    const card: FitsCard = { keyword };
    const comment = card80.slice(8).trimEnd();
    if (comment !== '') card.comment = comment;
    return card;
  }
  const card: FitsCard = { keyword };
  parseValueField(field, card);
  return card;
}

/** A parsed header: its cards in order and keyword lookup (first occurrence wins). */
export class FitsHeader {
  readonly cards: readonly FitsCard[];
  /** Bytes the header occupies in the file, including the padding of its last block. */
  readonly byteLength: number;
  private readonly index = new Map<string, FitsCard>();

  constructor(cards: FitsCard[], byteLength: number) {
    this.cards = cards;
    this.byteLength = byteLength;
    for (const c of cards) {
      if (c.valueText !== undefined && !this.index.has(c.keyword)) this.index.set(c.keyword, c);
    }
  }

  /** The first card with this keyword that has a value field, if any. */
  card(keyword: string): FitsCard | undefined {
    return this.index.get(keyword);
  }

  has(keyword: string): boolean {
    return this.index.has(keyword);
  }

  /** Keywords that have a value, in header order (first occurrences). */
  keys(): string[] {
    return [...this.index.keys()];
  }

  get(keyword: string): FitsValue | undefined {
    return this.index.get(keyword)?.value;
  }

  /** Text of all commentary cards with this keyword (e.g. HISTORY), in order. */
  commentary(keyword: string): string[] {
    return this.cards.filter((c) => c.keyword === keyword && c.valueText === undefined).map((c) => c.comment ?? '');
  }

  /** A numeric value (integer or float); undefined when absent; bad_header when not a finite number. */
  number(keyword: string, what: string): number | undefined {
    const c = this.index.get(keyword);
    if (!c) return undefined;
    if (typeof c.value !== 'number' || !Number.isFinite(c.value)) {
      throw new DarklensError(
        'bad_header',
        `FITS keyword ${keyword} ${what} must be a finite number, found ${show(c.valueText)}; accepted: an integer or a float such as 1.5E-3`,
      );
    }
    return c.value;
  }

  /** An integer value; undefined when absent; bad_header when not an integer. */
  integer(keyword: string, what: string): number | undefined {
    const c = this.index.get(keyword);
    if (!c) return undefined;
    if (typeof c.value !== 'number' || c.intText === undefined || !Number.isSafeInteger(c.value)) {
      throw new DarklensError(
        'bad_header',
        `FITS keyword ${keyword} ${what} must be an integer, found ${show(c.valueText)}; accepted: an integer such as 512`,
      );
    }
    return c.value;
  }

  /** A string value, trimmed; undefined when absent or not a string. */
  string(keyword: string): string | undefined {
    const v = this.index.get(keyword)?.value;
    return typeof v === 'string' ? v.trim() : undefined;
  }
}

function show(valueText: string | undefined): string {
  if (valueText === undefined || valueText === '') return 'no value';
  return `'${valueText}'`;
}

/**
 * Parses the header starting at `offset` (a multiple of 2880 in a well-formed file), up to and
 * including its END card. Long strings written with the CONTINUE convention are joined.
 * Throws DarklensError('truncated') when the bytes end before the END card.
 */
export function parseHeader(bytes: Uint8Array, offset: number, what = 'FITS header'): FitsHeader {
  const cards: FitsCard[] = [];
  // A long string's pieces, joined once when it ends: appending to one string card by card would
  // copy it every time (quadratic in the number of CONTINUE cards).
  let parts: string[] | undefined;
  let texts: string[] | undefined;
  const finishLongString = (): void => {
    const prev = cards[cards.length - 1];
    if (parts !== undefined && texts !== undefined && prev !== undefined) {
      prev.value = parts.join('');
      prev.valueText = texts.join(' ');
    }
    parts = texts = undefined;
  };
  let pos = offset;
  for (;;) {
    if (pos + FITS_CARD > bytes.length) {
      throw new DarklensError(
        'truncated',
        `${what} starting at byte ${offset} has no END card within the ${bytes.length} bytes given; accepted: a complete header of 80-byte cards ending with END, padded to a multiple of 2880 bytes`,
      );
    }
    if (pos - offset >= MAX_HEADER_CARDS * FITS_CARD) {
      throw new DarklensError('too_large', `${what} starting at byte ${offset} has more than ${MAX_HEADER_CARDS} cards; accepted: up to ${MAX_HEADER_CARDS}`);
    }
    const text = bytesToAscii(bytes, pos, FITS_CARD);
    pos += FITS_CARD;
    if (text.startsWith('END') && text.slice(3, 8).trim() === '') break;
    const card = parseCard(text);
    const prev = cards[cards.length - 1];
    const last = parts !== undefined ? parts[parts.length - 1] : typeof prev?.value === 'string' ? prev.value : undefined;
    if (card.keyword === 'CONTINUE' && prev !== undefined && last !== undefined && last.endsWith('&') && prev.valueText !== undefined) {
      // CONTINUE long-string convention: the string continues in column 11 of the next card.
      const cont: FitsCard = { keyword: 'CONTINUE' };
      parseValueField(text.slice(10), cont);
      if (typeof cont.value === 'string') {
        if (parts === undefined || texts === undefined) {
          parts = [last];
          texts = [prev.valueText];
        }
        parts[parts.length - 1] = last.slice(0, -1);
        parts.push(cont.value);
        texts.push(cont.valueText ?? '');
        continue;
      }
    }
    finishLongString();
    cards.push(card);
  }
  finishLongString();
  const used = pos - offset;
  return new FitsHeader(cards, Math.ceil(used / FITS_BLOCK) * FITS_BLOCK);
}

/** Validates a keyword for writing: 1-8 characters of A-Z, 0-9, '_' and '-'. */
export function checkKeyword(keyword: string): void {
  if (!KEYWORD_RE.test(keyword)) {
    throw new DarklensError(
      'invalid_argument',
      `FITS keyword ${JSON.stringify(keyword)} is invalid; accepted: 1 to 8 characters of A-Z, 0-9, '_' and '-'`,
    );
  }
}

function checkAscii(text: string, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw new DarklensError(
        'invalid_argument',
        `${what} contains the character code ${c} at position ${i}; accepted: printable ASCII (codes 32 to 126)`,
      );
    }
  }
}

/** Formats a number as a FITS integer or float literal that reads back to the same double. */
export function formatNumber(value: number, keyword = 'value'): string {
  if (!Number.isFinite(value)) {
    throw new DarklensError(
      'invalid_argument',
      `FITS keyword ${keyword} has the value ${value}, which a header cannot hold; accepted: finite numbers`,
    );
  }
  // JavaScript's shortest round-trip form; FITS wants an upper-case exponent letter.
  return String(value).toUpperCase();
}

/** Formats the value field of a card (columns 11-80 before any comment). */
function formatValue(keyword: string, value: FitsValue): string {
  if (typeof value === 'string') {
    checkAscii(value, `FITS string value of ${keyword}`);
    const escaped = value.replace(/'/g, "''");
    if (escaped.length > FITS_MAX_STRING) {
      throw new DarklensError(
        'invalid_argument',
        `FITS string value of ${keyword} is ${escaped.length} characters long (quotes doubled); accepted: at most ${FITS_MAX_STRING}`,
      );
    }
    // Fixed format: the opening quote in column 11, at least 8 characters between the quotes.
    return `'${escaped.padEnd(8, ' ')}'`.padEnd(20, ' ');
  }
  // Logical and numeric values are right-justified in columns 11-30 (fixed format).
  const text = typeof value === 'boolean' ? (value ? 'T' : 'F') : formatNumber(value, keyword);
  return text.padStart(20, ' ');
}

/** Formats one `KEYWORD = value / comment` card, exactly 80 characters. */
export function formatCard(keyword: string, value: FitsValue, comment?: string): string {
  checkKeyword(keyword);
  let card = `${keyword.padEnd(8, ' ')}= ${formatValue(keyword, value)}`;
  if (card.length > FITS_CARD) {
    throw new DarklensError(
      'invalid_argument',
      `FITS card for ${keyword} needs ${card.length} characters; accepted: at most ${FITS_CARD}`,
    );
  }
  if (comment !== undefined && comment !== '') {
    checkAscii(comment, `FITS comment of ${keyword}`);
    // A comment that does not fit is shortened; the value never is.
    card = `${card} / ${comment}`.slice(0, FITS_CARD);
  }
  return card.padEnd(FITS_CARD, ' ');
}

/** Formats commentary cards (COMMENT, HISTORY): text in columns 9-80, split over as many cards as needed. */
export function formatCommentary(keyword: 'COMMENT' | 'HISTORY', text: string): string[] {
  checkAscii(text, `FITS ${keyword} text`);
  const width = FITS_CARD - 8;
  const cards: string[] = [];
  for (let i = 0; i === 0 || i < text.length; i += width) {
    cards.push(`${keyword.padEnd(8, ' ')}${text.slice(i, i + width)}`.padEnd(FITS_CARD, ' '));
  }
  return cards;
}

/** Serializes cards plus the END card into a header padded with blanks to a multiple of 2880 bytes. */
export function encodeHeader(cards: readonly string[]): Uint8Array {
  const all = [...cards, 'END'.padEnd(FITS_CARD, ' ')];
  const size = Math.ceil((all.length * FITS_CARD) / FITS_BLOCK) * FITS_BLOCK;
  const out = new Uint8Array(size).fill(0x20);
  let pos = 0;
  for (const card of all) {
    if (card.length !== FITS_CARD) {
      throw new DarklensError('invalid_argument', `FITS card must be exactly ${FITS_CARD} characters, got ${card.length}`);
    }
    for (let i = 0; i < FITS_CARD; i++) out[pos + i] = card.charCodeAt(i) & 0x7f;
    pos += FITS_CARD;
  }
  return out;
}
