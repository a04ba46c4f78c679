/**
 * Many cutouts: progress while the NDJSON lines arrive, then a sortable, filterable table whose
 * verdicts follow the FPR slider (each row with the model set that scored it; rows out of their
 * set's domain are marked, never flagged), with CSV and JSON downloads of what the table shows, and
 * once it has finished the drift summary (does the batch look like the calibration data?) below.
 */
import { useCallback, useMemo, useState } from 'preact/hooks';
import { useRevealed } from './reveal';
import type { ApiError } from '../api';
import { formatFpr, modelFlaggedIn, type Thresholds } from '../calibration';
import { downsample, rowZeroAtBottom, type LocalItem } from '../files';
import { fmtLoss, fmtP } from '../format';
import type { DriftModels } from '../drift';
import { DriftPanel, useBatchDrift } from './drift-panel';
import { countStatuses, download, errorOf, filterRows, reasonsText, result, sortRows, statusOf, toCsv, toJson, type Row, type Sort, type SortColumn, type VerdictFilter } from '../batch';
import { LUTS, type ColormapName } from '../render/colormap';
import { paintStretched } from '../render/paint';
import { stretchFunction, stretchLimits, type StretchKind } from '../render/stretch';
import { ImageCanvas } from './image-canvas';
import { Verdict } from './verdict';

export interface BatchState {
  rows: Row[];
  done: number;
  running: boolean;
  error?: ApiError;
  startedAt: number;
  seconds?: number;
}

interface Props {
  batch: BatchState;
  /** The model columns: roles (dcae, vae, ...), each row's registered model depending on its set. */
  roles: string[];
  thresholds: Thresholds;
  fpr: number;
  stretch: StretchKind;
  colormap: ColormapName;
  onOpen: (item: LocalItem) => void;
  onCancel: () => void;
  /** The calibrations the page holds, for the drift summary; what it lacks is fetched. */
  calibration?: DriftModels;
}

/** Rows drawn at once: thumbnails of thousands of cutouts would make the page sluggish. */
const PAGE = 200;

export function BatchView({ batch, roles, thresholds, fpr, stretch, colormap, onOpen, onCancel, calibration }: Props) {
  const [sort, setSort] = useState<Sort>({ column: 'index', descending: false });
  const [text, setText] = useState('');
  const [verdict, setVerdict] = useState<VerdictFilter>('all');
  const [shown, setShown] = useState(PAGE);
  const total = batch.rows.length;
  const root = useRevealed<HTMLElement>(batch.startedAt);
  const drift = useBatchDrift(batch.rows, batch.running, batch.startedAt, calibration);

  const visible = useMemo(() => sortRows(filterRows(batch.rows, text, verdict, fpr), sort, fpr), [batch.rows, batch.done, text, verdict, fpr, sort]);
  const counts = useMemo(() => countStatuses(batch.rows, fpr), [batch.rows, batch.done, fpr]);

  const header = (column: SortColumn, label: string) => {
    const active = sort.column === column;
    return (
      <th scope="col" aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
        <button type="button" class="sort" onClick={() => setSort({ column, descending: active ? !sort.descending : false })}>
          {label}
          <span aria-hidden="true">{active ? (sort.descending ? ' ▼' : ' ▲') : ''}</span>
        </button>
      </th>
    );
  };

  return (
    <section ref={root} class="batch" aria-labelledby="batch-title">
      <div class="batch-head">
        <h2 id="batch-title">Batch of {total}</h2>
        <div class="progress-line" role="status" aria-live="polite">
          <progress max={total} value={batch.done} />
          <span data-testid="batch-progress">
            {batch.running ? `scoring… ${batch.done} of ${total}` : `${batch.done} of ${total} scored${batch.seconds !== undefined ? ` in ${batch.seconds.toFixed(1)} s` : ''}`}
          </span>
          {batch.running && (
            <button type="button" onClick={onCancel}>
              Stop
            </button>
          )}
        </div>
        {batch.error && (
          <div class="error" role="alert" data-testid="error">
            <strong>The batch was rejected</strong>: {batch.error.message} <code>{batch.error.code}</code>
          </div>
        )}
        <p class="summary" data-testid="batch-summary">
          At FPR {formatFpr(fpr)}: <strong>{counts.flagged}</strong> anomalous, {counts.smooth} smooth
          {counts['out of domain'] > 0 && (
            <>
              , <strong class="ood-count">{counts['out of domain']} out of domain</strong> (not judged: unlike the data of their model set)
            </>
          )}
          {counts.rejected > 0 ? `, ${counts.rejected} rejected` : ''}
        </p>
      </div>

      <div class="batch-tools">
        <label>
          Filter <input type="search" value={text} placeholder="name" onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <label>
          Show{' '}
          <select value={verdict} onChange={(e) => setVerdict(e.currentTarget.value as VerdictFilter)}>
            <option value="all">all</option>
            <option value="flagged">anomalous</option>
            <option value="smooth">smooth</option>
            <option value="out of domain">out of domain</option>
            <option value="rejected">rejected</option>
          </select>
        </label>
        <span class="spacer" />
        <button type="button" disabled={batch.running} onClick={() => download(toCsv(visible, roles, thresholds, fpr), 'darklens-batch.csv', 'text/csv')}>
          Download CSV
        </button>
        <button type="button" disabled={batch.running} onClick={() => download(toJson(visible, thresholds, fpr, drift.state === 'ready' ? drift.summaries : undefined), 'darklens-batch.json', 'application/json')}>
          Download JSON
        </button>
      </div>

      <div class="table-wrap">
        <table class="batch-table">
          <thead>
            <tr>
              {header('index', '#')}
              <th scope="col">
                <span class="visually-hidden">thumbnail</span>
              </th>
              {header('name', 'name')}
              {header('set', 'set')}
              {header('ensemble', 'ensemble p')}
              {roles.map((m) => header(`model:${m}`, m))}
              {header('verdict', 'verdict')}
            </tr>
          </thead>
          <tbody>
            {visible.slice(0, shown).map((row) => (
              <BatchRow key={row.index} row={row} roles={roles} thresholds={thresholds} fpr={fpr} stretch={stretch} colormap={colormap} onOpen={onOpen} />
            ))}
          </tbody>
        </table>
      </div>
      {visible.length > shown && (
        <button type="button" onClick={() => setShown(shown + PAGE)}>
          Show {Math.min(PAGE, visible.length - shown)} more of {visible.length - shown}
        </button>
      )}
      <DriftPanel drift={drift} />
    </section>
  );
}

