/**
 * The scoring API client. Response types are imported (type-only, so no server code reaches the
 * bundle) from the zod schemas the server validates and documents with.
 */
import type { BatchLine, ModelDetail, ModelList, ScoreResult } from '@darklens/functions';
import { surveyParams } from './sets';

export type { BatchLine, ModelDetail, ModelList, ModelSummary, ScoreResult, ModelScore, ImageOutput } from '@darklens/functions';

/** Where the API lives: the page's own origin unless the build says otherwise (static hosting beside a serverless API). */
export const API_BASE = (import.meta.env.VITE_DARKLENS_API ?? '').replace(/\/+$/, '');

/** An error answer of the API ({ error: { code, message } }), or a network failure (code 'network'). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type ErrorLine = Extract<BatchLine, { error: unknown }>;
export type ResultLine = Exclude<BatchLine, ErrorLine>;

export function isErrorLine(line: BatchLine): line is ErrorLine {
  return 'error' in line;
}

async function request(path: string, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, init);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError('network', `the scoring service at ${API_BASE || location.origin} could not be reached (${e instanceof Error ? e.message : String(e)})`, 0);
  }
  if (res.ok) return res;
  let code = `http_${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not the API's JSON error shape (a proxy's page): keep the status line.
  }
  throw new ApiError(code, message, res.status);
}

export async function listModels(): Promise<ModelList> {
  return (await (await request('/v1/models')).json()) as ModelList;
}

/** A model with the calibration of `score` (its default score when omitted). */
export async function modelDetail(name: string, score?: string): Promise<ModelDetail> {
  const query = score === undefined ? '' : `?score=${encodeURIComponent(score)}`;
  return (await (await request(`/v1/models/${encodeURIComponent(name)}${query}`)).json()) as ModelDetail;
}

/**
 * What the verdict is made of: a named ensemble of the registry (each model shown at its default
 * score), or every model at one score (equal weights).
 */
export type VerdictChoice = { kind: 'ensemble'; name: string } | { kind: 'score'; score: string };

/** The query parameters of a choice. */
export function choiceParams(choice: VerdictChoice | undefined): Record<string, string> {
  if (choice === undefined) return {};
  return choice.kind === 'ensemble' ? { ensemble: choice.name } : { score: choice.score };
}

export function modelFileUrl(name: string, file: 'card.md' | 'roc.png' | 'scores.png' | 'loss.png'): string {
  return `${API_BASE}/v1/models/${encodeURIComponent(name)}/files/${file}`;
}

function form(files: { name: string; blob: Blob }[]): FormData {
  const f = new FormData();
  for (const { name, blob } of files) f.append('file', blob, name);
  return f;
}

/** How cutouts are scored: the verdict's make-up and the model set (a set's name, or auto). */
export interface ScoreChoice {
  verdict?: VerdictChoice | undefined;
  survey?: string | undefined;
}

function scoreParams(choice: ScoreChoice | undefined): Record<string, string> {
  return { ...choiceParams(choice?.verdict), ...surveyParams(choice?.survey) };
}

/**
 * One cutout with the model's view of it as float arrays (drawn here with the page's own stretch).
 * The verdicts come back at the server's default thresholds; the page re-derives them at its FPR.
 */
export async function scoreOne(name: string, blob: Blob, signal?: AbortSignal, choice?: ScoreChoice): Promise<ScoreResult> {
  const query = new URLSearchParams({ outputs: 'input,reconstruction,residual', encoding: 'array', ...scoreParams(choice) });
  const init: RequestInit = { method: 'POST', body: form([{ name, blob }]) };
  if (signal) init.signal = signal;
  return (await (await request(`/v1/score?${query.toString()}`, init)).json()) as ScoreResult;
}

/** Many cutouts (files, NPY stacks, tar archives); calls `onLine` for each NDJSON line as it arrives. */
export async function scoreBatch(files: { name: string; blob: Blob }[], onLine: (line: BatchLine) => void, signal?: AbortSignal, choice?: ScoreChoice): Promise<void> {
  const init: RequestInit = { method: 'POST', body: form(files) };
  if (signal) init.signal = signal;
  const query = new URLSearchParams(scoreParams(choice)).toString();
  const res = await request(`/v1/score/batch${query ? `?${query}` : ''}`, init);
  if (!res.body) throw new ApiError('network', 'the batch answer has no body', res.status);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) onLine(JSON.parse(line) as BatchLine);
    }
  }
  if (buffered.trim()) onLine(JSON.parse(buffered) as BatchLine);
}
