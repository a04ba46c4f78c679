/**
 * The page: a header with the FPR slider and display controls that apply everywhere, the upload
 * area with the model set chooser, then either one cutout, a batch, or the model cards.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { API_BASE, ApiError, scoreBatch, scoreOne, type BatchLine, type ScoreChoice } from './api';
import { DEFAULT_FPR, FPR_STOPS, formatFpr, loadModels, thresholdsAt, verdictChoices, type CalibratedModel, type LoadedModels } from './calibration';
import { BatchView, type BatchState } from './components/batch-view';
import { ModelsView } from './components/models-view';
import { SingleView, type SingleState } from './components/single-view';
import { Upload } from './components/upload';
import { expandFiles, type LocalItem } from './files';
import { COLORMAPS, type ColormapName } from './render/colormap';
import { STRETCHES, type StretchKind } from './render/stretch';
import { allRoles, AUTO, setChoices } from './sets';
import type { Row } from './batch';

type View = 'score' | 'models';
interface Flight {
  gen: number;
  abort: AbortController | null;
}

/** Cancels the request in flight of this kind and starts the next generation. */
function next(req: Flight): { gen: number; signal: AbortSignal } {
  req.abort?.abort();
  req.abort = new AbortController();
  return { gen: ++req.gen, signal: req.abort.signal };
}

const NO_MODELS: CalibratedModel[] = [];
type Models = { state: 'loading' } | ({ state: 'ready' } & LoadedModels) | { state: 'failed'; error: string };

function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError('internal', e instanceof Error ? e.message : String(e), 0);
}

function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

