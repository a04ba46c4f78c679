/**
 * Scoring cutouts against a ModelSet: shared preprocessing (the same code training used), one batched
 * onnxruntime call per model, calibrated read-outs per model and one ensemble verdict per cutout.
 *
 * Loss: the graph's own `score` output (per-image MSE, the training definition). When the cutout had
 * masked pixels they are filled before the model sees them (core's mask rule) and the loss is the MSE
 * over the unmasked pixels only, from the graph's reconstruction, so filled pixels never count.
 */
import {
  combinePValues,
  DarklensError,
  maskedMse,
  ONNX_INPUT,
  ONNX_RECONSTRUCTION,
  ONNX_SCORE,
  prepareCutout,
  quantileThresholdName,
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
  threshold: ThresholdChoice;
  combine: PValueCombination;
  /** Ensemble significance level; default: the FPR of the threshold chosen, else DEFAULT_ALPHA. */
  alpha?: number;
  outputs: OutputKind[];
  encoding: OutputEncoding;
}

export const DEFAULT_ALPHA = 0.05;
/** Images per onnxruntime call. */
export const RUN_BATCH = 32;

interface Resolved {
  model: LoadedModel;
  threshold: ModelScore['threshold'];
}

function resolveThreshold(m: LoadedModel, choice: ThresholdChoice): ModelScore['threshold'] {
  switch (choice.kind) {
    case 'fpr':
      return { name: quantileThresholdName(choice.fpr), value: m.thresholdForFpr(choice.fpr), fpr: choice.fpr };
    case 'value':
      return { name: null, value: choice.value, fpr: null };
    case 'named':
    case 'default': {
      const item = m.calibrator.thresholdItem(choice.kind === 'named' ? choice.name : undefined);
      return { name: item.name, value: item.value, fpr: item.fpr ?? null };
    }
  }
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
  const resolved: Resolved[] = options.models.map((name) => {
    const model = set.model(name);
    return { model, threshold: resolveThreshold(model, options.threshold) };
  });
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
    const preps = prepared.get(specKey(model))!;
    const scores = new Map<number, ModelScore>();
    for (let start = 0; start < ok.length; start += RUN_BATCH) {
      const chunk = ok.slice(start, start + RUN_BATCH);
      const input = new Float32Array(chunk.length * w * h);
      chunk.forEach((idx, j) => input.set(preps[idx]!.pixels, j * w * h));
      const out = await model.session.run({ [ONNX_INPUT]: { dims: [chunk.length, 1, h, w], data: input } }, [ONNX_RECONSTRUCTION, ONNX_SCORE]);
      const recon = out[ONNX_RECONSTRUCTION]!.data;
      const graphScore = out[ONNX_SCORE]!.data;
      chunk.forEach((idx, j) => {
        const prep = preps[idx]!;
        const rec = recon.subarray(j * w * h, (j + 1) * w * h);
        const loss = prep.mask === undefined ? graphScore[j]! : maskedMse(prep.pixels, rec, prep.mask);
        if (!Number.isFinite(loss)) throw new DarklensError('internal', `model ${model.name} gave a non-finite loss`);
        const a = model.calibrator.assess(loss, r.threshold.value);
        const s: ModelScore = {
          version: model.version,
          loss,
          threshold: r.threshold,
          pValue: a.pValue,
          percentile: a.percentile,
          normalizedScore: a.normalizedScore,
          flagged: a.flagged,
        };
        if (options.outputs.length > 0) {
          const outputs: Partial<Record<OutputKind, ImageOutput>> = {};
          for (const kind of options.outputs) {
            let values: Float32Array = prep.pixels;
            if (kind === 'reconstruction') values = rec;
            if (kind === 'residual') values = rec.map((v, k) => v - prep.pixels[k]!);
            outputs[kind] = imageOutput(kind, w, h, values, options.encoding);
          }
          s.outputs = outputs;
        }
        scores.set(idx, s);
      });
    }
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
      },
      models,
      ensemble: { method: options.combine, pValue, alpha, flagged: pValue <= alpha, models: resolved.map((r) => r.model.name) },
    };
  });
}
