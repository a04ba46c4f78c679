/**
 * The model registry's index (`models/registry.json`), runtime-agnostic: what the service and the
 * CLI read to find a model's files, check their integrity and know its input spec. Layout:
 *
 *   models/registry.json
 *   models/<model>/<version>/model.onnx, calibration.json, card.md (+ pictures)
 *
 * Every file is listed with its sha256; a file whose digest differs is refused (verifyFile), so a
 * truncated download or a hand-edited model never scores silently.
 */
import type { CalibrationInput } from '../calibration/calibration-file.js';
import { DarklensError } from '../errors.js';
import { validateSets, type RegistrySet } from './model-sets.js';

export const REGISTRY_FORMAT = 1;
export const REGISTRY_FILE = 'registry.json';

export interface RegistryFileEntry {
  sha256: string;
  bytes: number;
}

export interface RegistryVersion {
  createdAt: string;
  /** Files of the version folder by name (model.onnx, calibration.json, card.md, pictures...). */
  files: Record<string, RegistryFileEntry>;
  /** What the model expects of a cutout (as in its calibration.json). */
  input: CalibrationInput;
  /** Training provenance: preset, seed, image counts, epochs, backend, code commit, ... */
  training: Record<string, unknown>;
  /** Evaluation metrics on held-out data (AUCs, TPRs, W1, ...). */
  metrics: Record<string, unknown>;
  /** The ONNX file's opset and outputs. */
  /** The graph's file and names (`inputs` absent in registries from before noise-aware graphs: `input` alone). */
  onnx: { file: string; opset: number; irVersion: number; inputs?: string[]; outputs: string[] };
}

export interface RegistryModel {
  /** The version served unless another is asked for. */
  default: string;
  /** Earlier defaults, most recent last (rollback pops it). */
  previousDefaults: string[];
  versions: Record<string, RegistryVersion>;
}

/** One member of an ensemble: a model's score and its weight in the weighted p-value combination. */
export interface EnsembleMember {
  model: string;
  score: string;
  /** Positive; the members' weights are normalized to sum 1. */
  weight: number;
}

/** A named ensemble verdict: which models' scores it combines, and how it was chosen. */
export interface RegistryEnsemble {
  members: EnsembleMember[];
  /** How the members and weights were chosen (data, objective, result). */
  chosenBy?: string;
  /** Measured on the data it was chosen with (pooled AUC, TPR at 1% FPR, the best member's, ...). */
  metrics?: Record<string, unknown>;
  createdAt?: string;
}

export interface Registry {
  format: typeof REGISTRY_FORMAT;
  models: Record<string, RegistryModel>;
  /** Named ensembles (darklens models ensemble); absent: every model at its default score, equal weights. */
  ensembles?: Record<string, RegistryEnsemble>;
  /** The ensemble a request gets when it names no models, score or ensemble. */
  defaultEnsemble?: string;
  /** Models grouped by the domain they were trained for (model-sets.ts); absent: one implicit set. */
  sets?: Record<string, RegistrySet>;
  /** The set a cutout gets when nothing routes it elsewhere. */
  defaultSet?: string;
}