export function App() {
  const [models, setModels] = useState<Models>({ state: 'loading' });
  const [fpr, setFpr] = useState(DEFAULT_FPR);
  const [stretch, setStretch] = useState<StretchKind>('asinh');
  const [colormap, setColormap] = useState<ColormapName>('magma');
  const [view, setView] = useState<View>('score');
  // What the verdict is made of; undefined: the first choice the chosen set offers (its default ensemble).
  const [choiceKey, setChoiceKey] = useState<string | undefined>(undefined);
  // Which model set scores new cutouts: a set's name, or auto (the API routes each by its header).
  const [survey, setSurvey] = useState(AUTO);
  const [single, setSingle] = useState<SingleState | null>(null);
  const [batch, setBatch] = useState<BatchState | null>(null);
  const [preparing, setPreparing] = useState(false);
  // Only the latest request of each kind may write its answer: a slow earlier one must not
  // overwrite it. Opening one cutout of a running batch leaves the batch running.
  const singleReq = useRef<Flight>({ gen: 0, abort: null });
  const batchReq = useRef<Flight>({ gen: 0, abort: null });

  const choices = models.state === 'ready' ? verdictChoices(models, survey) : [];
  // A choice the newly chosen set does not offer falls back to the set's first.
  const chosen = choices.find((c) => c.value === choiceKey) ?? choices[0];
  const request: ScoreChoice = { verdict: chosen?.choice, survey };
  const requestRef = useRef<ScoreChoice>(request);
  requestRef.current = request;

  // Each score has its own calibrations (the slider's thresholds): reload them when it changes.
  const calibratedScore = chosen?.choice?.kind === 'score' ? chosen.choice.score : undefined;
  useEffect(() => {
    loadModels(calibratedScore === undefined ? undefined : { kind: 'score', score: calibratedScore })
      .then((m) => setModels({ state: 'ready', ...m }))
      .catch((e: unknown) => setModels({ state: 'failed', error: asApiError(e).message }));
  }, [calibratedScore]);

  const list = models.state === 'ready' ? models.models : NO_MODELS;
  const thresholds = useMemo(() => thresholdsAt(list, fpr), [list, fpr]);
  const roles = models.state === 'ready' ? allRoles(models.sets) : [];
  const setOptions = models.state === 'ready' ? setChoices(models.sets) : [];

  const openSingle = useCallback((local: LocalItem) => {
    const req = singleReq.current;
    const { gen, signal } = next(req);
    setView('score');
    setSingle({ local, pending: true });
    scoreOne(local.name, local.blob, signal, requestRef.current)
      .then((result) => gen === req.gen && setSingle({ local, pending: false, result }))
      .catch((e: unknown) => !isAbort(e) && gen === req.gen && setSingle({ local, pending: false, error: asApiError(e) }));
  }, []);

  const runBatch = useCallback((files: File[], items: LocalItem[]) => {
    next(singleReq.current);
    const req = batchReq.current;
    const { gen, signal } = next(req);
    const rows: Row[] = items.map((local, index) => ({ index, name: local.name, local }));
    const startedAt = performance.now();
    let state: BatchState = { rows, done: 0, running: true, startedAt };
    setSingle(null);
    setBatch(state);
    // Lines arrive faster than the page can redraw a big table: apply them once per frame.
    let pending: BatchLine[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      if (gen !== req.gen || pending.length === 0) return;
      const next = state.rows.slice();
      for (const line of pending) {
        const prev = next[line.index];
        // The server and the page expand files alike; if not, the row has no local cutout.
        next[line.index] = prev && prev.name === line.name ? { ...prev, line } : { index: line.index, name: line.name, line };
      }
      state = { ...state, rows: next, done: state.done + pending.length };
      pending = [];
      setBatch(state);
    };
    const finish = (error?: ApiError) => {
      if (frame) cancelAnimationFrame(frame);
      flush();
      if (gen !== req.gen) return;
      state = { ...state, running: false, seconds: (performance.now() - startedAt) / 1000, ...(error ? { error } : {}) };
      setBatch(state);
    };
    scoreBatch(
      files.map((f) => ({ name: f.name, blob: f })),
      (line) => {
        pending.push(line);
        if (!frame) frame = requestAnimationFrame(flush);
      },
      signal,
      requestRef.current,
    )
      .then(() => finish())
      .catch((e: unknown) => finish(isAbort(e) ? undefined : asApiError(e)));
  }, []);

  const onFiles = useCallback(
    (files: File[]) => {
      setPreparing(true);
      setView('score');
      void expandFiles(files)
        .then((items) => {
          if (files.length === 1 && items.length === 1) {
            next(batchReq.current);
            setBatch(null);
            openSingle(items[0]!);
          } else runBatch(files, items);
        })
        .finally(() => setPreparing(false));
    },
    [openSingle, runBatch],
  );

  // A file dropped beside the drop zone must not make the browser navigate away from the page.
  useEffect(() => {
    const stop = (e: DragEvent) => e.preventDefault();
    window.addEventListener('dragover', stop);
    window.addEventListener('drop', stop);
    return () => {
      window.removeEventListener('dragover', stop);
      window.removeEventListener('drop', stop);
    };
  }, []);

  /** Scores the cutout on screen again under a new choice (the ref first: the next render comes later). */
  const rescore = (choice: ScoreChoice) => {
    requestRef.current = choice;
    const shown = single?.local;
    if (shown !== undefined) openSingle(shown);
  };

  const stopIndex = FPR_STOPS.indexOf(fpr);

  return (
    <>
      <header class="top">
        <div class="brand">
          <h1>darklens</h1>
          <span class="muted">dark-matter substructure in strong lenses</span>
        </div>
        <nav aria-label="Views">
          <button type="button" aria-pressed={view === 'score'} onClick={() => setView('score')}>
            Score
          </button>
          <button type="button" aria-pressed={view === 'models'} onClick={() => setView('models')}>
            Models
          </button>
        </nav>
        <div class="controls">
          <label class="fpr">
            <span>
              FPR <output id="fpr-value" data-testid="fpr-value">{formatFpr(fpr)}</output>
            </span>
            <input
              id="fpr"
              type="range"
              min={0}
              max={FPR_STOPS.length - 1}
              step={1}
              value={stopIndex}
              aria-valuetext={`false-positive rate ${formatFpr(fpr)}`}
              onInput={(e) => setFpr(FPR_STOPS[Number(e.currentTarget.value)] ?? DEFAULT_FPR)}
            />
          </label>
          <fieldset class="segmented">
            <legend class="visually-hidden">Stretch</legend>
            {STRETCHES.map((s) => (
              <label key={s.kind} title={s.hint}>
                <input type="radio" name="stretch" value={s.kind} checked={stretch === s.kind} onChange={() => setStretch(s.kind)} />
                <span>{s.label}</span>
              </label>
            ))}
          </fieldset>
          {choices.length > 1 && (
            <label>
              <span class="visually-hidden">Verdict</span>
              <select
                data-testid="verdict-choice"
                title="What the verdict combines: a named ensemble of the registry, or every model at one score"
                value={chosen?.value}
                onChange={(e) => {
                  const value = e.currentTarget.value;
                  setChoiceKey(value);
                  rescore({ ...request, verdict: choices.find((c) => c.value === value)?.choice });
                }}
              >
                {choices.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            <span class="visually-hidden">Colour map</span>
            <select value={colormap} onChange={(e) => setColormap(e.currentTarget.value as ColormapName)}>
              {COLORMAPS.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
        </div>
      </header>

      <main>
        {models.state === 'failed' && (
          <div class="error" role="alert">
            <strong>The models could not be loaded</strong>: {models.error}
          </div>
        )}
        {models.state === 'loading' && <p class="status" role="status">Loading the models…</p>}

        {view === 'score' && (
          <>
            <Upload
              onFiles={onFiles}
              busy={preparing || batch?.running === true}
              sets={setOptions}
              survey={survey}
              onSurvey={(value) => {
                setSurvey(value);
                if (models.state !== 'ready') return;
                const offered = verdictChoices(models, value);
                rescore({ survey: value, verdict: (offered.find((c) => c.value === choiceKey) ?? offered[0])?.choice });
              }}
            />
            {preparing && <p class="status" role="status">Reading files…</p>}
            {single && (
              <SingleView
                state={single}
                models={list}
                thresholds={thresholds}
                fpr={fpr}
                stretch={stretch}
                colormap={colormap}
                {...(batch
                  ? {
                      onBack: () => {
                        next(singleReq.current);
                        setSingle(null);
                      },
                    }
                  : {})}
              />
            )}
            {batch && !single && (
              <BatchView
                batch={batch}
                roles={roles}
                thresholds={thresholds}
                fpr={fpr}
                stretch={stretch}
                colormap={colormap}
                onOpen={openSingle}
                onCancel={() => batchReq.current.abort?.abort()}
                {...(models.state === 'ready' ? { calibration: models } : {})}
              />
            )}
            {!single && !batch && (
              <p class="hint muted">
                Each cutout is scored by the model set of its survey (autoencoder-type models trained on smooth lenses; one unlike their data is called out of domain); the
                FPR slider sets how many smooth lenses you accept to flag.
              </p>
            )}
          </>
        )}
        {view === 'models' && models.state === 'ready' && (
          <ModelsView models={list} thresholds={thresholds} fpr={fpr} ensembles={models.ensembles} sets={models.sets} defaultSet={models.defaultSet} />
        )}
      </main>
      <footer class="foot muted">
        The same scores from scripts: <a href={`${API_BASE}/docs`}>API documentation</a> · <a href={`${API_BASE}/openapi.json`}>OpenAPI</a>
      </footer>
    </>
  );
}
