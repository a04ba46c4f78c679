/**
 * Scoring on this machine with the service's own parts: a ModelStore over the registry folder,
 * onnxruntime on worker threads, parseScoreQuery for the options and scoreCutouts for the scores, so
 * a line here is the line POST /v1/score/batch gives for the same cutout.
 */
import { availableParallelism } from 'node:os';
import { DarklensError, isDarklensError, namedSet, type Cutout } from '@darklens/core';
import { decodeOptions, errorBody, fileItems, ModelStore, parseScoreQuery, planFor, rolesOf, scoreCutouts, setCalibrations, type BatchItem, type BatchLine, type ModelSet, type ScoreOptions, type ScoreResult, type ServiceLimits } from '@darklens/functions';
import { folderSource, ortNodeEngine, ortWorkerEngine, type OrtWorkerEngine } from '@darklens/functions/node';
import { pieceNames, type Piece, type Scorer } from './scorer.js';

export interface LocalScorerOptions {
  /** Registry folder. */
  registry: string;
  /** Inference worker threads (default one per core; 0: on the main thread). */
  workers?: number;
  /** The service's scoring parameters (models, score, ensemble, survey, fpr, threshold, combine, alpha, hdu). */
  query: Record<string, string>;
  limits: ServiceLimits;
}

/** What a failed read or decode becomes on its line (the CLI has no server log to point to). */
function lineError(e: unknown): DarklensError {
  return isDarklensError(e) ? e : new DarklensError('internal', `internal error: ${e instanceof Error ? e.message : String(e)}`);
}

/** Models run per cutout of the default set (to size the steps in flight); 4 when that cannot be told. */
function modelsPerCutout(set: ModelSet, options: ScoreOptions): number {
  try {
    const plan = planFor(set, options.survey === undefined ? set.defaultSet : namedSet(set.sets, options.survey), options);
    return new Set([...plan.resolved, ...plan.ensemble.members].map((m) => m.model.name)).size;
  } catch {
    return 4;
  }
}

export async function openLocalScorer(o: LocalScorerOptions): Promise<Scorer> {
  const workers = o.workers ?? availableParallelism();
  const pool: OrtWorkerEngine | undefined = workers === 0 ? undefined : ortWorkerEngine({ workers });
  const store = new ModelStore(folderSource(o.registry), pool ?? ortNodeEngine());
  try {
    const set = await store.reload();
    const { options, hdu } = parseScoreQuery(o.query, set);
    set.acquire(); // held until close(), as a batch holds its set
    const decode = decodeOptions(o.limits, hdu);
    // Enough steps at once that every worker has a model run to do while the main thread prepares the next.
    const concurrency = Math.max(2, Math.ceil(Math.max(1, workers) / modelsPerCutout(set, options)) + 1);

    const cutoutsOf = (p: Piece): { names: string[]; cutouts: (Cutout | DarklensError)[] } => {
      const names = pieceNames(p);
      if ('error' in p) return { names, cutouts: names.map(() => p.error) };
      let items: BatchItem[];
      try {
        items = fileItems({ name: p.name, bytes: p.bytes, ...(p.first === undefined ? {} : { first: p.first }) }, decode);
      } catch (e) {
        return { names, cutouts: names.map(() => lineError(e)) };
      }
      const cutouts = items.map((it) => {
        try {
          return it.load();
        } catch (e) {
          return lineError(e);
        }
      });
      if (items.length === p.count) return { names: items.map((it) => it.name), cutouts };
      // The file no longer holds what planning counted (it changed, or is broken as a whole).
      const why = cutouts.length === 1 && cutouts[0] instanceof DarklensError ? cutouts[0] : new DarklensError('unavailable', `${p.name} holds ${items.length} cutouts where ${p.count} were counted: it changed while being scored`);
      return { names, cutouts: names.map(() => why) };
    };

    return {
      roles: options.models ?? rolesOf(set),
      concurrency,
      async score(pieces: readonly Piece[], index: number): Promise<BatchLine[]> {
        const names: string[] = [];
        const cutouts: (Cutout | DarklensError)[] = [];
        for (const p of pieces) {
          const got = cutoutsOf(p);
          names.push(...got.names);
          cutouts.push(...got.cutouts);
        }
        let results: (ScoreResult | DarklensError)[];
        try {
          results = await scoreCutouts(set, cutouts, options);
        } catch (e) {
          // As the batch route: an error of the whole step is every cutout's; anything else is a bug.
          if (!isDarklensError(e)) throw e;
          results = cutouts.map(() => e);
        }
        return results.map((r, j) => {
          const head = { index: index + j, name: names[j]! };
          return r instanceof DarklensError ? { ...head, ...errorBody(r) } : { ...head, ...r };
        });
      },
      calibrations: setCalibrations(set),
      async close(): Promise<void> {
        set.release();
        store.close();
        await pool?.close();
      },
    };
  } catch (e) {
    store.close();
    await pool?.close();
    throw e;
  }
}
