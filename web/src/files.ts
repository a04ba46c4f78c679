/**
 * Dropped files -> the cutouts they hold, named as the batch API names them (an NPY stack's images
 * `file.npy[i]`, a tar's entries by path), decoded here with core's readers so the page can draw the
 * raw cutout with its own stretch. A file the browser cannot read stays an item without a cutout:
 * the API, not the page, says why it is rejected.
 */
import { decodeCutout, decodeStack, gunzip, looksLikeTar, readTar, sniffFormat, stackToCutouts, writeNpy, type Cutout } from '@darklens/core';

export interface LocalItem {
  name: string;
  /** A file holding just this cutout, to score it alone. */
  blob: Blob;
  cutout?: Cutout;
}

const MAX_GUNZIP = 256 * 1024 * 1024;
const MAX_TAR_ENTRIES = 10_000;

function tryCutout(bytes: Uint8Array): Cutout | undefined {
  try {
    return decodeCutout(bytes);
  } catch {
    return undefined;
  }
}

function blobOf(bytes: Uint8Array): Blob {
  return new Blob([bytes.slice()]);
}

/** Expands one dropped file the way the server's batch reader does. */
export async function expandFile(file: File): Promise<LocalItem[]> {
  let bytes: Uint8Array = new Uint8Array(await file.arrayBuffer());
  try {
    if (sniffFormat(bytes) === 'gzip') {
      const inner = gunzip(bytes, MAX_GUNZIP);
      if (looksLikeTar(inner)) bytes = inner;
    }
    if (sniffFormat(bytes) === undefined && looksLikeTar(bytes)) {
      return readTar(bytes, { maxEntries: MAX_TAR_ENTRIES }).map((e) => {
        const cutout = tryCutout(e.data);
        return cutout ? { name: e.name, blob: blobOf(e.data), cutout } : { name: e.name, blob: blobOf(e.data) };
      });
    }
    if (sniffFormat(bytes) === 'npy') {
      const stack = decodeStack(bytes);
      if (stack.count > 1) {
        return stackToCutouts(stack).map((cutout, i) => ({
          name: `${file.name}[${i}]`,
          blob: new Blob([writeNpy(cutout.data.slice(), [1, cutout.height, cutout.width]).slice()]),
          cutout,
        }));
      }
    }
  } catch {
    // Unreadable here: sent as it is, the API answers with the reason.
  }
  const cutout = tryCutout(bytes);
  return [cutout ? { name: file.name, blob: file, cutout } : { name: file.name, blob: file }];
}

export async function expandFiles(files: File[]): Promise<LocalItem[]> {
  const out: LocalItem[] = [];
  for (const f of files) out.push(...(await expandFile(f)));
  return out;
}

/**
 * FITS (and the simulator's NPY files, written from the same arrays) store the bottom row of the sky
 * first; PNG and JPEG the top row. Draw row 0 at the bottom for the former, as FITS viewers do.
 */
export function rowZeroAtBottom(format: string): boolean {
  return format === 'fits' || format === 'npy';
}

/** Nearest-neighbour copy at most `side` pixels wide, for table thumbnails of big cutouts. */
export function downsample(c: { width: number; height: number; data: Float32Array }, side: number): { width: number; height: number; data: Float32Array } {
  const f = Math.max(1, Math.ceil(Math.max(c.width, c.height) / side));
  if (f === 1) return c;
  const width = Math.floor(c.width / f);
  const height = Math.floor(c.height / f);
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = c.data[y * f * c.width + x * f]!;
  return { width, height, data };
}