const SHA256_RE = /^[0-9a-f]{64}$/;
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function bad(msg: string): never {
  throw new DarklensError('bad_header', `registry: ${msg}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and validates registry.json text. */
export function parseRegistry(text: string): Registry {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    bad(`not JSON (${(e as Error).message})`);
  }
  if (!isObj(j) || j.format !== REGISTRY_FORMAT || !isObj(j.models)) bad(`expected {"format": ${REGISTRY_FORMAT}, "models": {...}}`);
  for (const [name, m] of Object.entries(j.models)) {
    if (!NAME_RE.test(name)) bad(`bad model name ${JSON.stringify(name)}`);
    if (!isObj(m) || typeof m.default !== 'string' || !Array.isArray(m.previousDefaults) || !isObj(m.versions)) bad(`model ${name}: needs default, previousDefaults and versions`);
    if (!(m.default in m.versions)) bad(`model ${name}: default version ${m.default} is not among its versions`);
    for (const [v, ver] of Object.entries(m.versions)) {
      if (!NAME_RE.test(v)) bad(`model ${name}: bad version name ${JSON.stringify(v)}`);
      if (!isObj(ver) || !isObj(ver.files) || !isObj(ver.input) || !isObj(ver.onnx)) bad(`model ${name} version ${v}: needs files, input and onnx`);
      for (const [f, e] of Object.entries(ver.files)) {
        if (!NAME_RE.test(f)) bad(`model ${name} version ${v}: bad file name ${JSON.stringify(f)}`);
        if (!isObj(e) || typeof e.sha256 !== 'string' || !SHA256_RE.test(e.sha256) || typeof e.bytes !== 'number') bad(`model ${name} version ${v}: file ${f} needs sha256 and bytes`);
      }
      if (typeof ver.onnx.file !== 'string' || !(ver.onnx.file in ver.files)) bad(`model ${name} version ${v}: onnx.file must be one of its files`);
      for (const k of ['inputs', 'outputs'] as const) {
        const names = ver.onnx[k];
        if ((k === 'outputs' || names !== undefined) && !(Array.isArray(names) && names.length > 0 && names.every((n) => typeof n === 'string'))) {
          bad(`model ${name} version ${v}: onnx.${k} must be a non-empty list of the graph's ${k.slice(0, -1)} names`);
        }
      }
    }
  }
  if (j.ensembles !== undefined) {
    if (!isObj(j.ensembles)) bad('ensembles must be an object of named ensembles');
    for (const [name, e] of Object.entries(j.ensembles)) {
      if (!NAME_RE.test(name)) bad(`bad ensemble name ${JSON.stringify(name)}`);
      if (!isObj(e) || !Array.isArray(e.members) || e.members.length === 0) bad(`ensemble ${name}: needs a non-empty members list`);
      for (const m of e.members as unknown[]) {
        if (!isObj(m) || typeof m.model !== 'string' || typeof m.score !== 'string' || typeof m.weight !== 'number' || !(m.weight > 0 && Number.isFinite(m.weight))) {
          bad(`ensemble ${name}: each member needs model, score and a positive weight`);
        }
        if (!Object.hasOwn(j.models, m.model)) bad(`ensemble ${name}: model ${JSON.stringify(m.model)} is not registered`);
      }
    }
  }
  if (j.defaultEnsemble !== undefined && !(typeof j.defaultEnsemble === 'string' && isObj(j.ensembles) && Object.hasOwn(j.ensembles, j.defaultEnsemble))) {
    bad(`defaultEnsemble ${JSON.stringify(j.defaultEnsemble)} is not one of the ensembles`);
  }
  validateSets(j);
  return j as unknown as Registry;
}

/** The version entry of `model` (its default when `version` is absent). */
export function resolveVersion(reg: Registry, model: string, version?: string): { version: string; entry: RegistryVersion } {
  // Own properties only: a name like "constructor" must be unknown, not Object.prototype's.
  const m = Object.hasOwn(reg.models, model) ? reg.models[model] : undefined;
  if (m === undefined) throw new DarklensError('not_found', `registry has no model ${JSON.stringify(model)}; available: ${Object.keys(reg.models).join(', ') || 'none'}`);
  const v = version ?? m.default;
  const entry = Object.hasOwn(m.versions, v) ? m.versions[v] : undefined;
  if (entry === undefined) throw new DarklensError('not_found', `model ${model} has no version ${JSON.stringify(v)}; available: ${Object.keys(m.versions).join(', ')}`);
  return { version: v, entry };
}

/** Lowercase hex sha256 (WebCrypto: Node 20, browsers and Workers alike). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // core compiles without DOM or Node types: declare the one WebCrypto call it makes.
  const subtle = (globalThis as unknown as { crypto?: { subtle?: { digest(alg: string, data: Uint8Array): Promise<ArrayBuffer> } } }).crypto?.subtle;
  if (subtle === undefined) throw new DarklensError('invalid_argument', 'sha256: this runtime has no WebCrypto (crypto.subtle)');
  const digest = await subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Throws integrity_mismatch unless `bytes` are exactly the registered file. */
export async function verifyFile(bytes: Uint8Array, expected: RegistryFileEntry, what: string): Promise<void> {
  if (bytes.length !== expected.bytes) {
    throw new DarklensError('integrity_mismatch', `${what}: ${bytes.length} bytes, the registry says ${expected.bytes}; refusing a file that is not the registered one`);
  }
  const got = await sha256Hex(bytes);
  if (got !== expected.sha256) {
    throw new DarklensError('integrity_mismatch', `${what}: sha256 ${got} differs from the registry's ${expected.sha256}; refusing a file that is not the registered one`);
  }
}
