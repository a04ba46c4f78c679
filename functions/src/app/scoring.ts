/**
 * Scoring cutouts against a ModelSet: each cutout goes to the model set of its domain (routing.ts:
 * survey=, else its header, else the default set), through core's one scoring path (prepareCutout,
 * then runBatch, runScores' step: the same code `darklens calibrate` and `evaluate` score with), calibrated
 * read-outs per model, one ensemble verdict, and the out-of-domain guard (guard.ts): a cutout
 * outside its set's domain is flagged by nothing and its verdict is "out of domain".
 *
 * Each model scores with the score a request names (`score=`) or its calibration's default; masked
 * pixels count in no score (the graph leaves them out; for v1 graphs runBatch does).
 */
import {
  combinePValues,
  DarklensError,
  domainReasons,
  imageStats,
  prepareCutout,
  quantileThresholdName,
  routeCutout,
  RUN_BATCH,
  runBatch,
  BatchFeeds,
  scoreReason,
  setEnsembles,
  type Cutout,
  type DomainReason,
  type FeedPlanes,
  type ImageStats,
  type ModelGrid,
  type PValueCombination,
  type PreparedCutout,
  type Route,
} from '@darklens/core';
import { divergingPng, grayPng, maxAbs, pngDataUrl } from './images.js';
import type { LoadedModel, ModelSet } from './model-store.js';
import type { ImageOutput, ModelScore, ScoreResult } from './schemas.js';

export type ThresholdChoice =
  | { kind: 'default' }
  | { kind: 'named'; name: string }
  | { kind: 'fpr'; fpr: number }
  | { kind: 'value'; value: number };

export type OutputKind = 'input' | 'reconstruction' | 'residual';
export type OutputEncoding = 'png' | 'array' | 'both';

export interface ScoreOptions {
  /** Models by role (dcae, vae, ...) in each cutout's set; default: every model of the set. */
  models?: string[];
  /** The score every model uses (default: each model's calibrated default). */
  score?: string;
  /**
   * The registry's named ensemble of the verdict (its members' scores are computed even for models
   * not in `models`); without one, the verdict combines the chosen models' scores with equal weights.
   */
  ensemble?: string;
  /** No models, score or ensemble named: the verdict is the set's default ensemble when all its members are served. */
  defaultEnsemble?: boolean;
  /** The model set: its name or an alias; undefined or "auto": routed by the cutout's header. */
  survey?: string;
  threshold: ThresholdChoice;
  combine: PValueCombination;
  /** Ensemble significance level; default: the FPR of the threshold chosen, else DEFAULT_ALPHA. */
  alpha?: number;
  outputs: OutputKind[];
  encoding: OutputEncoding;
}

export const DEFAULT_ALPHA = 0.05;

interface Resolved {
  role: string;
  model: LoadedModel;
  score: string;
  threshold: ModelScore['threshold'];
}

interface Member {
  role: string;
  model: LoadedModel;
  score: string;
  weight: number;
}

/**
 * A named ensemble of set `setName` (by the set's name for it or the registered name); 404 when the
 * set has no such ensemble or one of its members is not served.
 */
export function resolveEnsemble(set: ModelSet, setName: string, name: string): { name: string; members: Member[] } {
  const ms = set.set(setName);
  const offered = setEnsembles(set.registry, ms);
  const registered = Object.hasOwn(offered, name) ? offered[name]! : Object.values(offered).includes(name) ? name : undefined;
  const e = registered !== undefined ? set.registry.ensembles?.[registered] : undefined;
  if (registered === undefined || e === undefined) throw new DarklensError('not_found', `ensemble "${name}" is not offered by set ${setName}; it offers: ${Object.keys(offered).join(', ') || 'none'}`);
  const roleOf = new Map(Object.entries(ms.models).map(([role, m]) => [m, role]));
  return {
    name: registered,
    members: e.members.map((m) => {
      const role = roleOf.get(m.model);
      if (role === undefined) throw new DarklensError('not_found', `ensemble "${name}" needs model ${m.model}, which set ${setName} does not serve`);
      const model = set.model(m.model);
      model.calibrator(m.score); // 404 naming the model's scores
      return { role, model, score: m.score, weight: m.weight };
    }),
  };
}

function resolveThreshold(m: LoadedModel, score: string, choice: ThresholdChoice): ModelScore['threshold'] {
  switch (choice.kind) {
    case 'fpr':
      return { name: quantileThresholdName(choice.fpr), value: m.thresholdForFpr(score, choice.fpr), fpr: choice.fpr };
    case 'value':
      return { name: null, value: choice.value, fpr: null };
    case 'named':
    case 'default': {
      const item = m.calibrator(score).thresholdItem(choice.kind === 'named' ? choice.name : undefined);
      return { name: item.name, value: item.value, fpr: item.fpr ?? null };
    }
  }
}

