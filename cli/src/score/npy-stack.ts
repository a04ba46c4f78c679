/**
 * NPY stacks cut into slices without reading the whole file: a survey's stack may be larger than
 * memory (and than fs.readFile's 2 GiB). The preamble gives the layout; each slice is a complete
 * .npy file of the same dtype (as core's sliceNpyStack makes them), decoded by core like any upload.
 *
 * Only the shape, dtype and order are read here; core's npyLayout checks them on a one-image probe
 * of the same layout. Anything this does not recognise (a header it cannot parse, a size that does
 * not match) is left to the decoder, which reads the whole file and says what is wrong.
 */
import type { FileHandle } from 'node:fs/promises';
import { npyHeader, npyLayout, type DecodeLimits } from '@darklens/core';

export interface StackLayout {
  /** Images in the stack. */
  count: number;
  height: number;
  width: number;
  /** The dtype as the header spells it, e.g. '<f4'. */
  descr: string;
  itemSize: number;
  /** Where the pixels start. */
  dataOffset: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** Headers longer than this are not read from the preamble (numpy writes a few hundred bytes). */
export const MAX_PREAMBLE = 1 << 20;
/** The probe holds one entry of the first axis; beyond this the stack is not cut here. */
const MAX_PROBE_BYTES = 64 << 20;

/** Bytes of the preamble (magic, version, length, header) given the file's first 12 bytes; undefined when not NPY. */
export function preambleLength(head: Uint8Array): number | undefined {
  if (head.length < 12 || MAGIC.some((b, i) => head[i] !== b)) return undefined;
  const major = head[6]!;
  if (major === 1) return 10 + (head[8]! | (head[9]! << 8));
  if (major === 2 || major === 3) return 12 + ((head[8]! | (head[9]! << 8) | (head[10]! << 16) | (head[11]! << 24)) >>> 0);
  return undefined;
}

/** The layout of a multi-image stack from its preamble and the file's size; undefined: let the decoder read the whole file. */
export function stackLayout(preamble: Uint8Array, fileSize: number, limits: DecodeLimits): StackLayout | undefined {
  const dataOffset = preambleLength(preamble);
  if (dataOffset === undefined || preamble.length < dataOffset || preamble[7] !== 0) return undefined;
  const header = new TextDecoder('latin1').decode(preamble.subarray(preamble[6] === 1 ? 10 : 12, dataOffset));
  const descr = /'descr'\s*:\s*'([<>|=]?[a-zA-Z]\d+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran !== 'False' || shapeText === undefined) return undefined;
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.length < 3 || shape.some((n) => !Number.isSafeInteger(n) || n <= 0)) return undefined;
  const itemSize = Number(/\d+$/.exec(descr)![0]);
  const rest = shape.slice(1);
  const probeBytes = rest.reduce((a, b) => a * b, 1) * itemSize;
  if (!(probeBytes <= MAX_PROBE_BYTES)) return undefined;
  let probe;
  try {
    const head = npyHeader([1, ...rest], descr);
    const bytes = new Uint8Array(head.length + probeBytes);
    bytes.set(head);
    // The pixel limit is per decoded slice (a stack may be any length); the side limit holds.
    probe = npyLayout(bytes, { ...limits, maxPixels: Number.MAX_SAFE_INTEGER });
  } catch {
    return undefined;
  }
  const count = shape[0]! * probe.count;
  const imageBytes = probe.height * probe.width * probe.itemSize;
  if (count <= 1 || fileSize !== dataOffset + count * imageBytes) return undefined;
  return { count, height: probe.height, width: probe.width, descr: probe.descr, itemSize: probe.itemSize, dataOffset };
}

/** A complete .npy file of images [first, first + count) of a stack, from `data` (those images' bytes). */
export function sliceFile(l: StackLayout, count: number, data: Uint8Array): Uint8Array {
  const head = npyHeader([count, l.height, l.width], l.descr);
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return out;
}

/** The layout of the stack in an open file, or undefined (see stackLayout). */
export async function readStackLayout(fh: FileHandle, size: number, limits: DecodeLimits): Promise<StackLayout | undefined> {
  const head = new Uint8Array(12);
  await fh.read(head, 0, 12, 0);
  const n = preambleLength(head);
  if (n === undefined || n > MAX_PREAMBLE || n > size) return undefined;
  const preamble = new Uint8Array(n);
  await fh.read(preamble, 0, n, 0);
  return stackLayout(preamble, size, limits);
}

/** Images [first, first + count) of the stack in an open file, as a .npy file. */
export async function readSlice(fh: FileHandle, l: StackLayout, first: number, count: number): Promise<Uint8Array> {
  const imageBytes = l.height * l.width * l.itemSize;
  const head = npyHeader([count, l.height, l.width], l.descr);
  const out = new Uint8Array(head.length + count * imageBytes);
  out.set(head);
  let at = 0;
  while (at < count * imageBytes) {
    const { bytesRead } = await fh.read(out, head.length + at, count * imageBytes - at, l.dataOffset + first * imageBytes + at);
    if (bytesRead === 0) break; // the file shrank: the short slice fails to decode as truncated
    at += bytesRead;
  }
  return at === count * imageBytes ? out : out.subarray(0, head.length + at);
}
