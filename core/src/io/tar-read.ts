/**
 * A bounded reader for tar archives of cutouts (batch uploads): regular files only, names from
 * ustar prefix+name, GNU long names and pax headers, data returned as views into the archive.
 * Runtime-agnostic; never allocates more than the entry list.
 *
 * Layout (POSIX ustar, 512-byte blocks): a header block per entry, its data padded to whole
 * blocks, and two zero blocks at the end.
 */
import { strFromU8 } from 'fflate';
import { DarklensError } from '../errors.js';

const BLOCK = 512;
/** A GNU long name or pax header larger than this is not a name but an attack or corruption. */
const MAX_EXTENSION_BYTES = 1 << 20;

export interface TarEntry {
  /** Path as stored in the archive (after GNU long-name and pax overrides). */
  name: string;
  /** File contents: a subarray view of the archive bytes, not a copy. */
  data: Uint8Array;
}

export interface TarLimits {
  /** Most regular files accepted (skipped AppleDouble and __MACOSX files not counted). */
  maxEntries: number;
}

function ascii(bytes: Uint8Array, from: number, length: number): string {
  let s = '';
  for (let i = from; i < from + length; i++) s += String.fromCharCode(bytes[i] ?? 0);
  return s;
}

/** Bytes of a NUL-terminated field, decoded as UTF-8 (Latin-1 when that fails). */
function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  const field = end < 0 ? bytes : bytes.subarray(0, end);
  try {
    return strFromU8(field);
  } catch {
    // Without TextDecoder fflate throws on invalid UTF-8; old archives store Latin-1 names.
    return strFromU8(field, true);
  }
}

/**
 * Octal number field: optional leading spaces, octal digits, then NUL/space terminator or field
 * end. Returns undefined for anything else (an empty field reads 0).
 */
function octal(bytes: Uint8Array, from: number, length: number): number | undefined {
  let i = from;
  const end = from + length;
  while (i < end && bytes[i] === 0x20) i++;
  let v = 0;
  for (; i < end; i++) {
    const c = bytes[i] as number;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) return undefined;
    v = v * 8 + (c - 0x30);
  }
  for (; i < end; i++) if (bytes[i] !== 0 && bytes[i] !== 0x20) return undefined;
  return v;
}

/** Checksum stored in a header matches the unsigned (or, as some old tars wrote it, signed) byte sum. */
function checksumOk(header: Uint8Array): boolean {
  const stored = octal(header, 148, 8);
  if (stored === undefined) return false;
  // The checksum field itself counts as eight spaces.
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    const b = header[i] as number;
    unsigned += b;
    signed += b >= 0x80 ? b - 0x100 : b;
  }
  return stored === unsigned || stored === signed;
}

function isZeroBlock(header: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (header[i] !== 0) return false;
  return true;
}

/**
 * True when `bytes` starts like a tar archive: the "ustar" magic at offset 257, or a first
 * 512-byte block whose header checksum is valid (pre-POSIX archives have no magic).
 */
export function looksLikeTar(bytes: Uint8Array): boolean {
  if (bytes.length >= 262 && ascii(bytes, 257, 5) === 'ustar') return true;
  if (bytes.length < BLOCK) return false;
  const header = bytes.subarray(0, BLOCK);
  return !isZeroBlock(header) && checksumOk(header);
}

/** Parses pax extended header records ("<length> <key>=<value>\n") into a map. */
function paxRecords(data: Uint8Array, where: string): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the record area with NULs
    let length = 0;
    let i = pos;
    while (i < data.length && (data[i] as number) >= 0x30 && (data[i] as number) <= 0x39) {
      length = length * 10 + ((data[i] as number) - 0x30);
      i++;
    }
    if (i === pos || data[i] !== 0x20 || length <= i - pos + 1 || pos + length > data.length || data[pos + length - 1] !== 0x0a) {
      throw new DarklensError('bad_header', `${where}: malformed pax extended header record at byte ${pos} of the header data`);
    }
    const record = text(data.subarray(i + 1, pos + length - 1));
    const eq = record.indexOf('=');
    if (eq < 0) {
      throw new DarklensError('bad_header', `${where}: pax extended header record without '=' at byte ${pos}`);
    }
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return records;
}

/** True for macOS metadata that Finder adds to archives: AppleDouble "._*" files and __MACOSX/. */
function isMacMetadata(name: string): boolean {
  const parts = name.split('/');
  if (parts.includes('__MACOSX')) return true;
  const base = parts.filter((p) => p !== '').pop() ?? '';
  return base.startsWith('._');
}

