/**
 * Image files as cutouts for scoring: a .npy stack, a FITS file or a folder of them, decoded by core
 * exactly as the service decodes uploads. Images of darklens simulate's .npy files carry no pixel
 * scale of their own; they get their manifest's.
 */
import { readFile } from 'node:fs/promises';
import { DarklensError, decodeStack, stackToCutouts, type Cutout } from '@darklens/core';
import { readSimulationManifest } from '../simulate/output.js';
import { dataFiles } from '../train/data.js';

export interface ReadCutoutsOptions {
  /** Keep only the first N images (in file order). */
  maxImages?: number;
}

/** Every image of `path`, in file (and name) order. */
export async function readCutouts(path: string, opts: ReadCutoutsOptions = {}): Promise<Cutout[]> {
  const max = opts.maxImages ?? Infinity;
  const out: Cutout[] = [];
  for (const file of await dataFiles(path)) {
    if (out.length >= max) break;
    let stack;
    try {
      stack = decodeStack(new Uint8Array(await readFile(file)));
    } catch (e) {
      if (e instanceof DarklensError) throw new DarklensError(e.code, `${file}: ${e.message}`, { cause: e });
      throw e;
    }
    const scale = stack.pixelScale ?? readSimulationManifest(file)?.spec.pixelScale;
    for (const c of stackToCutouts(stack)) {
      if (out.length >= max) break;
      if (c.pixelScale === undefined && scale !== undefined) c.pixelScale = scale;
      out.push(c);
    }
  }
  if (out.length === 0) throw new DarklensError('bad_shape', `${path} holds no images`);
  return out;
}
