import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { DarklensError, npyHeader, writeFits } from '@darklens/core';
import type { SimulationJob } from './job.js';
import type { LensParams } from './params.js';
import { runJob, type RenderedBlock } from './pool.js';
import type { LensClass, SimulationSpec } from './presets.js';

export interface SimulateToFilesOptions {
  spec: SimulationSpec;
  klass: LensClass;
  count: number;
  seed: number;
  outDir: string;
  /** Base name of the outputs (default: the class name). */
  name?: string;
  /** Also write one unscaled FITS file per image. */
  fits?: boolean;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Paths and facts of a finished run, also written as `<name>.json` beside the data. */
export interface SimulationManifest {
  tool: 'darklens simulate';
  version: 1;
  preset: string;
  class: LensClass;
  seed: number;
  count: number;
  shape: [number, number, number, number];
  spec: SimulationSpec;
  files: { npy: string; params: string; fitsDir?: string };
  sha256: { npy: string; params: string };
  scaling: 'per-image min-max to [0, 1]';
}

/**
 * The manifest `darklens simulate` wrote beside `<name>.npy` (`<name>.json`), or null when the path
 * is not a simulated data file (a folder, a user's file, no manifest, or not darklens's).
 */
export function readSimulationManifest(npyPath: string): SimulationManifest | null {
  try {
    if (!statSync(npyPath).isFile()) return null;
    const manifestPath = join(dirname(npyPath), `${basename(npyPath, extname(npyPath))}.json`);
    if (!existsSync(manifestPath)) return null;
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Partial<SimulationManifest>;
    return m.tool === 'darklens simulate' && typeof m.preset === 'string' && typeof m.spec === 'object' ? (m as SimulationManifest) : null;
  } catch {
    return null;
  }
}

/** Header of a simulated image's FITS file: the physical units and the facts a reader wants to see. */
export function simulationFitsCards(rec: LensParams, exposure?: number): Record<string, string | number | boolean> {
  const cards: Record<string, string | number | boolean> = {
    BUNIT: 'counts/s',
    OBJECT: `${rec.class} ${rec.index}`,
    DLPRESET: rec.preset,
    DLCLASS: rec.class,
    DLSEED: rec.seed,
    DLINDEX: rec.index,
    THETAE: rec.thetaE,
    SNR: rec.snr,
    FSUB: rec.fSub,
    NSUB: rec.subhalos.length,
    PSFSIG: rec.psfSigma,
  };
  if (rec.massConserving === true) cards.MASSCONS = true;
  if (exposure !== undefined && Number.isFinite(exposure)) cards.EXPTIME = exposure;
  return cards;
}

const FITS_HISTORY = ['Simulated strong lens made by darklens simulate (see the .params.jsonl line of this index)'];

async function checkReplaceable(dir: string, name: string): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const ours = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_\\d+\\.fits$`);
  const foreign = entries.filter((e) => !(e.isFile() && ours.test(e.name)));
  if (foreign.length > 0) {
    throw new DarklensError(
      'invalid_argument',
      `${dir} holds files darklens did not write (${foreign.slice(0, 3).map((e) => e.name).join(', ')}${foreign.length > 3 ? ', ...' : ''}); a --fits run replaces this folder: move them or choose another --out or --name`,
    );
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function float32LeBytes(a: Float32Array): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN_HOST) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let k = 0; k < bytes.length; k += 4) {
    out[k] = bytes[k + 3]!;
    out[k + 1] = bytes[k + 2]!;
    out[k + 2] = bytes[k + 1]!;
    out[k + 3] = bytes[k]!;
  }
  return out;
}

/**
 * Simulates `count` images of one class and streams them to `<name>.npy` ([N,1,H,W] float32 in [0,1]),
 * `<name>.params.jsonl` (one line of drawn parameters per image, in order) and optionally
 * `<name>_fits/<name>_<index>.fits` (physical units, pixel scale in the header). Everything is written
 * under scratch names (`.partial`) and renamed into place when complete: an interrupted or failed run
 * leaves no partial output behind (and an older run's files stay intact until the new ones replace them).
 */
export async function simulateToFiles(o: SimulateToFilesOptions): Promise<SimulationManifest> {
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > 100_000_000) {
    throw new DarklensError('invalid_argument', `image count must be an integer in [1, 100000000], got ${o.count}`);
  }
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) {
    throw new DarklensError('invalid_argument', `seed must be an integer in [0, 4294967295], got ${o.seed}`);
  }
  const name = o.name ?? o.klass;
  const side = o.spec.grid;
  await mkdir(o.outDir, { recursive: true });
  const npyPath = join(o.outDir, `${name}.npy`);
  const paramsPath = join(o.outDir, `${name}.params.jsonl`);
  const fitsDir = o.fits ? join(o.outDir, `${name}_fits`) : undefined;
  const tmpNpy = `${npyPath}.partial`;
  const tmpParams = `${paramsPath}.partial`;
  // FITS files go to a scratch folder renamed into place at the end, like the other outputs. The
  // folder they replace may only hold an earlier run's FITS files: never delete anything else.
  if (fitsDir) await checkReplaceable(fitsDir, name);
  const tmpFits = fitsDir ? `${fitsDir}.partial` : undefined;
  if (tmpFits) {
    await rm(tmpFits, { recursive: true, force: true });
    await mkdir(tmpFits, { recursive: true });
  }

  const npyHash = createHash('sha256');
  const paramsHash = createHash('sha256');
  const npy = await open(tmpNpy, 'w');
  const params = await open(tmpParams, 'w');
  const digits = Math.max(6, String(o.count - 1).length);
  let done = 0;
  try {
    const header = npyHeader([o.count, 1, side, side]);
    npyHash.update(header);
    await npy.write(header);
    const job: SimulationJob = { spec: o.spec, klass: o.klass, seed: o.seed, count: o.count, keepRaw: o.fits === true };
    await runJob(job, {
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      onBlock: async (block: RenderedBlock) => {
        const bytes = float32LeBytes(block.scaled);
        npyHash.update(bytes);
        await npy.write(bytes);
        const lines = block.records.map((r) => JSON.stringify(r)).join('\n') + '\n';
        paramsHash.update(lines);
        await params.write(lines);
        if (fitsDir && block.raw) {
          const px = side * side;
          for (let k = 0; k < block.records.length; k++) {
            const rec = block.records[k]!;
            const fits = writeFits(
              { width: side, height: side, data: block.raw.subarray(k * px, (k + 1) * px) },
              { pixelScale: o.spec.pixelScale, cards: simulationFitsCards(rec, rec.exposure), history: FITS_HISTORY },
            );
            await writeFile(join(tmpFits!, `${name}_${String(rec.index).padStart(digits, '0')}.fits`), fits);
          }
        }
        done += block.records.length;
        o.onProgress?.(done, o.count);
      },
    });
    await npy.close();
    await params.close();
    await rename(tmpNpy, npyPath);
    await rename(tmpParams, paramsPath);
    if (fitsDir && tmpFits) {
      await rm(fitsDir, { recursive: true, force: true });
      await rename(tmpFits, fitsDir);
    }
  } catch (e) {
    await npy.close().catch(() => undefined);
    await params.close().catch(() => undefined);
    await rm(tmpNpy, { force: true });
    await rm(tmpParams, { force: true });
    if (tmpFits) await rm(tmpFits, { recursive: true, force: true });
    throw e;
  }

  const manifest: SimulationManifest = {
    tool: 'darklens simulate',
    version: 1,
    preset: o.spec.preset,
    class: o.klass,
    seed: o.seed,
    count: o.count,
    shape: [o.count, 1, side, side],
    spec: o.spec,
    files: { npy: `${name}.npy`, params: `${name}.params.jsonl`, ...(fitsDir ? { fitsDir: `${name}_fits` } : {}) },
    sha256: { npy: npyHash.digest('hex'), params: paramsHash.digest('hex') },
    scaling: 'per-image min-max to [0, 1]',
  };
  await writeFile(join(o.outDir, `${name}.json`), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
