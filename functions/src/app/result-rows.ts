/**
 * Scoring results as CSV rows: one row per batch line (a scored cutout or its error), the same
 * columns for `darklens score --out results.csv` and a job's CSV results. Per-role columns come from
 * every role of the registry's sets, so rows of cutouts routed to different sets line up.
 */
import type { BatchLine, ModelScore } from './schemas.js';

/** The columns before the per-role ones. */
export const CSV_COLUMNS = ['index', 'name', 'set', 'verdict', 'ensemble_p_value', 'flagged', 'out_of_domain', 'error_code', 'error_message'] as const;

/** The columns of each role, after `<role>_`. */
export const CSV_ROLE_COLUMNS = ['model', 'version', 'score', 'loss', 'p_value', 'flagged'] as const;

type Cell = string | number | boolean | null | undefined;

/** RFC 4180: a field with a comma, a double quote or a line break is quoted, its quotes doubled. */
export function csvField(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const record = (cells: readonly Cell[]): string => `${cells.map(csvField).join(',')}\r\n`;

/** The header line (with its CRLF) for these roles. */
export function csvHeader(roles: readonly string[]): string {
  return record([...CSV_COLUMNS, ...roles.flatMap((r) => CSV_ROLE_COLUMNS.map((c) => `${r}_${c}`))]);
}

function roleCells(s: ModelScore | undefined): Cell[] {
  return s === undefined ? CSV_ROLE_COLUMNS.map(() => null) : [s.model, s.version, s.score, s.loss, s.pValue, s.flagged];
}

/** One row (with its CRLF); roles the cutout's set does not serve, or that were not asked for, stay empty. */
export function csvRow(line: BatchLine, roles: readonly string[]): string {
  if ('error' in line) return record([line.index, line.name, null, null, null, null, null, line.error.code, line.error.message, ...roles.flatMap(() => roleCells(undefined))]);
  const head: Cell[] = [line.index, line.name, line.set.name, line.verdict, line.ensemble.pValue, line.ensemble.flagged, line.domain.outOfDomain, null, null];
  return record([...head, ...roles.flatMap((r) => roleCells(Object.hasOwn(line.models, r) ? line.models[r] : undefined))]);
}

/** What rolesOf reads of a ModelSet (the served sets and the default one). */
export interface RoleSource {
  sets: Record<string, { models: Record<string, string> }>;
  defaultSet: string;
}

/** Every role of the sets, the default set's first, then each new one in registry order. */
export function rolesOf(set: RoleSource): string[] {
  const names = [set.defaultSet, ...Object.keys(set.sets).filter((n) => n !== set.defaultSet)];
  const roles = new Set<string>();
  for (const n of names) for (const role of Object.keys(set.sets[n]?.models ?? {})) roles.add(role);
  return [...roles];
}