/** The models of a request in set `setName` with their score and threshold; unknown roles and scores are 404s. */
export function resolveModels(set: ModelSet, setName: string, options: Pick<ScoreOptions, 'models' | 'score' | 'threshold'>): Resolved[] {
  const roles = options.models ?? Object.keys(set.set(setName).models);
  if (roles.length === 0) throw new DarklensError('not_found', `set ${setName} serves no models`);
  return roles.map((role) => {
    const model = set.roleModel(setName, role);
    const score = options.score ?? model.calibration.defaultScore;
    model.calibrator(score); // 404 naming the model's scores
    return { role, model, score, threshold: resolveThreshold(model, score, options.threshold) };
  });
}

/** What scores the cutouts of one set: its models, the verdict's members and significance. */
export interface Plan {
  set: string;
  resolved: Resolved[];
  ensemble: { name: string | null; members: Member[] };
  alpha: number;
}

/** The plan of a request for set `setName` (404s as resolveModels and resolveEnsemble give them). */
export function planFor(set: ModelSet, setName: string, options: ScoreOptions): Plan {
  const resolved = resolveModels(set, setName, options);
  let ensemble: Plan['ensemble'] = { name: null, members: resolved.map((r) => ({ role: r.role, model: r.model, score: r.score, weight: 1 })) };
  const fallback = set.set(setName).defaultEnsemble;
  if (options.ensemble !== undefined) ensemble = resolveEnsemble(set, setName, options.ensemble);
  else if (options.defaultEnsemble === true && fallback !== undefined) {
    // The set's default ensemble, unless a rollback left one of its members unserved (a model back
    // on a version without that score): then the served models at equal weights.
    try {
      ensemble = resolveEnsemble(set, setName, fallback);
    } catch (e) {
      if (!(e instanceof DarklensError)) throw e;
    }
  }
  return { set: setName, resolved, ensemble, alpha: ensembleAlpha(options, resolved) };
}

function ensembleAlpha(options: ScoreOptions, resolved: Resolved[]): number {
  if (options.alpha !== undefined) return options.alpha;
  const fprs = new Set(resolved.map((r) => r.threshold.fpr));
  const only = fprs.size === 1 ? [...fprs][0] : undefined;
  return typeof only === 'number' ? only : DEFAULT_ALPHA;
}

function imageOutput(kind: OutputKind, w: number, h: number, values: Float32Array, encoding: OutputEncoding): ImageOutput {
  const out: ImageOutput = {};
  const scale = kind === 'residual' ? maxAbs(values) : undefined;
  if (encoding !== 'array') {
    out.png = pngDataUrl(kind === 'residual' ? divergingPng(w, h, values, scale ?? 0) : grayPng(w, h, values));
  }
  if (encoding !== 'png') out.array = { shape: [h, w], data: Array.from(values) };
  if (scale !== undefined) out.scale = scale;
  return out;
}

/** JSON has no Infinity: a statistic noise left unmeasurable is null. */
const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

function specKey(m: LoadedModel): string {
  return `${m.input.width}x${m.input.height}@${m.input.pixelScale}`;
}

/**
 * Scores each cutout (or passes on its decoding error) with the chosen models of its set. The answer
 * has one entry per item, in order: a ScoreResult or the DarklensError that item got.
 */
export async function scoreCutouts(set: ModelSet, items: (Cutout | DarklensError)[], options: ScoreOptions): Promise<(ScoreResult | DarklensError)[]> {
  const routes = items.map((it) => (it instanceof DarklensError ? undefined : routeCutout(set.sets, set.defaultSet, it, options.survey)));
  const groups = new Map<string, number[]>();
  routes.forEach((r, i) => {
    if (r === undefined) return;
    const group = groups.get(r.set);
    if (group === undefined) groups.set(r.set, [i]);
    else group.push(i);
  });
  const out: (ScoreResult | DarklensError | undefined)[] = items.map((it) => (it instanceof DarklensError ? it : undefined));
  await Promise.all(
    [...groups].map(async ([setName, indices]) => {
      let plan: Plan;
      try {
        plan = planFor(set, setName, options);
      } catch (e) {
        if (!(e instanceof DarklensError)) throw e;
        for (const i of indices) out[i] = e;
        return;
      }
      const got = await scoreGroup(set, plan, indices.map((i) => items[i] as Cutout), indices.map((i) => routes[i]!), options);
      indices.forEach((i, k) => (out[i] = got[k]!));
    }),
  );
  // Every routed item was answered by its group (an Error is not made per item: its stack trace costs).
  return out.map((r) => r ?? new DarklensError('internal', 'not scored'));
}

/** A model that runs for a group, with every score it must give (shown, or for the ensemble). */
interface Run {
  model: LoadedModel;
  scores: Set<string>;
  /** Its reconstructions are wanted (a shown model with image outputs). */
  reconstructions: boolean;
}

