/**
 * Model sets: the registry's models grouped by the data they were trained for (a survey's pixel scale,
 * PSF and noise), so a cutout is scored by models of its own domain. A set maps roles (dcae, vae,
 * aae, rbm: what requests name in `models=`) to registered models, names its ensembles, and states
 * its domain: what the service routes by and what the out-of-domain guard checks.
 *
 * Registries written before sets existed have none: they get one implicit set, `default`, holding
 * every model under its own name, with the domain of their input specs.
 */
import { DarklensError } from '../errors.js';
import type { Registry } from './registry.js';

/** Range [low, high] of an image statistic on the set's own smooth calibration lenses. */
export type StatRange = [number, number];

/** What the guard compares a cutout with, measured on the set's calibration lenses (darklens models set). */
export interface DomainGuard {
  /** The images the ranges were measured on. */
  data: string;
  images: number;
  /** Per image statistic (domain/image-stats.ts), the range smooth lenses of this domain fall in. */
  stats: Record<string, StatRange>;
  createdAt?: string;
}

export interface SetDomain {
  /** Survey or instrument this set is for, as people say it (LSST, Euclid VIS, HST ACS...). */
  survey?: string;
  /** Simulation preset the set was trained on, when it was. */
  preset?: string;
  /** Pixel scale of the training data, arcsec/pixel. */
  pixelScale: number;
  /** PSF FWHM of the training data, arcsec. */
  psfFwhm: number;
  /** Peak signal-to-noise of the training data: one value or a [low, high] range. */
  snr?: number | [number, number];
  /** One line a user reads (what it is for, what it is not). */
  description?: string;
  guard?: DomainGuard;
}

export interface RegistrySet {
  domain: SetDomain;
  /** Role (what requests name) -> registered model name. */
  models: Record<string, string>;
  /** Ensemble names requests use -> registered ensemble; absent: the registry's ensembles whose members are all in the set, by their names. */
  ensembles?: Record<string, string>;
  /** The set's ensemble when a request names no models, score or ensemble. */
  defaultEnsemble?: string;
  /** Other names `survey=` accepts for this set (lower case). */
  aliases?: string[];
}

/** The implicit set of a registry without sets. */
export const IMPLICIT_SET = 'default';

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

function bad(msg: string): never {
  throw new DarklensError('bad_header', `registry: ${msg}`);
}

/** Validates `sets` and `defaultSet` of a parsed registry object (models and ensembles already checked). */
export function validateSets(j: Record<string, unknown>): void {
  const models = j.models as Record<string, unknown>;
  const ensembles = isObj(j.ensembles) ? j.ensembles : {};
  if (j.sets === undefined) {
    if (j.defaultSet !== undefined) bad('defaultSet given without sets');
    return;
  }
  if (!isObj(j.sets) || Object.keys(j.sets).length === 0) bad('sets must be a non-empty object of named model sets');
  const aliases = new Map<string, string>();
  for (const [name, s] of Object.entries(j.sets)) {
    if (!NAME_RE.test(name)) bad(`bad set name ${JSON.stringify(name)}`);
    if (!isObj(s) || !isObj(s.domain) || !isObj(s.models) || Object.keys(s.models).length === 0) bad(`set ${name}: needs a domain and a non-empty models map`);
    const d = s.domain;
    if (!positive(d.pixelScale) || !positive(d.psfFwhm)) bad(`set ${name}: domain needs a positive pixelScale (arcsec/px) and psfFwhm (arcsec)`);
    if (d.guard !== undefined) {
      const g = d.guard;
      if (!isObj(g) || typeof g.data !== 'string' || typeof g.images !== 'number' || !isObj(g.stats)) bad(`set ${name}: domain.guard needs data, images and stats`);
      for (const [k, r] of Object.entries(g.stats)) {
        if (!(Array.isArray(r) && r.length === 2 && r.every((x) => typeof x === 'number' && Number.isFinite(x)) && r[0] <= r[1])) bad(`set ${name}: guard range ${k} must be [low, high]`);
      }
    }
    for (const [role, m] of Object.entries(s.models)) {
      if (!NAME_RE.test(role)) bad(`set ${name}: bad role name ${JSON.stringify(role)}`);
      if (typeof m !== 'string' || !Object.hasOwn(models, m)) bad(`set ${name}: role ${role} names unregistered model ${JSON.stringify(m)}`);
    }
    if (s.ensembles !== undefined) {
      if (!isObj(s.ensembles)) bad(`set ${name}: ensembles must map names to registered ensembles`);
      for (const [k, e] of Object.entries(s.ensembles)) {
        if (!NAME_RE.test(k) || typeof e !== 'string' || !Object.hasOwn(ensembles, e)) bad(`set ${name}: ensemble ${JSON.stringify(k)} names unregistered ensemble ${JSON.stringify(e)}`);
      }
    }
    if (s.defaultEnsemble !== undefined && typeof s.defaultEnsemble !== 'string') bad(`set ${name}: defaultEnsemble must be a name`);
    if (s.aliases !== undefined && !Array.isArray(s.aliases)) bad(`set ${name}: aliases must be a list`);
    const names: unknown[] = [name, ...((s.aliases as unknown[] | undefined) ?? [])];
    for (const a of names) {
      if (typeof a !== 'string' || !NAME_RE.test(a)) bad(`set ${name}: bad alias ${JSON.stringify(a)}`);
      const owner = aliases.get(a);
      if (owner !== undefined && owner !== name) bad(`sets ${owner} and ${name} both answer to ${JSON.stringify(a)}`);
      aliases.set(a, name);
    }
  }
  if (j.defaultSet !== undefined && !(typeof j.defaultSet === 'string' && Object.hasOwn(j.sets, j.defaultSet))) bad(`defaultSet ${JSON.stringify(j.defaultSet)} is not one of the sets`);
}

