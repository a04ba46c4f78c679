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
  const alpha = ensembleAlpha(options, resolved);

  // Preprocess once per distinct input spec; an item that fails for one spec fails as a whole.
  const prepared = new Map<string, (PreparedCutout | undefined)[]>();
  const errors: (DarklensError | undefined)[] = items.map((it) => (it instanceof DarklensError ? it : undefined));
  for (const r of resolved) {
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
  const perModel = new Map<string, Map<number, ModelScore>>();
  const runModel = async (r: Resolved): Promise<void> => {
    const { model } = r;
    const { width: w, height: h } = model.input;
    const preps = ok.map((i) => prepared.get(specKey(model))![i]!);
    const got = await runScores(model.session, model.contract, model.input, preps, { scores: [r.score], reconstructions: options.outputs.length > 0 });
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
  await Promise.all(resolved.map(runModel));

  return items.map((it, i) => {
    const err = errors[i];
    if (err !== undefined || it instanceof DarklensError) return err ?? (it as DarklensError);
    const models: Record<string, ModelScore> = {};
    for (const r of resolved) models[r.model.name] = perModel.get(r.model.name)!.get(i)!;
    const first = prepared.get(specKey(resolved[0]!.model))![i]!;
    const pValue = combinePValues(resolved.map((r) => models[r.model.name]!.pValue), options.combine);
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
      ensemble: { method: options.combine, pValue, alpha, flagged: pValue <= alpha, models: resolved.map((r) => r.model.name) },
    };
  });
}
