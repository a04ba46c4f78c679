/**
 * Writing model sets into the registry (core's model-sets.ts has the format): which registered
 * models a domain's roles map to, the domain the set was trained for, and the out-of-domain guard's
 * ranges, measured here on the set's own smooth calibration lenses through the serving path's
 * preprocessing (prepareCutout, then imageStats).
 */
import {
  DarklensError,
  guardRanges,
  imageStats,
  parseRegistry,
  prepareCutout,
  resolveVersion,
  type DomainGuard,
  type ImageStats,
  type RegistrySet,
  type SetDomain,
} from '@darklens/core';
import { loadImages } from '../train/data.js';
import { readRegistry, writeRegistry } from './store.js';

export interface WriteSetOptions {
  root: string;
  name: string;
  /** Role -> registered model. */
  models: Record<string, string>;
  domain: Omit<SetDomain, 'guard'>;
  /** Smooth lenses of the domain (.npy) to measure the guard's ranges on. */
  guardData?: string;
  /** Most images of guardData used (default all). */
  guardImages?: number;
  ensembles?: Record<string, string>;
  defaultEnsemble?: string;
  aliases?: string[];
  /** Make it the set cutouts get when nothing routes them elsewhere (a registry's first set always is). */
  makeDefault?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Image statistics of every image of an .npy on a model grid, as the service measures them. */
export async function measureStats(path: string, grid: { width: number; height: number; pixelScale: number }, max?: number, onProgress?: (done: number, total: number) => void): Promise<ImageStats[]> {
  const set = await loadImages(path, max !== undefined ? { maxImages: max } : {});
  const px = set.size * set.size;
  const out: ImageStats[] = [];
  for (let i = 0; i < set.count; i++) {
    // Simulated cutouts of the domain come on its own grid: no pixel scale, as an .npy states none.
    const cutout = { width: set.size, height: set.size, masked: 0, format: 'npy' as const, meta: {}, data: set.data.subarray(i * px, (i + 1) * px) };
    out.push(imageStats(prepareCutout(cutout, grid), grid.width, grid.height));
    if (onProgress !== undefined && (i % 500 === 499 || i === set.count - 1)) onProgress(i + 1, set.count);
  }
  return out;
}

/** Adds or replaces set `name` (models must be registered; ensembles too). Returns the set written. */
export async function writeSet(o: WriteSetOptions): Promise<RegistrySet> {
  const reg = await readRegistry(o.root);
  const roles = Object.entries(o.models);
  if (roles.length === 0) throw new DarklensError('invalid_argument', 'a model set needs at least one role=model');
  for (const [, m] of roles) resolveVersion(reg, m);
  const inputs = roles.map(([, m]) => resolveVersion(reg, m).entry.input);
  const grid = inputs[0]!;
  if (inputs.some((i) => i.width !== grid.width || i.height !== grid.height || i.pixelScale !== grid.pixelScale)) {
    throw new DarklensError('invalid_argument', `the models of set ${o.name} take different inputs (${inputs.map((i) => `${i.width}x${i.height}@${i.pixelScale}`).join(', ')}); a set's models share one grid`);
  }
  if (Math.abs(o.domain.pixelScale - grid.pixelScale) > 1e-9 * grid.pixelScale) {
    throw new DarklensError('invalid_argument', `set ${o.name}: --pixel-scale ${o.domain.pixelScale} differs from its models' ${grid.pixelScale}"/px`);
  }
  let guard: DomainGuard | undefined = reg.sets?.[o.name]?.domain.guard;
  if (o.guardData !== undefined) {
    const stats = await measureStats(o.guardData, grid, o.guardImages, o.onProgress);
    if (stats.length < 1000) throw new DarklensError('invalid_argument', `${o.guardData}: ${stats.length} images; the guard's ranges need at least 1000 smooth lenses of the domain (its 0.05% tails)`);
    guard = { data: o.guardData, images: stats.length, stats: guardRanges(stats), createdAt: new Date().toISOString() };
  }
  const set: RegistrySet = {
    domain: { ...o.domain, ...(guard !== undefined ? { guard } : {}) },
    models: o.models,
    ...(o.ensembles !== undefined ? { ensembles: o.ensembles } : {}),
    ...(o.defaultEnsemble !== undefined ? { defaultEnsemble: o.defaultEnsemble } : {}),
    ...(o.aliases !== undefined && o.aliases.length > 0 ? { aliases: o.aliases } : {}),
  };
  reg.sets = { ...(reg.sets ?? {}), [o.name]: set };
  if (o.makeDefault === true || reg.defaultSet === undefined) reg.defaultSet = o.name;
  parseRegistry(JSON.stringify(reg)); // refuse a set the service would refuse, before writing it
  await writeRegistry(o.root, reg);
  return set;
}