function BatchRow({ row, roles, thresholds, fpr, stretch, colormap, onOpen }: { row: Row; roles: string[]; thresholds: Thresholds; fpr: number; stretch: StretchKind; colormap: ColormapName; onOpen: (item: LocalItem) => void }) {
  const r = result(row);
  const err = errorOf(row);
  const status = statusOf(row, fpr);
  const cutout = row.local?.cutout;
  const paint = useCallback(
    (canvas: HTMLCanvasElement) => {
      if (!cutout) return;
      const small = downsample(cutout, 64);
      paintStretched(canvas, small, stretchFunction(stretchLimits(small.data, stretch), stretch), LUTS[colormap], rowZeroAtBottom(cutout.format));
    },
    [cutout, stretch, colormap],
  );
  const local = row.local;
  return (
    <tr data-status={status} data-index={row.index}>
      <td class="num">{row.index + 1}</td>
      <td class="thumb">{cutout ? <ImageCanvas kind="thumbnail" label={`${row.name} thumbnail`} paint={paint} class="thumbnail" /> : null}</td>
      <td class="name">
        {local && r ? (
          <button type="button" class="link" onClick={() => onOpen(local)} title="open this cutout">
            {row.name}
          </button>
        ) : (
          row.name
        )}
        {r?.domain.outOfDomain && (
          <div class="row-ood" title={reasonsText(r)}>
            {r.domain.reasons[0]?.message ?? 'out of the set\'s domain'}
            {r.domain.reasons.length > 1 ? ` (+${r.domain.reasons.length - 1} more)` : ''}
          </div>
        )}
        {err && (
          <div class="row-error">
            {err.message} <code>{err.code}</code>
          </div>
        )}
      </td>
      <td class="set" data-testid="row-set" title={r?.set.note}>
        {r?.set.name ?? ''}
      </td>
      <td class="num">{r ? fmtP(r.ensemble.pValue) : ''}</td>
      {roles.map((m) => {
        const s = r?.models[m];
        const flagged = r && s ? modelFlaggedIn(r, s, thresholds) : false;
        return (
          <td key={m} class={`num ${flagged ? 'cell-flagged' : ''}`} title={s ? `${s.model}: p = ${fmtP(s.pValue)}, percentile ${s.percentile.toFixed(1)}` : undefined}>
            {s ? fmtLoss(s.loss) : ''}
            {flagged && <span class="visually-hidden"> (flagged)</span>}
          </td>
        );
      })}
      <td>
        {status === 'flagged' || status === 'smooth' || status === 'out of domain' ? (
          <Verdict flagged={status === 'flagged'} outOfDomain={status === 'out of domain'} small {...(r && status === 'out of domain' ? { title: reasonsText(r) } : {})} />
        ) : (
          <span class={`verdict small ${status}`} data-verdict={status}>
            {status}
          </span>
        )}
      </td>
    </tr>
  );
}
