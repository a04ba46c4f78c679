/**
 * Verdicts at the page's false-positive rate, computed here from each model's calibration scores so
 * the slider never needs a new request. The rules are the server's (core's code, not a copy):
 * a model flags a cutout when loss > the (1 - fpr) quantile of its calibration scores, read by the
 * calibration's own quantile rule (served with the model, as Calibrator.thresholdAtFpr uses it);
 * the ensemble flags it when its combined p-value <= fpr (alpha = the chosen FPR). A cutout out of
 * its set's domain is flagged by nothing, at any FPR, as the server decides it.
 */
import { quantileThreshold } from '@darklens/core';
import { listModels, modelDetail, type ModelDetail, type ModelList, type ModelScore, type ScoreResult, type VerdictChoice } from './api';
import { offeredEnsembles, offeredScores } from './sets';

export interface CalibratedModel {
  detail: ModelDetail;
  /** Sorted calibration (smooth-lens) scores. */
  scores: Float64Array;
}

export interface LoadedModels {
  /** Every registered model, of every set. */
  models: CalibratedModel[];
  /** The registry's named ensembles (by registered name). */
  ensembles: ModelList['ensembles'];
  /** The model sets (survey domains) and the one cutouts get by default. */
  sets: ModelList['sets'];
  defaultSet: string;
}

/** The served models with the calibration of the choice's score (each model's default for an ensemble). */
export async function loadModels(choice?: VerdictChoice): Promise<LoadedModels> {
  const list = await listModels();
  const score = choice?.kind === 'score' ? choice.score : undefined;
  const details = await Promise.all(list.models.map((m) => modelDetail(m.name, score !== undefined && m.availableScores.some((a) => a.name === score) ? score : undefined)));
  return {
    models: details.map((detail) => ({ detail, scores: Float64Array.from(detail.scores) })),
    ensembles: list.ensembles,
    sets: list.sets,
    defaultSet: list.defaultSet,
  };
}

export interface VerdictOption {
  value: string;
  label: string;
  /** undefined: the request names no ensemble or score (the set's default verdict). */
  choice: VerdictChoice | undefined;
}

/**
 * The choices a page offers under a set choice (a set's name or auto): the ensembles every set the
 * cutouts may go to offers (their shared default first), then every score all their models calibrate.
 */
export function verdictChoices(loaded: Pick<LoadedModels, 'sets' | 'models'>, survey: string): VerdictOption[] {
  const { names, defaultEnsemble, anyDefault } = offeredEnsembles(loaded.sets, survey);
  const sorted = [...names].sort((a, b) => (a === defaultEnsemble ? -1 : b === defaultEnsemble ? 1 : 0));
  const out: VerdictOption[] = [];
  if (defaultEnsemble === null) out.push({ value: 'default', label: anyDefault ? "each set's default ensemble" : 'every model, its default score', choice: undefined });
  for (const n of sorted) out.push({ value: `ensemble:${n}`, label: `ensemble ${n}${n === defaultEnsemble ? ' (default)' : ''}`, choice: { kind: 'ensemble', name: n } });
  for (const s of offeredScores(loaded.sets, loaded.models.map((m) => m.detail), survey)) out.push({ value: `score:${s}`, label: `every model, score ${s}`, choice: { kind: 'score', score: s } });
  return out;
}

export type Thresholds = Map<string, number>;

export function thresholdsAt(models: CalibratedModel[], fpr: number): Thresholds {
  return new Map(models.map((m) => [m.detail.name, quantileThreshold(m.scores, fpr, m.detail.thresholds.quantileRule)]));
}

export function modelFlagged(loss: number, threshold: number | undefined): boolean {
  return threshold !== undefined && loss > threshold;
}

/** A model's threshold at the page's FPR: by the registered model (a role names a different one per set). */
export function thresholdOf(thresholds: Thresholds, score: Pick<ModelScore, 'model'>): number | undefined {
  return thresholds.get(score.model);
}

type Judged = Pick<ScoreResult, 'ensemble' | 'domain'>;

/** Whether a model of a scored cutout flags it at the page's FPR: never out of the set's domain. */
export function modelFlaggedIn(result: Pick<ScoreResult, 'domain'>, score: Pick<ModelScore, 'model' | 'loss'>, thresholds: Thresholds): boolean {
  return !result.domain.outOfDomain && modelFlagged(score.loss, thresholdOf(thresholds, score));
}

export function ensembleFlagged(result: Judged, fpr: number): boolean {
  return !result.domain.outOfDomain && result.ensemble.pValue <= fpr;
}

export type PageVerdict = ScoreResult['verdict'];

/** The server's verdict words, at the page's FPR. */
export function verdictAt(result: Judged, fpr: number): PageVerdict {
  if (result.domain.outOfDomain) return 'out of domain';
  return ensembleFlagged(result, fpr) ? 'anomalous' : 'smooth';
}

/** The slider's stops: log-spaced, from where 2,500 calibration scores still resolve a quantile. */
export const FPR_STOPS = [0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5];
export const DEFAULT_FPR = 0.05;

export function formatFpr(fpr: number): string {
  return `${+(fpr * 100).toPrecision(3)}%`;
}
