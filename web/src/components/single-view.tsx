/**
 * One cutout: the ensemble verdict on top; the cutout with the chosen stretch, a model's
 * reconstruction and its residual side by side; then each model's score against its calibration
 * histogram, with p-value, percentile and verdict at the page's FPR.
 */
import { useCallback, useMemo, useState } from 'preact/hooks';
import { useRevealed } from './reveal';
import type { ApiError, ImageOutput, ModelScore, ScoreResult } from '../api';
import { ensembleFlagged, formatFpr, modelFlagged, type CalibratedModel, type Thresholds } from '../calibration';
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
  const flaggedCount = result ? names.filter((n) => modelFlagged(result.models[n]!.loss, thresholds.get(n))).length : 0;

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

      {result && (
        <div class={`ensemble ${ensembleFlagged(result, fpr) ? 'flagged' : 'smooth'}`} data-testid="ensemble">
          <div>
            <span class="ensemble-label">Ensemble</span> <Verdict flagged={ensembleFlagged(result, fpr)} />
          </div>
          <p>
            p = <strong data-testid="ensemble-p">{fmtP(result.ensemble.pValue)}</strong> ({result.ensemble.name !== null ? `ensemble ${result.ensemble.name}: ` : ''}
            {result.ensemble.method} combination of {result.ensemble.members.map((m) => `${m.model} ${m.score}${result.ensemble.name !== null ? ` ×${m.weight}` : ''}`).join(', ')}),{' '}
            {ensembleFlagged(result, fpr) ? '≤' : '>'} α = FPR {formatFpr(fpr)}. {flaggedCount} of {names.length} models flag it.
          </p>
          {info && (
            <p class="muted">
              {info.format.toUpperCase()} {info.width}×{info.height}
              {info.pixelScale !== null ? `, ${info.pixelScale.toPrecision(3)}″/px${info.assumedPixelScale ? ' (assumed)' : ''}` : ''}
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
              <ModelRow key={n} name={n} score={result.models[n]!} model={byName.get(n)} threshold={thresholds.get(n)} fpr={fpr} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function ModelRow({ name, score, model, threshold, fpr }: { name: string; score: ModelScore; model: CalibratedModel | undefined; threshold: number | undefined; fpr: number }) {
  const flagged = modelFlagged(score.loss, threshold);
  return (
    <li class={`model-score ${flagged ? 'flagged' : 'smooth'}`} data-model={name}>
      <div class="model-score-head">
        <h3>
          {name} <span class="muted">{score.version} · score {score.score}</span>
        </h3>
        <Verdict flagged={flagged} small />
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
