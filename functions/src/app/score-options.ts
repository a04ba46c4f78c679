/** Query (or multipart field) parameters of the scoring routes to ScoreOptions, with 400s that say what is accepted. */
import { DarklensError, namedSet, P_VALUE_COMBINATIONS, setEnsembles, type PValueCombination } from '@darklens/core';
import type { ModelSet } from './model-store.js';
import { ScoreQuerySchema } from './schemas.js';
import { planFor, type OutputEncoding, type OutputKind, type ScoreOptions, type ThresholdChoice } from './scoring.js';

const OUTPUT_KINDS: readonly OutputKind[] = ['input', 'reconstruction', 'residual'];
const ENCODINGS: readonly OutputEncoding[] = ['png', 'array', 'both'];

function bad(message: string): never {
  throw new DarklensError('invalid_argument', message);
}

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const items = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return [...new Set(items)];
}

function probability(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !(n > 0 && n < 1)) bad(`${name}=${v}; accepted: a number in (0, 1)`);
  return n;
}

export interface ParsedScoreQuery {
  options: ScoreOptions;
  /** FITS HDU by index or EXTNAME. */
  hdu?: number | string;
}

/** Parses the parameters against the models of `set` (names are checked here: unknown ones are 404). */
export function parseScoreQuery(raw: Record<string, string | undefined>, set: ModelSet): ParsedScoreQuery {
  const known = new Set(Object.keys(ScoreQuerySchema.shape));
  const unknown = Object.keys(raw).filter((k) => !known.has(k));
  if (unknown.length > 0) bad(`unknown parameter ${unknown.join(', ')}; accepted: ${[...known].join(', ')}`);
  const q = ScoreQuerySchema.parse(raw);

  // The sets a cutout may go to: the one survey= names, else any.
  const survey = q.survey?.trim() === '' || q.survey?.trim().toLowerCase() === 'auto' ? undefined : q.survey?.trim();
  const candidates = survey !== undefined ? [namedSet(set.sets, survey)] : Object.keys(set.sets);
  const models = list(q.models);
  if (models !== undefined && models.length === 0) bad(`models is empty; accepted: any of ${[...new Set(candidates.flatMap((n) => Object.keys(set.set(n).models)))].join(', ')}`);

  let threshold: ThresholdChoice = { kind: 'default' };
  const fpr = probability('fpr', q.fpr);
  if (fpr !== undefined) threshold = { kind: 'fpr', fpr };
  else if (q.threshold !== undefined && q.threshold.trim() !== '') {
    const t = q.threshold.trim();
    const value = Number(t);
    if (Number.isFinite(value)) {
      if ((models ?? Object.keys(set.set(candidates[0]!).models)).length !== 1) bad(`threshold=${t} is a loss value, which only makes sense for one model; name one model with models=, or use fpr= or a threshold name`);
      threshold = { kind: 'value', value };
    } else {
      threshold = { kind: 'named', name: t };
    }
  }
  const score = q.score?.trim() === '' ? undefined : q.score?.trim();

  const combine = (q.combine ?? 'cauchy') as PValueCombination;
  if (!P_VALUE_COMBINATIONS.includes(combine)) bad(`combine=${q.combine}; accepted: ${P_VALUE_COMBINATIONS.join(', ')}`);

  const outputs = (list(q.outputs) ?? []) as OutputKind[];
  for (const o of outputs) if (!OUTPUT_KINDS.includes(o)) bad(`outputs has ${o}; accepted: ${OUTPUT_KINDS.join(', ')}`);
  const encoding = (q.encoding ?? 'png') as OutputEncoding;
  if (!ENCODINGS.includes(encoding)) bad(`encoding=${q.encoding}; accepted: ${ENCODINGS.join(', ')}`);

  const named = q.ensemble?.trim() || undefined;
  const options: ScoreOptions = {
    threshold,
    combine,
    outputs,
    encoding,
    ...(models === undefined ? {} : { models }),
    ...(score === undefined ? {} : { score }),
    ...(survey === undefined ? {} : { survey }),
    ...(named === undefined ? { defaultEnsemble: models === undefined && score === undefined } : { ensemble: named }),
  };
  // Unknown models, scores, thresholds and ensembles are 404s now, not on every batch line: the
  // request must make sense for at least one set it may go to (a cutout routed to a set where it
  // does not gets that set's 404 as its own error).
  let firstError: unknown;
  const fits = candidates.filter((name) => {
    try {
      planFor(set, name, options);
      return true;
    } catch (e) {
      if (!(e instanceof DarklensError)) throw e;
      firstError ??= e;
      return false;
    }
  });
  if (fits.length === 0) {
    if (named !== undefined && candidates.every((n) => !Object.hasOwn(setEnsembles(set.registry, set.set(n)), named))) {
      const offered = [...new Set(candidates.flatMap((n) => Object.keys(setEnsembles(set.registry, set.set(n)))))];
      throw new DarklensError('not_found', `ensemble "${named}" is not in the registry; registered: ${offered.join(', ') || 'none'}`);
    }
    throw firstError;
  }
  const alpha = probability('alpha', q.alpha);
  if (alpha !== undefined) options.alpha = alpha;
  const parsed: ParsedScoreQuery = { options };
  if (q.hdu !== undefined && q.hdu.trim() !== '') parsed.hdu = /^\d+$/.test(q.hdu.trim()) ? Number(q.hdu.trim()) : q.hdu.trim();
  return parsed;
}
