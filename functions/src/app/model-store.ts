/**
 * The registry's models, loaded and swapped atomically. A request takes the current ModelSet once
 * (`store.use`) and scores every model against that same set, so a reload in the middle of a request
 * can never mix versions; the replaced set's sessions are released only when its last request ends.
 */
import {
  DarklensError,
  ModelCalibration,
  ONNX_INPUT,
  parseRegistry,
  readContract,
  registrySets,
  resolveVersion,
  verifyFile,
  REGISTRY_FILE,
  type CalibrationInput,
  type Calibrator,
  type GraphContract,
  type Registry,
  type RegistrySet,
  type RegistryVersion,
} from '@darklens/core';
import type { InferenceEngine, ModelSession } from './engine.js';
import { LazySession } from './lazy-session.js';
import { serial, type Serial } from './serial.js';
import type { ModelSource } from './model-source.js';

export class LoadedModel {
  private readonly fprThresholds = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly version: string,
    readonly entry: RegistryVersion,
    /** Every calibrated score's calibration (all of them computed by the graph). */
    readonly calibration: ModelCalibration,
    readonly session: ModelSession,
    /** What its graph offers (scores, noise inputs, residual). */
    readonly contract: GraphContract,
  ) {}

  get input(): CalibrationInput {
    return this.entry.input;
  }

  /** The scores a request may choose: the calibrated ones. */
  get scores(): string[] {
    return this.calibration.names;
  }

  /** The calibration of score `name` (the default score when omitted); 404 naming the served ones. */
  calibrator(score?: string): Calibrator {
    return this.calibration.score(score);
  }

  /** Calibrator.thresholdAtFpr of a score, cached per score and fpr. */
  thresholdForFpr(score: string, fpr: number): number {
    const key = `${score}\n${fpr}`;
    let t = this.fprThresholds.get(key);
    if (t === undefined) {
      t = this.calibrator(score).thresholdAtFpr(fpr);
      if (this.fprThresholds.size < 1000) this.fprThresholds.set(key, t);
    }
    return t;
  }
}

/** A registered file of a model version, refused unless it matches its sha256. */
async function readVerified(source: ModelSource, name: string, version: string, entry: RegistryVersion, file: string): Promise<Uint8Array> {
  const expected = Object.hasOwn(entry.files, file) ? entry.files[file] : undefined;
  if (expected === undefined) throw new DarklensError('integrity_mismatch', `model ${name} ${version}: ${file} is not listed in the registry`);
  const path = `${name}/${version}/${file}`;
  const bytes = await source.read(path);
  await verifyFile(bytes, expected, `${source.location}/${path}`);
  return bytes;
}

/** `opening`: open sessions lazily, one at a time through this queue; undefined: open at load. */
async function loadVersion(source: ModelSource, engine: InferenceEngine, registry: Registry, name: string, version: string | undefined, opening: Serial | undefined): Promise<LoadedModel> {
  const { version: v, entry } = resolveVersion(registry, name, version);
  const read = (file: string): Promise<Uint8Array> => readVerified(source, name, v, entry, file);
  const [onnx, calibration] = await Promise.all([opening === undefined ? read(entry.onnx.file) : undefined, read('calibration.json')]);
  const calibrated = ModelCalibration.fromJSON(new TextDecoder().decode(calibration));
  const ci = calibrated.input;
  if (ci.width !== entry.input.width || ci.height !== entry.input.height) {
    throw new DarklensError('integrity_mismatch', `model ${name} ${v}: calibration is for ${ci.width}x${ci.height} inputs, the registry says ${entry.input.width}x${entry.input.height}`);
  }
  // Registries written before graphs took noise inputs list no inputs: those graphs take `input` alone.
  const session =
    opening !== undefined
      ? new LazySession(`model ${name} ${v}`, entry.onnx.inputs ?? [ONNX_INPUT], entry.onnx.outputs, () => opening(async () => engine.createSession(await read(entry.onnx.file))))
      : await engine.createSession(onnx ?? (await read(entry.onnx.file)));
  let contract: GraphContract;
  try {
    contract = readContract(`model ${name} ${v}`, session.inputNames, session.outputNames);
    const missing = calibrated.names.filter((s) => !contract.scores.includes(s));
    if (missing.length > 0) {
      throw new DarklensError('integrity_mismatch', `model ${name} ${v}: calibration.json calibrates ${missing.join(', ')}, which the ONNX graph does not compute (it computes ${contract.scores.join(', ')})`);
    }
  } catch (e) {
    await session.release();
    throw e;
  }
  return new LoadedModel(name, v, entry, calibrated, session, contract);
}

