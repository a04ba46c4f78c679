/** A batch's rows at the page's FPR, their order and filter, and the CSV / JSON downloads. */
import type { DriftSummary } from '@darklens/core';
import { isErrorLine, type BatchLine, type ErrorLine, type ResultLine } from './api';
import { ensembleFlagged, modelFlaggedIn, thresholdOf, type Thresholds } from './calibration';
import type { LocalItem } from './files';

export interface Row {
  index: number;
  name: string;
  /** The dropped cutout, when the page's expansion of the files lines up with the server's. */
  local?: LocalItem;
  /** Absent while the line has not arrived. */
  line?: BatchLine;
}

/** A row's verdict at the page's FPR; 'out of domain' (the API's word) is never flagged. */
export type Status = 'flagged' | 'smooth' | 'out of domain' | 'rejected' | 'pending';

export function statusOf(row: Row, fpr: number): Status {
  if (!row.line) return 'pending';
  if (isErrorLine(row.line)) return 'rejected';
  if (row.line.domain.outOfDomain) return 'out of domain';
  return ensembleFlagged(row.line, fpr) ? 'flagged' : 'smooth';
}

export type StatusCounts = Record<Status, number>;

/** The summary line's counts at `fpr`. */
export function countStatuses(rows: Row[], fpr: number): StatusCounts {
  const c: StatusCounts = { flagged: 0, smooth: 0, 'out of domain': 0, rejected: 0, pending: 0 };
  for (const r of rows) c[statusOf(r, fpr)]++;
  return c;
}

export function result(row: Row): ResultLine | undefined {
  return row.line && !isErrorLine(row.line) ? row.line : undefined;
}

export function errorOf(row: Row): ErrorLine['error'] | undefined {
  return row.line && isErrorLine(row.line) ? row.line.error : undefined;
}

/** Columns the table sorts by: fixed ones and `model:<role>` (that role's loss, whatever its set). */
export type SortColumn = 'index' | 'name' | 'set' | 'ensemble' | 'verdict' | `model:${string}`;

export interface Sort {
  column: SortColumn;
  descending: boolean;
}

const STATUS_ORDER: Record<Status, number> = { flagged: 0, smooth: 1, 'out of domain': 2, rejected: 3, pending: 4 };

function sortValue(row: Row, column: SortColumn, fpr: number): number | string | undefined {
  const r = result(row);
  if (column === 'index') return row.index;
  if (column === 'name') return row.name;
  if (column === 'set') return r?.set.name;
  if (column === 'verdict') return STATUS_ORDER[statusOf(row, fpr)];
  if (column === 'ensemble') return r?.ensemble.pValue;
  return r?.models[column.slice('model:'.length)]?.loss;
}

/** Sorted copy; rows without a value (rejected, pending) always go last, whatever the direction. */
export function sortRows(rows: Row[], sort: Sort, fpr: number): Row[] {
  const keyed = rows.map((row) => ({ row, v: sortValue(row, sort.column, fpr) }));
  keyed.sort((a, b) => {
    if (a.v === undefined || b.v === undefined) return a.v === undefined ? (b.v === undefined ? a.row.index - b.row.index : 1) : -1;
    const c = typeof a.v === 'string' ? a.v.localeCompare(String(b.v), undefined, { numeric: true }) : a.v - (b.v as number);
    return (sort.descending ? -c : c) || a.row.index - b.row.index;
  });
  return keyed.map((k) => k.row);
}

export type VerdictFilter = 'all' | Status;

export function filterRows(rows: Row[], text: string, verdict: VerdictFilter, fpr: number): Row[] {
  const needle = text.trim().toLowerCase();
  return rows.filter((row) => (verdict === 'all' || statusOf(row, fpr) === verdict) && (!needle || row.name.toLowerCase().includes(needle)));
}

function csvField(v: string | number | boolean | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The out-of-domain guard's reasons in one field. */
export function reasonsText(r: Pick<ResultLine, 'domain'>): string {
  return r.domain.reasons.map((x) => x.message).join('; ');
}

/**
 * CSV of `rows` (as shown: filtered and sorted), verdicts at `fpr`, the set that scored each row and
 * the guard's finding, then one column group per role (thresholds are per row: a role's registered
 * model, and so its calibration, depends on the row's set).
 */
export function toCsv(rows: Row[], roles: string[], thresholds: Thresholds, fpr: number): string {
  const header = ['index', 'name', 'verdict', 'fpr', 'ensemble_p', 'ensemble_method', 'ensemble_flagged', 'set', 'set_routed_by', 'out_of_domain', 'domain_reasons'];
  for (const m of roles) header.push(`${m}_model`, `${m}_loss`, `${m}_threshold`, `${m}_p`, `${m}_percentile`, `${m}_flagged`);
  header.push('error_code', 'error_message');
  const lines = [header.join(',')];
  for (const row of rows) {
    const r = result(row);
    const err = errorOf(row);
    const fields: (string | number | boolean | undefined)[] = [row.index, row.name, statusOf(row, fpr), fpr, r?.ensemble.pValue, r?.ensemble.method, r ? ensembleFlagged(r, fpr) : undefined];
    fields.push(r?.set.name, r?.set.routedBy, r?.domain.outOfDomain, r ? reasonsText(r) : undefined);
    for (const m of roles) {
      const s = r?.models[m];
      const t = s ? thresholdOf(thresholds, s) : undefined;
      fields.push(s?.model, s?.loss, t, s?.pValue, s?.percentile, r && s ? modelFlaggedIn(r, s, thresholds) : undefined);
    }
    fields.push(err?.code, err?.message);
    lines.push(fields.map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * JSON of `rows`: the API's lines with the page's verdicts at `fpr` beside them; thresholds by
 * registered model; the whole batch's drift summary when there is one.
 */
export function toJson(rows: Row[], thresholds: Thresholds, fpr: number, drift?: DriftSummary[]): string {
  return JSON.stringify(
    {
      fpr,
      thresholds: Object.fromEntries(thresholds),
      ...(drift ? { drift } : {}),
      rows: rows.map((row) => {
        const r = result(row);
        return {
          index: row.index,
          name: row.name,
          verdict: statusOf(row, fpr),
          ...(r
            ? {
                set: r.set,
                outOfDomain: r.domain.outOfDomain,
                reasons: r.domain.reasons,
                domainStats: r.domain.stats,
                ensemble: { ...r.ensemble, flagged: ensembleFlagged(r, fpr), alpha: fpr },
                models: Object.fromEntries(
                  Object.entries(r.models).map(([m, s]) => [
                    m,
                    { model: s.model, version: s.version, score: s.score, loss: s.loss, pValue: s.pValue, percentile: s.percentile, threshold: thresholdOf(thresholds, s), flagged: modelFlaggedIn(r, s, thresholds) },
                  ]),
                ),
                input: r.input,
              }
            : {}),
          ...(errorOf(row) ? { error: errorOf(row) } : {}),
        };
      }),
    },
    null,
    2,
  );
}

/** Saves text as a file through a temporary object URL. */
export function download(text: string, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