/** Ensemble names a set offers -> registered ensemble (see RegistrySet.ensembles). */
export function setEnsembles(reg: Registry, set: RegistrySet): Record<string, string> {
  if (set.ensembles !== undefined) return set.ensembles;
  const inSet = new Set(Object.values(set.models));
  const out: Record<string, string> = {};
  for (const [name, e] of Object.entries(reg.ensembles ?? {})) if (e.members.every((m) => inSet.has(m.model))) out[name] = name;
  return out;
}

/** The registry's sets (the implicit one when it has none) and the default set's name. */
export function registrySets(reg: Registry): { sets: Record<string, RegistrySet>; defaultSet: string } {
  if (reg.sets !== undefined) return { sets: reg.sets, defaultSet: reg.defaultSet ?? Object.keys(reg.sets)[0]! };
  const names = Object.keys(reg.models);
  const first = names.length > 0 ? reg.models[names[0]!]!.versions[reg.models[names[0]!]!.default]!.input : undefined;
  const set: RegistrySet = {
    domain: { pixelScale: first?.pixelScale ?? 0.1, psfFwhm: first?.psfFwhm ?? 0, description: 'every model of a registry without model sets' },
    models: Object.fromEntries(names.map((n) => [n, n])),
    ...(reg.defaultEnsemble !== undefined ? { defaultEnsemble: reg.defaultEnsemble } : {}),
  };
  return { sets: { [IMPLICIT_SET]: set }, defaultSet: IMPLICIT_SET };
}

/**
 * The registry cut down to `names` (an upload of some models only): ensembles with a member left
 * out go, sets keep the roles of the models kept and go when none is left, defaults that went are
 * dropped. The result is valid whenever the input was.
 */
export function restrictRegistry(reg: Registry, names: readonly string[]): Registry {
  const unknown = names.filter((n) => !Object.hasOwn(reg.models, n));
  if (unknown.length > 0) throw new DarklensError('not_found', `the registry does not list ${unknown.join(', ')}`);
  const keep = new Set(names);
  const out: Registry = { ...reg, models: Object.fromEntries(names.map((n) => [n, reg.models[n]!])) };
  if (reg.ensembles !== undefined) {
    out.ensembles = Object.fromEntries(Object.entries(reg.ensembles).filter(([, e]) => e.members.every((m) => keep.has(m.model))));
    if (out.defaultEnsemble !== undefined && !Object.hasOwn(out.ensembles, out.defaultEnsemble)) delete out.defaultEnsemble;
  }
  if (reg.sets !== undefined) {
    const kept = Object.keys(out.ensembles ?? {});
    const sets: Record<string, RegistrySet> = {};
    for (const [name, s] of Object.entries(reg.sets)) {
      const models = Object.fromEntries(Object.entries(s.models).filter(([, m]) => keep.has(m)));
      if (Object.keys(models).length === 0) continue;
      const set: RegistrySet = { ...s, models };
      if (s.ensembles !== undefined) set.ensembles = Object.fromEntries(Object.entries(s.ensembles).filter(([, e]) => kept.includes(e)));
      sets[name] = set;
    }
    if (Object.keys(sets).length > 0) {
      out.sets = sets;
      if (out.defaultSet !== undefined && !Object.hasOwn(sets, out.defaultSet)) delete out.defaultSet;
    } else {
      delete out.sets;
      delete out.defaultSet;
    }
  }
  return out;
}