/**
 * Reads the regular files of a tar archive (typeflag '0' or NUL; directories, links and other
 * types are skipped, as are macOS "._*" and "__MACOSX/" entries). Names come from, in order of
 * precedence, a pax 'x' header's path, a GNU 'L' long name, or the ustar prefix + '/' + name.
 * Sizes are octal or GNU base-256. Reading stops at a zero block or at the end of the bytes.
 *
 * Errors: 'bad_header' for a failed header checksum or a malformed field (the message names the
 * entry); 'truncated' when the bytes end inside a header or a data block; 'too_large' for more
 * than limits.maxEntries regular files or a size beyond 2^53.
 */
export function readTar(bytes: Uint8Array, limits: TarLimits): TarEntry[] {
  const { maxEntries } = limits;
  if (!(Number.isInteger(maxEntries) && maxEntries > 0)) {
    throw new DarklensError('invalid_argument', `readTar: maxEntries is ${String(maxEntries)}; accepted: a positive integer`);
  }
  const entries: TarEntry[] = [];
  let longName: string | undefined;
  let pax = new Map<string, string>();
  let pos = 0;
  for (let index = 1; pos < bytes.length; index++) {
    const where = `tar entry ${index} (header at byte ${pos})`;
    if (pos + BLOCK > bytes.length) {
      throw new DarklensError('truncated', `tar archive ends after ${bytes.length} bytes, inside the header of ${where}`);
    }
    const header = bytes.subarray(pos, pos + BLOCK);
    // The end-of-archive marker is two zero blocks; like GNU tar, a lone zero block ends it too.
    if (isZeroBlock(header)) break;
    if (!checksumOk(header)) {
      throw new DarklensError('bad_header', `${where} fails its header checksum: the archive is corrupt or not a tar file`);
    }
    const type = String.fromCharCode(header[156] as number);
    const extension = type === 'L' || type === 'x' || type === 'g' || type === 'K';
    // A pax 'size' describes the next file, never another extension header.
    const size = entrySize(header, extension ? undefined : pax.get('size'), where);
    const dataStart = pos + BLOCK;
    const dataEnd = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (dataEnd > bytes.length) {
      throw new DarklensError(
        'truncated',
        `tar archive ends after ${bytes.length} bytes, inside the data of ${where} (${size} bytes from byte ${dataStart})`,
      );
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    pos = dataEnd;

    if (type === 'L' || type === 'x') {
      if (size > MAX_EXTENSION_BYTES) {
        throw new DarklensError('too_large', `${where}: extended header of ${size} bytes; accepted: up to ${MAX_EXTENSION_BYTES}`);
      }
      // These describe the next entry only.
      if (type === 'L') longName = text(data);
      else for (const [key, value] of paxRecords(data, where)) pax.set(key, value);
      continue;
    }
    if (type === 'g' || type === 'K') continue; // global pax defaults and GNU long link names are not needed

    const stored = text(header.subarray(0, 100));
    const prefix = ascii(header, 257, 6) === 'ustar\0' ? text(header.subarray(345, 500)) : '';
    const name = pax.get('path') ?? longName ?? (prefix !== '' ? `${prefix}/${stored}` : stored);
    longName = undefined;
    pax = new Map();

    // Pre-POSIX archives mark directories only by a trailing slash on a NUL-type entry.
    const regular = type === '0' || (type === '\0' && !name.endsWith('/'));
    if (!regular || isMacMetadata(name)) continue;
    if (entries.length === maxEntries) {
      throw new DarklensError(
        'too_large',
        `the tar archive holds more than ${maxEntries} files; accepted: at most ${maxEntries} files per batch`,
      );
    }
    entries.push({ name, data });
  }
  return entries;
}

/** Data size of an entry: the pax 'size' record when there is one, else the header's size field. */
function entrySize(header: Uint8Array, paxSize: string | undefined, where: string): number {
  if (paxSize !== undefined) {
    if (!/^[0-9]+$/.test(paxSize)) throw new DarklensError('bad_header', `${where}: pax size "${paxSize}" is not a number`);
    const v = Number(paxSize);
    if (!Number.isSafeInteger(v)) throw new DarklensError('too_large', `${where}: size ${paxSize} bytes is beyond 2^53`);
    return v;
  }
  const first = header[124] as number;
  if (first & 0x80) {
    // Base-256 (GNU, star): bit 7 flags it, bit 6 is the sign, the rest is big-endian. Doubles
    // stay exact up to 2^53, and any larger value still compares above it.
    if (first & 0x40) throw new DarklensError('bad_header', `${where}: negative base-256 size field`);
    let v = first & 0x3f;
    for (let i = 125; i < 136; i++) v = v * 256 + (header[i] as number);
    if (!Number.isSafeInteger(v)) throw new DarklensError('too_large', `${where}: size beyond 2^53 bytes in its base-256 size field`);
    return v;
  }
  const v = octal(header, 124, 12);
  if (v === undefined) {
    throw new DarklensError('bad_header', `${where}: size field "${ascii(header, 124, 12).replace(/\0/g, '\\0')}" is not octal`);
  }
  return v;
}