/** What a model gave for a group: per score a value per item, by the item's index in the group. */
interface RunResult {
  scores: Map<string, Float64Array>;
  reconstructions: (Float32Array | undefined)[];
}

/**
 * Scores cutouts routed to one set (see scoreCutouts).
 *
 * Pipelined: the cutouts are prepared on this thread in runScores' batches of RUN_BATCH (the same
 * batches runScores would cut, so each model sees exactly the same inputs), and each batch goes to
 * every model as soon as it is ready, so inference of one batch (on the worker threads, with the node
 * engine) overlaps preparing the next and the image statistics.
 */
async function scoreGroup(set: ModelSet, plan: Plan, items: Cutout[], routes: Route[], options: ScoreOptions): Promise<(ScoreResult | DarklensError)[]> {
  const { resolved, ensemble, alpha } = plan;
  const shown = new Map(resolved.map((r) => [r.model.name, r]));
  const runs = new Map<string, Run>();
  for (const x of [...resolved, ...ensemble.members]) {
    const run = runs.get(x.model.name) ?? { model: x.model, scores: new Set<string>(), reconstructions: shown.has(x.model.name) && options.outputs.length > 0 };
    run.scores.add(x.score);
    runs.set(x.model.name, run);
  }

  // Preprocess once per distinct input spec; an item that fails for one spec fails as a whole.
  const specs = new Map<string, ModelGrid>();
  for (const r of runs.values()) if (!specs.has(specKey(r.model))) specs.set(specKey(r.model), r.model.input);
  const prepared = new Map([...specs.keys()].map((key) => [key, new Array<PreparedCutout | undefined>(items.length)]));
  const errors = new Array<DarklensError | undefined>(items.length);
  const prepare = (i: number): boolean => {
    for (const [key, grid] of specs) {
      try {
        prepared.get(key)![i] = prepareCutout(items[i]!, grid);
      } catch (e) {
        if (!(e instanceof DarklensError)) throw e;
        errors[i] = e;
        return false;
      }
    }
    return true;
  };

  const results = new Map<string, RunResult>();
  for (const [name, run] of runs) results.set(name, { scores: new Map([...run.scores].map((s) => [s, new Float64Array(items.length)])), reconstructions: [] });
  const runOn = async (run: Run, batch: number[], feeds: BatchFeeds): Promise<void> => {
    const { model } = run;
    const got = await runBatch(model.session, model.contract, feeds, { scores: [...run.scores], reconstructions: run.reconstructions });
    const into = results.get(model.name)!;
    for (const [score, values] of got.scores) {
      const all = into.scores.get(score)!;
      batch.forEach((i, j) => (all[i] = values[j]!));
    }
    if (got.reconstructions !== undefined) batch.forEach((i, j) => (into.reconstructions[i] = got.reconstructions![j]));
  };
  // Every model's run of a batch is sent as soon as the batch is prepared, its feeds built once per
  // input spec and shared by the models: the engine queues the runs (the worker pool on its least busy
  // thread), so inference never waits for this thread to come back from preparing the next batch.
  // The feeds are built in the engine's planes when every session of the spec offers the same ones.
  const planesOf = new Map<string, FeedPlanes | undefined>();
  for (const run of runs.values()) {
    const key = specKey(run.model);
    const p = run.model.session.planes;
    planesOf.set(key, planesOf.has(key) && planesOf.get(key) !== p ? undefined : p);
  }
  const inFlight: Promise<void>[] = [];
  const send = (batch: number[]): void => {
    const feeds = new Map<string, BatchFeeds>();
    const sent: Promise<void>[] = [];
    for (const run of runs.values()) {
      const key = specKey(run.model);
      let f = feeds.get(key);
      if (f === undefined) {
        const spec = prepared.get(key)!;
        f = new BatchFeeds(run.model.input, batch.map((i) => spec[i]!), planesOf.get(key));
        feeds.set(key, f);
      }
      const done = runOn(run, batch, f);
      done.catch(() => undefined); // awaited below; an early failure must not count as unhandled meanwhile
      sent.push(done);
    }
    void Promise.allSettled(sent).then(() => {
      for (const f of feeds.values()) f.done();
    });
    inFlight.push(...sent);
  };

  const ok: number[] = [];
  const first = resolved[0]!.model;
  const firstPrepared = prepared.get(specKey(first))!;
  const stats = new Array<ImageStats | undefined>(items.length);
  try {
    let batch: number[] = [];
    for (let i = 0; i < items.length; i++) {
      if (!prepare(i)) continue;
      ok.push(i);
      batch.push(i);
      if (batch.length === RUN_BATCH) {
        send(batch);
        batch = [];
      }
    }
    if (batch.length > 0) send(batch);
    // While the models run: the guard's image statistics, on the first shown model's grid.
    for (const i of ok) stats[i] = imageStats(firstPrepared[i]!, first.input.width, first.input.height);
  } catch (e) {
    // An unexpected error with batches in flight: they still use the set's sessions, and a rejection
    // nobody awaits would end the process. Let them finish first.
    await Promise.allSettled(inFlight);
    throw e;
  }
  await Promise.all(inFlight);

  // Per shown model its ModelScore of each item; per ensemble member the p-value of each item.
  const perModel = new Map<string, (ModelScore | undefined)[]>();
  for (const [name, r] of shown) perModel.set(name, modelScores(r, results.get(name)!, ok, prepared.get(specKey(r.model))!, options));
  const memberP = ensemble.members.map((m) => {
    const c = m.model.calibrator(m.score);
    const values = results.get(m.model.name)!.scores.get(m.score)!;
    const p = new Float64Array(items.length);
    for (const i of ok) p[i] = c.pValue(values[i]!);
    return p;
  });
  const weights = ensemble.members.map((m) => m.weight);
  const memberModels = [...new Set(ensemble.members.map((m) => m.role))];
  const domain = set.set(plan.set).domain;

  return items.map((it, i) => {
    const err = errors[i];
    if (err !== undefined) return err;
    const prep = firstPrepared[i]!;
    const stat = stats[i]!;
    const reasons: DomainReason[] = domainReasons(it, stat, domain);
    const models: Record<string, ModelScore> = {};
    for (const r of resolved) {
      const s = perModel.get(r.model.name)![i]!;
      models[r.role] = s;
      const far = scoreReason(r.role, r.score, s.loss, r.model.calibrator(r.score).reference.sorted);
      if (far !== undefined) reasons.push(far);
    }
    const outOfDomain = reasons.length > 0;
    // Out of domain: the scores stay for inspection, but nothing is flagged.
    if (outOfDomain) for (const s of Object.values(models)) s.flagged = false;
    const ps = memberP.map((p) => p[i]!);
    const members = ensemble.members.map((m, k) => ({ model: m.role, score: m.score, weight: m.weight, pValue: ps[k]! }));
    const pValue = combinePValues(ps, options.combine, weights);
    const flagged = !outOfDomain && pValue <= alpha;
    const route = routes[i]!;
    return {
      input: {
        format: it.format,
        width: it.width,
        height: it.height,
        pixelScale: it.pixelScale ?? null,
        psfFwhm: it.psfFwhm ?? null,
        assumedPixelScale: prep.assumedPixelScale,
        masked: prep.masked,
        resampled: prep.resampled ? { fromScale: prep.resampled.fromScale, toScale: prep.resampled.toScale } : null,
        noise: prep.noise.source,
      },
      set: { name: route.set, routedBy: route.by, note: route.note },
      domain: { outOfDomain, reasons, stats: { ...stat, sharpness: finiteOrNull(stat.sharpness), relativeWidth: finiteOrNull(stat.relativeWidth) } },
      verdict: outOfDomain ? 'out of domain' : flagged ? 'anomalous' : 'smooth',
      models,
      ensemble: {
        method: options.combine,
        name: ensemble.name,
        members,
        pValue,
        alpha,
        flagged,
        models: memberModels.slice(),
      },
    };
  });
}

