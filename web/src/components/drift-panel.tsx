/**
 * Under the batch table: does this batch look like the data its models were calibrated on? Per model
 * set, the warnings in plain words (or that it looks like the calibration data), each model's KS test
 * against its calibration scores and median shift, and the input facts. Computed in the page once the
 * batch has finished (see ../drift.ts).
 */
import { useEffect, useState } from 'preact/hooks';
import { formatDriftP, type DriftSummary } from '@darklens/core';
import type { Row } from '../batch';
import { batchDrift, driftModels, resultLines, type DriftModels } from '../drift';

export type DriftState = { state: 'idle' } | { state: 'loading' } | { state: 'ready'; summaries: DriftSummary[] } | { state: 'failed'; error: string };

/** The batch's drift summaries, computed when it stops running (finished or stopped). */
export function useBatchDrift(rows: Row[], running: boolean, startedAt: number, have?: DriftModels): DriftState {
  const [drift, setDrift] = useState<DriftState>({ state: 'idle' });
  useEffect(() => {
    const lines = resultLines(rows);
    if (running || lines.length === 0) {
      setDrift({ state: 'idle' });
      return;
    }
    let current = true;
    setDrift({ state: 'loading' });
    driftModels(lines, have)
      .then((dm) => current && setDrift({ state: 'ready', summaries: batchDrift(rows, dm) }))
      .catch((e: unknown) => current && setDrift({ state: 'failed', error: e instanceof Error ? e.message : String(e) }));
    return () => {
      current = false;
    };
    // rows change with every line; the summary is of the batch as it ended.
  }, [running, startedAt, have]);
  return drift;
}

const pct = (f: number): string => `${+(100 * f).toPrecision(2)}%`;
const num = (v: number): string => String(+v.toPrecision(3));

function InputFacts({ s }: { s: DriftSummary }) {
  const { input, domain } = s;
  const scales = input.pixelScales.map((p) => `${p.pixelScale === null ? 'not stated' : `${num(p.pixelScale)}"/px`} ×${p.count}`).join(', ');
  const psfs = input.psfFwhms.map((p) => `${num(p.psfFwhm)}" ×${p.count}`).join(', ');
  const sizes = input.sizes.map((z) => `${z.width}×${z.height} ×${z.count}`).join(', ');
  return (
    <p class="hint muted" data-testid="drift-input">
      Input: pixel scale {scales}
      {domain ? ` (models: ${num(domain.pixelScale)}"/px)` : ''}; {psfs ? `PSF ${psfs}; ` : ''}size {sizes}; masked {pct(input.maskedFraction.mean)} on average, {pct(input.maskedFraction.max)} at most; noise
      proxy median {input.noise.median === null ? 'n/a' : num(input.noise.median)}
      {domain?.noise ? ` (calibration range ${num(domain.noise[0])}–${num(domain.noise[1])}: ${pct(input.noise.below)} below, ${pct(input.noise.above)} above)` : ''}; out of domain{' '}
      {s.outOfDomain.count} ({pct(s.outOfDomain.fraction)}){s.failed > 0 ? `; ${s.failed} rejected in the batch` : ''}.
    </p>
  );
}

/** Every warning is about scores (the inputs look like the calibration data's). */
const scoresOnly = (s: DriftSummary): boolean => s.models.filter((m) => m.drifted).length === s.warnings.length;

function SetDrift({ s }: { s: DriftSummary }) {
  return (
    <>
      {s.drifted ? (
        <div class="warning" role="status" data-testid="drift-warnings">
          <strong>Set {s.set}: this batch looks unlike the calibration data</strong> ({s.cutouts} cutouts).
          <ul>
            {s.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
          {scoresOnly(s) && <p class="hint muted">Only the scores differ: lenses with substructure raise them too, so this may be a batch rich in anomalies rather than other data.</p>}
        </div>
      ) : (
        <p class="hint" data-testid="drift-ok">
          Set <strong>{s.set}</strong>: looks like the calibration data ({s.cutouts} cutouts).
        </p>
      )}
      {s.models.length > 0 && (
        // The single view's model cards; drifted ones in the out-of-domain colour (not "flagged":
        // that word is for lenses).
        <ul class="model-scores" data-testid="drift-models">
          {s.models.map((m) => (
            <li key={`${m.role}/${m.model}/${m.score}`} class={`model-score${m.drifted ? ' out-of-domain' : ''}`} data-drifted={m.drifted}>
              <h4>
                {m.role} <span class="muted">{m.model !== m.role ? `${m.model}, ` : ''}score {m.score}</span>
              </h4>
              <dl class="numbers">
                <dt title="two-sample Kolmogorov-Smirnov test against the model's calibration scores (smooth lenses)">KS p</dt>
                <dd>{formatDriftP(m.ksPValue).replace(/^= /, '')}</dd>
                <dt title="(batch median - calibration median) / calibration interquartile range">median shift</dt>
                <dd>{m.medianShift === null ? 'n/a' : `${m.medianShift >= 0 ? '+' : ''}${m.medianShift.toFixed(2)} IQR`}</dd>
                <dt>KS D</dt>
                <dd>{num(m.ksStatistic)}</dd>
                <dt>cutouts</dt>
                <dd>
                  {m.n}
                  {m.tested ? '' : ' (too few to warn)'}
                </dd>
              </dl>
            </li>
          ))}
        </ul>
      )}
      <InputFacts s={s} />
    </>
  );
}

export function DriftPanel({ drift }: { drift: DriftState }) {
  if (drift.state === 'idle') return null;
  return (
    <section class="batch-head drift" aria-labelledby="drift-title" data-testid="drift-panel">
      <h3 id="drift-title">Drift: does this batch look like the calibration data?</h3>
      {drift.state === 'loading' && (
        <p class="status" role="status">
          Comparing with the calibration data…
        </p>
      )}
      {drift.state === 'failed' && <p class="status">The drift summary could not be computed: {drift.error}</p>}
      {drift.state === 'ready' && drift.summaries.map((s) => <SetDrift key={s.set} s={s} />)}
    </section>
  );
}