/** One consistent snapshot of the registry and its default models. */
export class ModelSet {
  private readonly others = new Map<string, Promise<LoadedModel>>();
  private users = 0;
  private retired = false;
  /** The registry's model sets (one implicit set when it has none), with the roles of served models only. */
  readonly sets: Record<string, RegistrySet>;
  /** The set a cutout gets when nothing routes it elsewhere. */
  readonly defaultSet: string;

  constructor(
    readonly generation: number,
    readonly registry: Registry,
    /** Default version of every served model, by name, in registry order. */
    readonly models: ReadonlyMap<string, LoadedModel>,
    readonly loadedAt: string,
    private readonly source: ModelSource,
    private readonly engine: InferenceEngine,
    private readonly opening?: Serial,
  ) {
    const { sets, defaultSet } = registrySets(registry);
    // A store serving some models only (a Worker per survey): each set keeps the roles whose model is
    // served, a set with none left goes, and the default passes to the first set left.
    this.sets = Object.fromEntries(
      Object.entries(sets).flatMap(([name, set]) => {
        const served = Object.fromEntries(Object.entries(set.models).filter(([, m]) => models.has(m)));
        return Object.keys(served).length > 0 ? [[name, { ...set, models: served }]] : [];
      }),
    );
    this.defaultSet = Object.hasOwn(this.sets, defaultSet) ? defaultSet : (Object.keys(this.sets)[0] ?? defaultSet);
  }

  /** The set of that name (routing.ts resolves survey= names and aliases). */
  set(name: string): RegistrySet {
    const s = Object.hasOwn(this.sets, name) ? this.sets[name] : undefined;
    if (s === undefined) throw new DarklensError('not_found', `model set "${name}" is not in the registry; sets: ${Object.keys(this.sets).join(', ')}`);
    return s;
  }

  /** The served model playing `role` in set `setName`, or 404 naming the set's roles. */
  roleModel(setName: string, role: string): LoadedModel {
    const set = this.set(setName);
    const name = Object.hasOwn(set.models, role) ? set.models[role] : undefined;
    if (name === undefined) throw new DarklensError('not_found', `model "${role}" is not served in set ${setName}; served: ${Object.keys(set.models).join(', ') || 'none'}`);
    return this.model(name);
  }

  get names(): string[] {
    return [...this.models.keys()];
  }

  /** A served model at its default version, or 404. */
  model(name: string): LoadedModel {
    const m = this.models.get(name);
    if (m === undefined) throw new DarklensError('not_found', `model "${name}" is not served; served: ${this.names.join(', ') || 'none'}`);
    return m;
  }

  /** A model at any registered version; versions other than the default are loaded on first use. */
  async version(name: string, version?: string): Promise<LoadedModel> {
    const def = this.model(name);
    if (version === undefined || version === def.version) return def;
    resolveVersion(this.registry, name, version); // 404 before any loading
    let p = this.others.get(`${name}/${version}`);
    if (p === undefined) {
      p = loadVersion(this.source, this.engine, this.registry, name, version, this.opening);
      this.others.set(`${name}/${version}`, p);
      p.catch(() => this.others.delete(`${name}/${version}`));
    }
    return p;
  }

  /** Another registered file of a loaded model (card, pictures), sha256-checked. */
  readFile(m: LoadedModel, file: string): Promise<Uint8Array> {
    return readVerified(this.source, m.name, m.version, m.entry, file);
  }

  /** Versions of `name` loaded now (the default and any loaded on demand). */
  loadedVersions(name: string): string[] {
    const out = [this.model(name).version];
    for (const key of this.others.keys()) if (key.startsWith(`${name}/`)) out.push(key.slice(name.length + 1));
    return out;
  }

