/**
 * Model cards: what each served model is, how well it did on the held-out simulated test sets, its
 * ROC curves and score histograms (the pictures the evaluation made), its calibration histogram with
 * the threshold at the page's FPR, and where it came from.
 */
import { modelFileUrl, type ModelList } from '../api';
import { formatFpr, type CalibratedModel, type Thresholds } from '../calibration';
import { fmtLoss } from '../format';
import { Histogram } from './histogram';

interface Props {
  models: CalibratedModel[];
  thresholds: Thresholds;
  fpr: number;
  ensembles: ModelList['ensembles'];
  defaultEnsemble: string | null;
}

const METRICS: [key: string, label: string][] = [
  ['aucPooled', 'ROC AUC, pooled'],
  ['aucSpherical', 'ROC AUC, subhalos'],
  ['aucVortex', 'ROC AUC, vortex'],
  ['aupr', 'AUPR'],
  ['tprAt1', 'TPR @ 1% FPR'],
  ['tprAt5', 'TPR @ 5% FPR'],
  ['w1NoSub', 'W1, smooth lenses'],
];

const PROVENANCE: [key: string, label: string][] = [
  ['preset', 'simulation preset'],
  ['trainImages', 'training images'],
  ['validationImages', 'validation images'],
  ['epochs', 'epochs'],
  ['bestEpoch', 'best epoch'],
  ['seed', 'seed'],
  ['optimizer', 'optimizer'],
  ['schedule', 'schedule'],
  ['learningRate', 'peak learning rate'],
  ['batchSize', 'batch size'],
  ['backend', 'backend'],
  ['trainedAt', 'trained at'],
  ['registeredAtCommit', 'commit'],
  ['dataSha256', 'data sha256'],
];

function show(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(3);
  if (typeof v === 'string') return /^[0-9a-f]{40,64}$/.test(v) ? `${v.slice(0, 12)}…` : v;
  return JSON.stringify(v);
}

export function ModelsView({ models, thresholds, fpr, ensembles, defaultEnsemble }: Props) {
  return (
    <section class="models" aria-labelledby="models-title">
      <h2 id="models-title">Models</h2>
      <p class="muted">
        Four unsupervised models trained only on smooth simulated lenses; a cutout they reconstruct badly scores high. Metrics are on held-out simulated test sets of 2,500
        lenses per class.
      </p>
      {Object.keys(ensembles).length > 0 && (
        <div class="ensembles" data-testid="ensembles">
          <h3>Ensembles</h3>
          <ul>
            {Object.entries(ensembles).map(([name, e]) => (
              <li key={name}>
                <strong>{name}</strong>
                {name === defaultEnsemble ? ' (default)' : ''}: {e.members.map((x) => `${x.model} ${x.score} ×${x.weight}`).join(', ')}
                {e.chosenBy !== undefined && <p class="muted">{e.chosenBy}</p>}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div class="cards">
        {models.map(({ detail: m }) => (
          <article class="card" key={m.name} data-model={m.name}>
            <header>
              <h3>
                {m.name} <span class="muted">{m.version}</span>
              </h3>
              <span class="muted">registered {new Date(m.createdAt).toISOString().slice(0, 10)}</span>
            </header>
            <table class="kv">
              <tbody>
                {METRICS.filter(([k]) => typeof m.metrics[k] === 'number').map(([k, label]) => (
                  <tr key={k}>
                    <th scope="row">{label}</th>
                    <td>{show(m.metrics[k])}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="muted" data-testid="model-scores">
              score shown: <strong>{m.score}</strong> (default {m.defaultScore}); calibrated: {m.availableScores.map((a) => a.name).join(', ')}
            </p>
            <h4>Calibration of {m.score}: {m.calibration.count} smooth lenses</h4>
            <Histogram
              edges={m.histogram.edges}
              counts={m.histogram.counts}
              threshold={thresholds.get(m.name) ?? m.calibration.max}
              label={`${m.name} calibration histogram with the threshold at FPR ${formatFpr(fpr)}`}
            />
            <p class="muted">
              threshold at FPR {formatFpr(fpr)}: {fmtLoss(thresholds.get(m.name) ?? NaN)}; the registry&apos;s: {m.thresholds.items.map((t) => `${t.name} ${fmtLoss(t.value)}`).join(', ')}
            </p>
            <figure>
              <img src={modelFileUrl(m.name, 'roc.png')} alt={`${m.name} ROC curves on the test sets`} loading="lazy" />
              <figcaption>ROC curves</figcaption>
            </figure>
            <figure>
              <img src={modelFileUrl(m.name, 'scores.png')} alt={`${m.name} score histograms by lens class`} loading="lazy" />
              <figcaption>score histograms by class</figcaption>
            </figure>
            <details>
              <summary>Provenance</summary>
              <table class="kv">
                <tbody>
                  <tr>
                    <th scope="row">input</th>
                    <td>
                      {m.input.width}×{m.input.height} px at {m.input.pixelScale}″/px, {m.input.normalization}
                    </td>
                  </tr>
                  {PROVENANCE.filter(([k]) => m.training[k] !== undefined).map(([k, label]) => (
                    <tr key={k}>
                      <th scope="row">{label}</th>
                      <td>{show(m.training[k])}</td>
                    </tr>
                  ))}
                  <tr>
                    <th scope="row">versions</th>
                    <td>{m.versions.join(', ')}</td>
                  </tr>
                </tbody>
              </table>
              <a href={modelFileUrl(m.name, 'card.md')}>model card (Markdown)</a>
            </details>
          </article>
        ))}
      </div>
    </section>
  );
}
