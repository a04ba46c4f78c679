/**
 * Model sets (models per survey domain, GET /v1/models `sets`): the chooser's labels, the `survey=`
 * parameter, and what a choice of set offers (ensembles, scores, roles). Pure, so it is unit-tested.
 */
import type { ModelList, ModelSummary } from './api';

export type SetInfo = ModelList['sets'][number];

/** The chooser's value for "route by the file's header" (the API's default). */
export const AUTO = 'auto';

/** What a set's domain says, read defensively: the schema types it as an open record. */
export interface DomainInfo {
  survey?: string;
  preset?: string;
  pixelScale?: number;
  psfFwhm?: number;
  snr?: number | [number, number];
  description?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const pos = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);

export function domainInfo(domain: Record<string, unknown>): DomainInfo {
  const out: DomainInfo = {};
  const survey = str(domain.survey);
  const preset = str(domain.preset);
  const pixelScale = pos(domain.pixelScale);
  // An implicit set without a PSF states 0: no PSF to show.
  const psfFwhm = pos(domain.psfFwhm);
  const description = str(domain.description);
  const snr = domain.snr;
  if (survey !== undefined) out.survey = survey;
  if (preset !== undefined) out.preset = preset;
  if (pixelScale !== undefined) out.pixelScale = pixelScale;
  if (psfFwhm !== undefined) out.psfFwhm = psfFwhm;
  if (pos(snr) !== undefined) out.snr = snr as number;
  else if (Array.isArray(snr) && snr.length === 2 && snr.every((x) => pos(x) !== undefined)) out.snr = [snr[0] as number, snr[1] as number];
  if (description !== undefined) out.description = description;
  return out;
}

/** Arcseconds to three significant digits, without trailing zeros. */
const arcsec = (v: number): string => String(Number(v.toPrecision(3)));

/** The survey, pixel scale and PSF of a domain: `LSST, 0.2"/px, PSF 0.7"`. */
function domainSummary(d: DomainInfo): string[] {
  const parts: string[] = [];
  if (d.survey !== undefined) parts.push(d.survey);
  if (d.pixelScale !== undefined) parts.push(`${arcsec(d.pixelScale)}"/px`);
  if (d.psfFwhm !== undefined) parts.push(`PSF ${arcsec(d.psfFwhm)}"`);
  return parts;
}

/** A set as the chooser lists it: `lsst — LSST, 0.2"/px, PSF 0.7"`, the default set marked. */
export function setLabel(set: SetInfo): string {
  const parts = domainSummary(domainInfo(set.domain));
  return `${set.name}${parts.length > 0 ? ` — ${parts.join(', ')}` : ''}${set.default ? ' (default)' : ''}`;
}

/** The chooser: auto first, then every set in the API's order. */
export function setChoices(sets: SetInfo[]): { value: string; label: string }[] {
  return [{ value: AUTO, label: 'auto (from the file header)' }, ...sets.map((s) => ({ value: s.name, label: setLabel(s) }))];
}

/** The scoring routes' parameter: auto is the API's default, so it sends nothing. */
export function surveyParams(survey: string | undefined): Record<string, string> {
  return survey === undefined || survey === AUTO ? {} : { survey };
}

/** The models view's line about a set's domain: everything it states, in words. */
export function domainLine(domain: Record<string, unknown>): string {
  const d = domainInfo(domain);
  const parts = domainSummary(d);
  if (d.preset !== undefined) parts.push(`simulation preset ${d.preset}`);
  if (d.snr !== undefined) parts.push(`S/N ${typeof d.snr === 'number' ? arcsec(d.snr) : `${arcsec(d.snr[0])}–${arcsec(d.snr[1])}`}`);
  const line = parts.join(', ');
  return d.description === undefined ? line : line ? `${line} — ${d.description}` : d.description;
}

/** The sets a cutout may go to under a choice: the one named, or (auto) any. */
export function candidateSets(sets: SetInfo[], survey: string): SetInfo[] {
  if (survey === AUTO) return sets;
  const named = sets.filter((s) => s.name === survey);
  return named.length > 0 ? named : sets;
}

function intersect(lists: string[][]): string[] {
  if (lists.length === 0) return [];
  return lists[0]!.filter((x) => lists.every((l) => l.includes(x)));
}

/**
 * The ensembles `ensemble=` may name under a choice: those every candidate set offers (a cutout
 * routed to a set without it would be rejected), and their default when all candidates share one.
 */
export function offeredEnsembles(sets: SetInfo[], survey: string): { names: string[]; defaultEnsemble: string | null; anyDefault: boolean } {
  const chosen = candidateSets(sets, survey);
  const names = intersect(chosen.map((s) => Object.keys(s.ensembles)));
  const defaults = new Set(chosen.map((s) => s.defaultEnsemble));
  const shared = defaults.size === 1 ? [...defaults][0]! : null;
  return { names, defaultEnsemble: shared !== null && names.includes(shared) ? shared : null, anyDefault: chosen.some((s) => s.defaultEnsemble !== null) };
}

/** The scores `score=` may name under a choice: those every model of every candidate set calibrates. */
export function offeredScores(sets: SetInfo[], models: Pick<ModelSummary, 'name' | 'availableScores'>[], survey: string): string[] {
  const byName = new Map(models.map((m) => [m.name, m.availableScores.map((a) => a.name)]));
  const lists = candidateSets(sets, survey).flatMap((s) => Object.values(s.models).map((m) => byName.get(m) ?? []));
  return intersect(lists);
}

/** Every role of every set, in first-seen order: the batch table's model columns. */
export function allRoles(sets: SetInfo[]): string[] {
  return [...new Set(sets.flatMap((s) => Object.keys(s.models)))];
}

export interface SetGroup {
  /** null: registered models no set names. */
  set: SetInfo | null;
  /** The set's roles and their registered models. */
  roles: { role: string; model: string }[];
  /** Registered models whose card this group shows (each card once, under the first set naming it). */
  cards: string[];
}

/** The models view: the default set first, then the others, then models no set names. */
export function groupBySet(sets: SetInfo[], modelNames: string[]): SetGroup[] {
  const ordered = [...sets].sort((a, b) => Number(b.default) - Number(a.default));
  const shown = new Set<string>();
  const groups: SetGroup[] = ordered.map((set) => {
    const roles = Object.entries(set.models).map(([role, model]) => ({ role, model }));
    const cards: string[] = [];
    for (const { model } of roles) {
      if (!modelNames.includes(model) || shown.has(model)) continue;
      shown.add(model);
      cards.push(model);
    }
    return { set, roles, cards };
  });
  const rest = modelNames.filter((m) => !shown.has(m));
  if (rest.length > 0) groups.push({ set: null, roles: [], cards: rest });
  return groups;
}
