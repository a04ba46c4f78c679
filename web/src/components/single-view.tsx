/**
 * One cutout: the ensemble verdict on top, with the model set that scored it and why (and a warning
 * when the cutout is out of that set's domain: then nothing is flagged); the cutout with the chosen
 * stretch, a model's reconstruction and its residual side by side; then each model's score against
 * its calibration histogram, with p-value, percentile and verdict at the page's FPR.
 */
import { useCallback, useMemo, useState } from 'preact/hooks';
import { useRevealed } from './reveal';
import type { ApiError, ImageOutput, ModelScore, ScoreResult } from '../api';
import { ensembleFlagged, formatFpr, modelFlaggedIn, thresholdOf, verdictAt, type CalibratedModel, type Thresholds } from '../calibration';
import { rowZeroAtBottom, type LocalItem } from '../files';
import { fmtLoss, fmtP, fmtPercentile } from '../format';
import { LUTS, type ColormapName } from '../render/colormap';
import { paintDiverging, paintStretched, type FloatImage } from '../render/paint';
import { stretchFunction, stretchLimits, type StretchKind } from '../render/stretch';
import { Histogram } from './histogram';
import { ImageCanvas } from './image-canvas';
import { Verdict } from './verdict';

export interface SingleState {
  local: LocalItem;
  pending: boolean;
  result?: ScoreResult;
  error?: ApiError;
}

interface Props {
  state: SingleState;
  models: CalibratedModel[];
  thresholds: Thresholds;
  fpr: number;
  stretch: StretchKind;
  colormap: ColormapName;
  onBack?: () => void;
}

function arrayImage(out: ImageOutput | undefined): FloatImage | undefined {
  if (!out?.array) return undefined;
  const [height, width] = out.array.shape;
  return { width, height, data: out.array.data };
}