  acquire(): void {
    this.users++;
  }

  release(): void {
    this.users--;
    if (this.retired && this.users === 0) void this.dispose();
  }

  /** No new requests get this set; its sessions go when its last request ends. */
  retire(): void {
    this.retired = true;
    if (this.users === 0) void this.dispose();
  }

  private async dispose(): Promise<void> {
    const sessions = [...this.models.values()].map((m) => m.session);
    for (const p of this.others.values()) {
      try {
        sessions.push((await p).session);
      } catch {
        // a version that failed to load has nothing to release
      }
    }
    await Promise.all(sessions.map((s) => s.release().catch(() => undefined)));
  }
}

export interface ModelStoreOptions {
  /** Serve only these models (default: every model of the registry). */
  models?: string[];
  /**
   * Open each model's ONNX session on its first run instead of at load (Workers: memory and start-up
   * time go only to the models used). A load then reads and checks the registry and calibrations only;
   * a model file that is missing or fails its sha256 is found at first use (503 for that model).
   * Sessions open one at a time, so a model file's bytes are held only while its session is created.
   */
  lazySessions?: boolean;
}

export class ModelStore {
  private set: ModelSet | undefined;
  private pending: Promise<ModelSet> = Promise.resolve(undefined as unknown as ModelSet);
  private generation = 0;
  /** Why the last load failed, while the previous set (if any) keeps serving. */
  lastError: string | undefined;
  /** With lazy sessions: the queue they open through, shared by every set. */
  private readonly opening: Serial | undefined;

  constructor(
    readonly source: ModelSource,
    readonly engine: InferenceEngine,
    private readonly options: ModelStoreOptions = {},
  ) {
    this.opening = options.lazySessions === true ? serial() : undefined;
  }

  get ready(): boolean {
    return this.set !== undefined;
  }

  /** The set new requests get; 503 before the first load. */
  current(): ModelSet {
    if (this.set === undefined) {
      throw new DarklensError('unavailable', `no models are loaded${this.lastError ? `: ${this.lastError}` : ' yet'}`);
    }
    return this.set;
  }

  /** Runs `fn` on the current set, holding it so a reload cannot release it underneath. */
  async use<T>(fn: (set: ModelSet) => Promise<T> | T): Promise<T> {
    const set = this.current();
    set.acquire();
    try {
      return await fn(set);
    } finally {
      set.release();
    }
  }

  /**
   * Loads the registry into a new set and swaps it in only when every model loaded and verified;
   * on failure the old set keeps serving and the error is thrown (and kept in lastError).
   * Concurrent reloads run one after another.
   */
  reload(): Promise<ModelSet> {
    const next = this.pending.catch(() => undefined).then(() => this.loadAndSwap());
    this.pending = next;
    return next;
  }

  private async loadAndSwap(): Promise<ModelSet> {
    try {
      const text = new TextDecoder().decode(await this.source.read(REGISTRY_FILE));
      const registry = parseRegistry(text);
      let names = Object.keys(registry.models);
      if (this.options.models !== undefined) {
        for (const n of this.options.models) resolveVersion(registry, n);
        names = this.options.models;
      }
      if (names.length === 0) throw new DarklensError('not_found', `registry ${this.source.location}/${REGISTRY_FILE} lists no models`);
      const settled = await Promise.allSettled(names.map((n) => loadVersion(this.source, this.engine, registry, n, undefined, this.opening)));
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed !== undefined) {
        await Promise.all(settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.session.release()] : [])));
        throw failed.reason;
      }
      const models = new Map(settled.map((s) => {
        const m = (s as PromiseFulfilledResult<LoadedModel>).value;
        return [m.name, m] as const;
      }));
      const set = new ModelSet(++this.generation, registry, models, new Date().toISOString(), this.source, this.engine, this.opening);
      const old = this.set;
      this.set = set;
      this.lastError = undefined;
      old?.retire();
      return set;
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
      throw e;
    }
  }

  /** Stops serving: the current set is retired (released when its last request ends). */
  close(): void {
    this.set?.retire();
    this.set = undefined;
    this.lastError = 'the service is shutting down';
  }
}
