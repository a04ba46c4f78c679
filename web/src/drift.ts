/**
 * The batch's drift summary, computed in the page with core's summarizeDrift (the server's own code)
 * from the batch lines and the calibration scores the page holds: each model's sorted smooth-lens
 * scores (calibration.ts) and each set's domain (GET /v1/models). A calibration the page lacks (a
 * score it did not load, or a version that changed since) is fetched once and kept.
 */
import { summarizeDrift, type DriftCalibrations, type DriftDomain, type DriftSummary } from '@darklens/core';
import { listModels, modelDetail, type ResultLine } from './api';
import { result, type Row } from './batch';
import type { CalibratedModel, LoadedModels } from './calibration';

export type DriftModels = Pick<LoadedModels, 'models' | 'sets'>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A set's domain from /v1/models (an open record) as the drift watch reads it; undefined without a pixel scale. */
export function driftDomain(domain: Record<string, unknown>): DriftDomain | undefined {
  const pixelScale = num(domain.pixelScale);
  if (pixelScale === undefined) return undefined;
  const out: DriftDomain = { pixelScale, psfFwhm: num(domain.psfFwhm) ?? 0 };
  const guard = domain.guard as { stats?: Record<string, unknown> } | undefined;
  const noise = guard?.stats?.noise;
  if (Array.isArray(noise) && noise.length === 2 && noise.every((x) => num(x) !== undefined)) out.guard = { stats: { noise: [noise[0] as number, noise[1] as number] } };
  return out;
}

const key = (model: string, score: string): string => `${model}\n${score}`;

/** What the lines were scored with: registered model, score and version, once each. */
function scoredWith(lines: readonly ResultLine[]): { model: string; score: string; version: string }[] {
  const seen = new Map<string, { model: string; score: string; version: string }>();
  for (const l of lines) for (const m of Object.values(l.models)) if (!seen.has(key(m.model, m.score))) seen.set(key(m.model, m.score), { model: m.model, score: m.score, version: m.version });
  return [...seen.values()];
}

/** The calibrations summarizeDrift reads, from models whose calibration is of the score the lines used. */
export function driftCalibrations(dm: DriftModels): DriftCalibrations {
  const byKey = new Map(dm.models.map((m) => [key(m.detail.name, m.detail.score), m.scores]));
  const domains = new Map(dm.sets.map((s) => [s.name, driftDomain(s.domain)]));
  return { reference: (model, score) => byKey.get(key(model, score)), domain: (set) => domains.get(set) };
}

type Used = { model: string; score: string; version: string };

const matches = (m: CalibratedModel, u: Used): boolean => m.detail.name === u.model && m.detail.score === u.score && m.detail.version === u.version;

const fetched = new Map<string, Promise<CalibratedModel>>();

/** The calibration of `u`, fetched once for the page's life (again when the served version changed). */
async function fetchCalibration(u: Used): Promise<CalibratedModel> {
  const k = key(u.model, u.score);
  const cached = await fetched.get(k)?.catch(() => undefined);
  if (cached !== undefined && matches(cached, u)) return cached;
  const p = modelDetail(u.model, u.score).then((detail) => ({ detail, scores: Float64Array.from(detail.scores) }));
  fetched.set(k, p);
  p.catch(() => fetched.get(k) === p && fetched.delete(k));
  return p;
}

/**
 * `have` (what the page loaded; may be undefined) completed with the calibration of every (model,
 * score) the lines used, at the version that scored them. One that cannot be had (a failed request,
 * a version no longer served) is left out: its model gets no test rather than a wrong one.
 */
export async function driftModels(lines: readonly ResultLine[], have?: DriftModels): Promise<DriftModels> {
  const used = scoredWith(lines);
  const own = (have?.models ?? []).filter((m) => used.some((u) => matches(m, u)));
  const missing = used.filter((u) => !own.some((m) => matches(m, u)));
  const got = await Promise.allSettled(missing.map(fetchCalibration));
  const fresh = got.flatMap((g, i) => (g.status === 'fulfilled' && matches(g.value, missing[i]!) ? [g.value] : []));
  return { models: [...own, ...fresh], sets: have?.sets ?? (await listModels()).sets };
}

/** The scored lines of a batch's rows. */
export function resultLines(rows: readonly Row[]): ResultLine[] {
  return rows.flatMap((r) => {
    const x = result(r);
    return x ? [x] : [];
  });
}

/** The drift summaries of a batch: its rows (scored and failed) against the calibrations in `dm`. */
export function batchDrift(rows: readonly Row[], dm: DriftModels): DriftSummary[] {
  return summarizeDrift(
    rows.flatMap((r) => (r.line ? [r.line] : [])),
    driftCalibrations(dm),
  );
}
