/**
 * Model cards, grouped by model set (the survey domain they were trained for; the default set
 * first): what each served model is, how well it did on the held-out simulated test sets, its
 * ROC curves and score histograms (the pictures the evaluation made), its calibration histogram with
 * the threshold at the page's FPR, and where it came from.
 */
import type { ComponentChildren } from 'preact';
import { modelFileUrl, type ModelList } from '../api';
import { formatFpr, type CalibratedModel, type Thresholds } from '../calibration';
import { fmtLoss } from '../format';
import { domainLine, groupBySet, type SetGroup } from '../sets';
import { Histogram } from './histogram';

interface Props {
  models: CalibratedModel[];
  thresholds: Thresholds;
  fpr: number;
  ensembles: ModelList['ensembles'];
  sets: ModelList['sets'];
  defaultSet: string;
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

export function ModelsView({ models, thresholds, fpr, ensembles, sets, defaultSet }: Props) {
  const byName = new Map(models.map((m) => [m.detail.name, m]));
  const groups = groupBySet(sets, models.map((m) => m.detail.name));
  return (
    <section class="models" aria-labelledby="models-title">
      <h2 id="models-title">Models</h2>
      <p class="muted">
        Unsupervised models trained only on smooth simulated lenses; a cutout they reconstruct badly scores high. They come in sets, one per survey domain (pixel scale, PSF,
        noise): a cutout is scored by the set of its domain, and one unlike that set&apos;s data is called out of domain instead of anomalous. Metrics are on held-out
        simulated test sets.
      </p>
      <p data-testid="default-set">
        Default set: <strong>{defaultSet}</strong> <span class="muted">(it scores files that state no pixel scale)</span>
      </p>
      {groups.map((g) => (
        <SetSection key={g.set?.name ?? ''} group={g} ensembles={ensembles}>
          <div class="cards">
            {g.cards.map((name) => {
              const m = byName.get(name);
              return m ? <ModelCard key={name} model={m} roles={g.roles.filter((r) => r.model === name).map((r) => r.role)} thresholds={thresholds} fpr={fpr} /> : null;
            })}
          </div>
        </SetSection>
      ))}
    </section>
  );
}

function SetSection({ group, ensembles, children }: { group: SetGroup; ensembles: ModelList['ensembles']; children: ComponentChildren }) {
  const { set, roles } = group;
  if (set === null) {
    return (
      <section class="model-set" data-set="" aria-label="Models in no set">
        <h3>Models in no set</h3>
        {children}
      </section>
    );
  }
  const offered = Object.entries(set.ensembles);
  return (
    <section class="model-set" data-set={set.name} aria-labelledby={`set-${set.name}`}>
      <header>
        <h3 id={`set-${set.name}`}>
          Set {set.name}
          {set.default && <span class="badge">default</span>}
        </h3>
        {set.aliases.length > 0 && <span class="muted">also survey={set.aliases.join(', ')}</span>}
      </header>
      <p class="domain" data-testid="set-domain">
        {domainLine(set.domain) || 'no domain stated'}
      </p>
      <p class="muted">
        Roles: {roles.map((r) => (r.role === r.model ? r.role : `${r.role} → ${r.model}`)).join(', ')}
      </p>
      {offered.length > 0 && (
        <div class="ensembles" data-testid="ensembles">
          <h4>Ensembles</h4>
          <ul>
            {offered.map(([name, registered]) => {
              const e = ensembles[registered];
              return (
                <li key={name}>
                  <strong>{name}</strong>
                  {registered !== name ? <span class="muted"> ({registered})</span> : ''}
                  {name === set.defaultEnsemble ? ' (default)' : ''}
                  {e ? `: ${e.members.map((x) => `${x.model} ${x.score} ×${x.weight}`).join(', ')}` : ''}
                  {e?.chosenBy !== undefined && <p class="muted">{e.chosenBy}</p>}
                </li>
              );
            })}
          </ul>
        </div>
      )}
      {children}
    </section>
  );
}

function ModelCard({ model, roles, thresholds, fpr }: { model: CalibratedModel; roles: string[]; thresholds: Thresholds; fpr: number }) {
  const m = model.detail;
  return (
    <article class="card" data-model={m.name}>
      <header>
        <h4>
          {m.name} <span class="muted">{m.version}</span>
        </h4>
        <span class="muted">registered {new Date(m.createdAt).toISOString().slice(0, 10)}</span>
      </header>
      {roles.some((r) => r !== m.name) && <p class="muted">role {roles.join(', ')}</p>}
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
      <h5>Calibration of {m.score}: {m.calibration.count} smooth lenses</h5>
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
  );
}
