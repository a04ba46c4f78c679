/**
 * Scoring cutouts against a ModelSet: core's one scoring path (prepareCutout, then runScores: the same
 * code `darklens calibrate` and `evaluate` score with), calibrated read-outs per model and one
 * ensemble verdict per cutout.
 *
 * Each model scores with the score a request names (`score=`) or its calibration's default; masked
 * pixels count in no score (the graph leaves them out; for v1 graphs runScores does).
 */
import {
  combinePValues,
  DarklensError,
  prepareCutout,
  quantileThresholdName,
  runScores,
  type Cutout,
  type PValueCombination,
  type PreparedCutout,
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
  models: string[];
  /** The score every model uses (default: each model's calibrated default). */
  score?: string;
  /**
   * The registry's named ensemble of the verdict (its members' scores are computed even for models
   * not in `models`); without one, the verdict combines the chosen models' scores with equal weights.
   */
  ensemble?: string;
  threshold: ThresholdChoice;
  combine: PValueCombination;
  /** Ensemble significance level; default: the FPR of the threshold chosen, else DEFAULT_ALPHA. */
  alpha?: number;
  outputs: OutputKind[];
  encoding: OutputEncoding;
}

export const DEFAULT_ALPHA = 0.05;

interface Resolved {
  model: LoadedModel;
  score: string;
  threshold: ModelScore['threshold'];
}

interface Member {
  model: LoadedModel;
  score: string;
  weight: number;
}

