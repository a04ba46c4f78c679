/**
 * Verdicts at the page's false-positive rate, computed here from each model's calibration scores so
 * the slider never needs a new request. The rules are the server's (core's code, not a copy):
 * a model flags a cutout when loss > the (1 - fpr) quantile of its calibration scores, read by the
 * calibration's own quantile rule (served with the model, as Calibrator.thresholdAtFpr uses it);
 * the ensemble flags it when its combined p-value <= fpr (alpha = the chosen FPR).
 */
import { quantileThreshold } from '@darklens/core';
import { listModels, modelDetail, type ModelDetail, type ModelList, type ScoreResult, type VerdictChoice } from './api';

export interface CalibratedModel {
  detail: ModelDetail;
  /** Sorted calibration (smooth-lens) scores. */
  scores: Float64Array;
}

export interface LoadedModels {
  models: CalibratedModel[];
  /** The registry's named ensembles and its default one. */
  ensembles: ModelList['ensembles'];
  defaultEnsemble: string | null;
  /** Every score some model calibrates, in first-seen order. */
  scores: string[];
}

/** The served models with the calibration of the choice's score (each model's default for an ensemble). */
export async function loadModels(choice?: VerdictChoice): Promise<LoadedModels> {
  const list = await listModels();
  const score = choice?.kind === 'score' ? choice.score : undefined;
  const details = await Promise.all(list.models.map((m) => modelDetail(m.name, score !== undefined && m.availableScores.some((a) => a.name === score) ? score : undefined)));
  return {
    models: details.map((detail) => ({ detail, scores: Float64Array.from(detail.scores) })),
    ensembles: list.ensembles,
    defaultEnsemble: list.defaultEnsemble,
    scores: [...new Set(list.models.flatMap((m) => m.availableScores.map((a) => a.name)))],
  };
}

/** The choices a page offers: the registry's ensembles (the default first), then every score at equal weights. */
export function verdictChoices(loaded: Pick<LoadedModels, 'ensembles' | 'defaultEnsemble' | 'scores'>): { value: string; label: string; choice: VerdictChoice | undefined }[] {
  const names = Object.keys(loaded.ensembles).sort((a, b) => (a === loaded.defaultEnsemble ? -1 : b === loaded.defaultEnsemble ? 1 : 0));
  const out: { value: string; label: string; choice: VerdictChoice | undefined }[] = [];
  if (names.length === 0) out.push({ value: 'default', label: 'every model, its default score', choice: undefined });
  for (const n of names) out.push({ value: `ensemble:${n}`, label: `ensemble ${n}${n === loaded.defaultEnsemble ? ' (default)' : ''}`, choice: { kind: 'ensemble', name: n } });
  for (const s of loaded.scores) out.push({ value: `score:${s}`, label: `every model, score ${s}`, choice: { kind: 'score', score: s } });
  return out;
}

export type Thresholds = Map<string, number>;

export function thresholdsAt(models: CalibratedModel[], fpr: number): Thresholds {
  return new Map(models.map((m) => [m.detail.name, quantileThreshold(m.scores, fpr, m.detail.thresholds.quantileRule)]));
}

export function modelFlagged(loss: number, threshold: number | undefined): boolean {
  return threshold !== undefined && loss > threshold;
}

export function ensembleFlagged(result: Pick<ScoreResult, 'ensemble'>, fpr: number): boolean {
  return result.ensemble.pValue <= fpr;
}

/** The slider's stops: log-spaced, from where 2,500 calibration scores still resolve a quantile. */
export const FPR_STOPS = [0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5];
export const DEFAULT_FPR = 0.05;

export function formatFpr(fpr: number): string {
  return `${+(fpr * 100).toPrecision(3)}%`;
}