/** A shown model's ModelScore of each scored item (by index in the group), with its image outputs when asked. */
function modelScores(r: Resolved, got: RunResult, ok: readonly number[], prepared: readonly (PreparedCutout | undefined)[], options: ScoreOptions): (ModelScore | undefined)[] {
  const { model } = r;
  const { width: w, height: h } = model.input;
  const values = got.scores.get(r.score)!;
  const calibrator = model.calibrator(r.score);
  const out = new Array<ModelScore | undefined>(prepared.length);
  for (const i of ok) {
    const loss = values[i]!;
    const a = calibrator.assess(loss, r.threshold.value);
    const s: ModelScore = {
      model: model.name,
      version: model.version,
      score: r.score,
      loss,
      threshold: r.threshold,
      pValue: a.pValue,
      percentile: a.percentile,
      normalizedScore: a.normalizedScore,
      flagged: a.flagged,
    };
    const rec = got.reconstructions[i];
    if (rec !== undefined) {
      const pixels = prepared[i]!.pixels;
      const outputs: Partial<Record<OutputKind, ImageOutput>> = {};
      for (const kind of options.outputs) {
        const v = kind === 'input' ? pixels : kind === 'reconstruction' ? rec : rec.map((x, k) => x - pixels[k]!);
        outputs[kind] = imageOutput(kind, w, h, v, options.encoding);
      }
      s.outputs = outputs;
    }
    out[i] = s;
  }
  return out;
}