export function SingleView({ state, models, thresholds, fpr, stretch, colormap, onBack }: Props) {
  const { local, result, error, pending } = state;
  const names = result ? Object.keys(result.models) : [];
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const selected = chosen !== undefined && names.includes(chosen) ? chosen : names[0];
  const flipY = rowZeroAtBottom(local.cutout?.format ?? result?.input.format ?? '');
  const flaggedCount = result ? names.filter((n) => modelFlaggedIn(result, result.models[n]!, thresholds)).length : 0;
  const verdict = result ? verdictAt(result, fpr) : undefined;
  const ood = verdict === 'out of domain';

  const paintInput = useCallback(
    (canvas: HTMLCanvasElement) => {
      const img: FloatImage | undefined = local.cutout ?? arrayImage(selected ? result?.models[selected]?.outputs?.input : undefined);
      if (!img) return;
      paintStretched(canvas, img, stretchFunction(stretchLimits(img.data, stretch), stretch), LUTS[colormap], flipY);
    },
    [local, result, selected, stretch, colormap, flipY],
  );
  const outputs = selected ? result?.models[selected]?.outputs : undefined;
  const paintReconstruction = useCallback(
    (canvas: HTMLCanvasElement) => {
      const recon = arrayImage(outputs?.reconstruction);
      if (!recon) return;
      // The limits of what the model was given, so input and reconstruction share one scale.
      const ref = arrayImage(outputs?.input) ?? recon;
      paintStretched(canvas, recon, stretchFunction(stretchLimits(ref.data, stretch), stretch), LUTS[colormap], flipY);
    },
    [outputs, stretch, colormap, flipY],
  );
  const paintResidual = useCallback(
    (canvas: HTMLCanvasElement) => {
      const res = arrayImage(outputs?.residual);
      if (res) paintDiverging(canvas, res, outputs?.residual?.scale ?? 0, flipY);
    },
    [outputs, flipY],
  );

  const info = result?.input;
  const byName = useMemo(() => new Map(models.map((m) => [m.detail.name, m])), [models]);
  const root = useRevealed<HTMLElement>(local);

  return (
    <section ref={root} class="single" aria-labelledby="single-title" aria-busy={pending}>
      <div class="single-head">
        {onBack && (
          <button type="button" class="link" onClick={onBack}>
            ← back to the batch
          </button>
        )}
        <h2 id="single-title" class="file-name">{local.name}</h2>
      </div>

      {error && (
        <div class="error" role="alert" data-testid="error">
          <strong>{local.name} was rejected</strong>: {error.message} <code>{error.code}</code>
        </div>
      )}
      {pending && <p class="status" role="status">Scoring {local.name}…</p>}

      {result && ood && (
        <div class="warning" role="alert" data-testid="out-of-domain">
          <strong>Out of domain for set {result.set.name}</strong>: this cutout is unlike the data the set&apos;s models were trained and calibrated on, so its scores
          mean nothing and it is flagged at no FPR.
          {result.domain.reasons.length > 0 && (
            <ul>
              {result.domain.reasons.map((r, i) => (
                <li key={i} data-check={r.check}>
                  {r.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}

      {result && (
        <div class={`ensemble ${ood ? 'out-of-domain' : ensembleFlagged(result, fpr) ? 'flagged' : 'smooth'}`} data-testid="ensemble">
          <div>
            <span class="ensemble-label">Ensemble</span> <Verdict flagged={ensembleFlagged(result, fpr)} outOfDomain={ood} />
          </div>
          <p>
            p = <strong data-testid="ensemble-p">{fmtP(result.ensemble.pValue)}</strong> ({result.ensemble.name !== null ? `ensemble ${result.ensemble.name}: ` : ''}
            {result.ensemble.method} combination of {result.ensemble.members.map((m) => `${m.model} ${m.score}${result.ensemble.name !== null ? ` ×${m.weight}` : ''}`).join(', ')})
            {ood ? '; not judged: out of its set\'s domain.' : `, ${ensembleFlagged(result, fpr) ? '≤' : '>'} α = FPR ${formatFpr(fpr)}. ${flaggedCount} of ${names.length} models flag it.`}
          </p>
          <p data-testid="set" data-set={result.set.name} data-routed-by={result.set.routedBy}>
            Model set <strong>{result.set.name}</strong> <span class="muted">— {result.set.note}</span>
          </p>
          {info && (
            <p class="muted">
              {info.format.toUpperCase()} {info.width}×{info.height}
              {info.pixelScale !== null ? `, ${info.pixelScale.toPrecision(3)}″/px${info.assumedPixelScale ? ' (assumed)' : ''}` : ''}
              {info.psfFwhm !== null ? `, PSF ${info.psfFwhm.toPrecision(3)}″` : ''}
              {info.resampled ? `, resampled ${info.resampled.fromScale.toPrecision(3)} → ${info.resampled.toScale.toPrecision(3)}″/px` : ''}
              {info.masked > 0 ? `, ${info.masked} masked pixels` : ''}
            </p>
          )}
        </div>
      )}

      {(local.cutout || result) && (
        <div class="triptych">
          <figure>
            <ImageCanvas kind="input" label={`the cutout, ${stretch} stretch`} paint={paintInput} />
            <figcaption>cutout ({stretch})</figcaption>
          </figure>
          {result && selected && (
            <>
              <figure>
                <ImageCanvas kind="reconstruction" label={`${selected} reconstruction`} paint={paintReconstruction} />
                <figcaption>{selected} reconstruction</figcaption>
              </figure>
              <figure>
                <ImageCanvas kind="residual" label={`${selected} residual, reconstruction minus input`} paint={paintResidual} />
                <figcaption>
                  residual <span class="swatch neg" /> − <span class="swatch pos" /> + (±{(outputs?.residual?.scale ?? 0).toPrecision(2)})
                </figcaption>
              </figure>
            </>
          )}
        </div>
      )}

      {result && (
        <>
          <fieldset class="segmented model-choice">
            <legend>Images of model</legend>
            {names.map((n) => (
              <label key={n}>
                <input type="radio" name="image-model" value={n} checked={n === selected} onChange={() => setChosen(n)} />
                <span>{n}</span>
              </label>
            ))}
          </fieldset>
          <p class="legend muted">
            Each histogram: the model&apos;s scores of {models[0]?.detail.calibration.count ?? ''} smooth calibration lenses, the threshold at FPR {formatFpr(fpr)}{' '}
            <span class="key threshold" aria-hidden="true" /> and this cutout&apos;s score <span class="key score" aria-hidden="true" /> (red when flagged).
          </p>
          <ul class="model-scores">
            {names.map((n) => (
              <ModelRow
                key={n}
                name={n}
                score={result.models[n]!}
                model={byName.get(result.models[n]!.model)}
                threshold={thresholdOf(thresholds, result.models[n]!)}
                flagged={modelFlaggedIn(result, result.models[n]!, thresholds)}
                outOfDomain={ood}
                fpr={fpr}
              />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

interface RowProps {
  /** The role (dcae, vae, ...). */
  name: string;
  score: ModelScore;
  model: CalibratedModel | undefined;
  threshold: number | undefined;
  flagged: boolean;
  outOfDomain: boolean;
  fpr: number;
}

function ModelRow({ name, score, model, threshold, flagged, outOfDomain, fpr }: RowProps) {
  return (
    <li class={`model-score ${outOfDomain ? 'out-of-domain' : flagged ? 'flagged' : 'smooth'}`} data-model={name} data-registered={score.model}>
      <div class="model-score-head">
        <h3>
          {name} <span class="muted">{score.model !== name ? `${score.model} ` : ''}{score.version} · score {score.score}</span>
        </h3>
        <Verdict flagged={flagged} outOfDomain={outOfDomain} small />
      </div>
      {model && threshold !== undefined && (
        <Histogram
          edges={model.detail.histogram.edges}
          counts={model.detail.histogram.counts}
          threshold={threshold}
          score={score.loss}
          flagged={flagged}
          label={`${name}: score ${fmtLoss(score.loss)} against ${model.detail.calibration.count} smooth calibration lenses; threshold ${fmtLoss(threshold)}`}
        />
      )}
      <dl class="numbers">
        <div>
          <dt>score</dt>
          <dd>{fmtLoss(score.loss)}</dd>
        </div>
        <div>
          <dt>threshold @ {formatFpr(fpr)}</dt>
          <dd data-testid="threshold">{threshold === undefined ? '–' : fmtLoss(threshold)}</dd>
        </div>
        <div>
          <dt>p-value</dt>
          <dd>{fmtP(score.pValue)}</dd>
        </div>
        <div>
          <dt>percentile</dt>
          <dd>{fmtPercentile(score.percentile)}</dd>
        </div>
      </dl>
    </li>
  );
}