/** The ensemble's members: the named registry ensemble's, or the chosen models at equal weights. */
export function resolveEnsemble(set: ModelSet, options: Pick<ScoreOptions, 'ensemble'>, resolved: readonly Resolved[]): { name: string | null; members: Member[] } {
  if (options.ensemble === undefined) return { name: null, members: resolved.map((r) => ({ model: r.model, score: r.score, weight: 1 })) };
  const all = set.registry.ensembles ?? {};
  const e = Object.hasOwn(all, options.ensemble) ? all[options.ensemble] : undefined;
  if (e === undefined) throw new DarklensError('not_found', `ensemble "${options.ensemble}" is not in the registry; registered: ${Object.keys(all).join(', ') || 'none'}`);
  return {
    name: options.ensemble,
    members: e.members.map((m) => {
      const model = set.model(m.model);
      model.calibrator(m.score); // 404 naming the model's scores
      return { model, score: m.score, weight: m.weight };
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

/** The models of a request with their score and threshold; unknown names and scores are 404s. */
export function resolveModels(set: ModelSet, options: Pick<ScoreOptions, 'models' | 'score' | 'threshold'>): Resolved[] {
  return options.models.map((name) => {
    const model = set.model(name);
    const score = options.score ?? model.calibration.defaultScore;
    model.calibrator(score); // 404 naming the model's scores
    return { model, score, threshold: resolveThreshold(model, score, options.threshold) };
  });
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

function specKey(m: LoadedModel): string {
  return `${m.input.width}x${m.input.height}@${m.input.pixelScale}`;
}

/**
 * Scores each cutout (or passes on its decoding error) with every chosen model of `set`. The answer
 * has one entry per item, in order: a ScoreResult or the DarklensError that item got.
 */
export async function scoreCutouts(set: ModelSet, items: (Cutout | DarklensError)[], options: ScoreOptions): Promise<(ScoreResult | DarklensError)[]> {
  const resolved = resolveModels(set, options);
  const ensemble = resolveEnsemble(set, options, resolved);
  const alpha = ensembleAlpha(options, resolved);
  // Every model that runs, with every score it must give (shown, or for the ensemble).
  const runs = new Map<string, { model: LoadedModel; scores: Set<string> }>();
  for (const x of [...resolved, ...ensemble.members]) {
    const run = runs.get(x.model.name) ?? { model: x.model, scores: new Set<string>() };
    run.scores.add(x.score);
    runs.set(x.model.name, run);
  }

  // Preprocess once per distinct input spec; an item that fails for one spec fails as a whole.
  const prepared = new Map<string, (PreparedCutout | undefined)[]>();
  const errors: (DarklensError | undefined)[] = items.map((it) => (it instanceof DarklensError ? it : undefined));
  for (const r of runs.values()) {
    const key = specKey(r.model);
    if (prepared.has(key)) continue;
    prepared.set(
      key,
      items.map((it, i) => {
        if (errors[i] !== undefined || it instanceof DarklensError) return undefined;
        try {
          return prepareCutout(it, r.model.input);
        } catch (e) {
          if (!(e instanceof DarklensError)) throw e;
          errors[i] = e;
          return undefined;
        }
      }),
    );
  }
  const ok = items.map((_, i) => i).filter((i) => errors[i] === undefined);

  // Models run concurrently: with inference on worker threads one cutout's models spread over the cores.
  const shown = new Map(resolved.map((r) => [r.model.name, r]));
  const perModel = new Map<string, Map<number, ModelScore>>();
  const memberP = new Map<string, Float64Array>();
  const runModel = async (run: { model: LoadedModel; scores: Set<string> }): Promise<void> => {
    const { model } = run;
    const { width: w, height: h } = model.input;
    const preps = ok.map((i) => prepared.get(specKey(model))![i]!);
    const r = shown.get(model.name);
    const got = await runScores(model.session, model.contract, model.input, preps, { scores: [...run.scores], reconstructions: r !== undefined && options.outputs.length > 0 });
    for (const m of ensemble.members.filter((x) => x.model === model)) {
      const c = model.calibrator(m.score);
      memberP.set(`${model.name}/${m.score}`, got.scores.get(m.score)!.map((v) => c.pValue(v)));
    }
    if (r === undefined) return;
    const values = got.scores.get(r.score)!;
    const calibrator = model.calibrator(r.score);
    const scores = new Map<number, ModelScore>();
    ok.forEach((idx, j) => {
      const loss = values[j]!;
      const a = calibrator.assess(loss, r.threshold.value);
      const s: ModelScore = {
        version: model.version,
        score: r.score,
        loss,
        threshold: r.threshold,
        pValue: a.pValue,
        percentile: a.percentile,
        normalizedScore: a.normalizedScore,
        flagged: a.flagged,
      };
      if (got.reconstructions !== undefined) {
        const pixels = preps[j]!.pixels;
        const rec = got.reconstructions[j]!;
        const outputs: Partial<Record<OutputKind, ImageOutput>> = {};
        for (const kind of options.outputs) {
          const v = kind === 'input' ? pixels : kind === 'reconstruction' ? rec : rec.map((x, k) => x - pixels[k]!);
          outputs[kind] = imageOutput(kind, w, h, v, options.encoding);
        }
        s.outputs = outputs;
      }
      scores.set(idx, s);
    });
    perModel.set(model.name, scores);
  };
  await Promise.all([...runs.values()].map(runModel));
  const okIndex = new Map(ok.map((idx, j) => [idx, j]));

  return items.map((it, i) => {
    const err = errors[i];
    if (err !== undefined || it instanceof DarklensError) return err ?? (it as DarklensError);
    const models: Record<string, ModelScore> = {};
    for (const r of resolved) models[r.model.name] = perModel.get(r.model.name)!.get(i)!;
    const first = prepared.get(specKey(resolved[0]!.model))![i]!;
    const j = okIndex.get(i)!;
    const members = ensemble.members.map((m) => ({ model: m.model.name, score: m.score, weight: m.weight, pValue: memberP.get(`${m.model.name}/${m.score}`)![j]! }));
    const pValue = combinePValues(members.map((m) => m.pValue), options.combine, members.map((m) => m.weight));
    return {
      input: {
        format: it.format,
        width: it.width,
        height: it.height,
        pixelScale: it.pixelScale ?? null,
        assumedPixelScale: first.assumedPixelScale,
        masked: first.masked,
        resampled: first.resampled ? { fromScale: first.resampled.fromScale, toScale: first.resampled.toScale } : null,
        noise: first.noise.source,
      },
      models,
      ensemble: {
        method: options.combine,
        name: ensemble.name,
        members,
        pValue,
        alpha,
        flagged: pValue <= alpha,
        models: [...new Set(members.map((m) => m.model))],
      },
    };
  });
}
