/**
 * `darklens score --api URL`: the run's steps scored by a darklens service through its jobs API
 * instead of on this machine. Each step becomes one job (POST /v1/jobs, its pieces as a multipart
 * form, `chunk` = the step's cutouts so the job is one chunk), followed on GET /v1/jobs/{id}/results
 * until it is complete; its lines go back to the pieces by the upload's numbering (job-upload.ts).
 *
 * One job per step, not one job for the whole run: the step is what the progress file records, so
 * Ctrl-C or a crash loses at most the steps in flight, a failed or cancelled job touches one step,
 * and a rerun sends the same steps again as the same jobs (same cutouts per chunk: the same scores,
 * bit for bit, as the service scores a chunk the same way each time). Several jobs are in flight
 * (`concurrency`) so the service always has queued work while the client uploads and reads.
 *
 * Roles, calibrations (for the drift summary) and the served model versions (for the resume
 * fingerprint) come from GET /v1/models and GET /v1/models/{name}, the routes the web page reads.
 */
import { createHash } from 'node:crypto';
import { DarklensError, sliceNpyStack, type DriftCalibrations, type DriftDomain } from '@darklens/core';
import { errorBody, rolesOf, type BatchLine, type ModelDetail, type ModelList } from '@darklens/functions';
import { ApiClient, sleep, type ApiClientOptions } from './api-client.js';
import { jobBody, linesOfPieces, type PlacedLine, type Upload } from './job-upload.js';
import { pieceNames, type Piece, type Scorer } from './scorer.js';

export interface RemoteScorerOptions extends Pick<ApiClientOptions, 'url' | 'key' | 'fetch' | 'sleep' | 'retries'> {
  /** The service's scoring parameters (models, score, ensemble, survey, fpr, threshold, combine, alpha, hdu). */
  query: Record<string, string>;
  /** Jobs in flight at once. */
  concurrency: number;
  /** Ctrl-C: stops waiting and cancels the jobs in flight. */
  signal: AbortSignal;
  /** First and longest wait between two looks at a running job (ms). */
  poll?: { firstMs: number; maxMs: number };
}

export interface RemoteScorer extends Scorer {
  /** The service's base URL. */
  readonly url: string;
  /** sha256 of what the service serves (models and versions, sets, ensembles): a rerun against other models is another run. */
  readonly models: string;
  /** Jobs cancelled on the service because the run was stopped. */
  readonly cancelled: number;
}

/** Jobs in flight unless --concurrency says otherwise: the Node server runs 2 chunks at once, so 2 more wait queued. */
export const DEFAULT_API_CONCURRENCY = 4;
const POLL = { firstMs: 100, maxMs: 500 };
/** How long a cancel may take after Ctrl-C before the run gives up on it. */
const CANCEL_MS = 5000;
/** Any image size: the piece was planned under this machine's limits already. */
const NO_LIMITS = { maxSide: Number.MAX_SAFE_INTEGER, maxPixels: Number.MAX_SAFE_INTEGER };

function list(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : [...new Set(v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))];
}

/** sha256 of the served registry as GET /v1/models describes it, without what changes on a mere reload. */
export function servedModelsHash(m: ModelList): string {
  const served = {
    models: m.models.map((x) => `${x.name}@${x.version}`).sort(),
    sets: m.sets,
    ensembles: m.ensembles,
    defaultSet: m.defaultSet,
    defaultEnsemble: m.defaultEnsemble,
  };
  return createHash('sha256').update(JSON.stringify(served)).digest('hex');
}

/** The calibration scores of every served model (at the score this run uses) and each set's domain. */
async function fetchCalibrations(client: ApiClient, m: ModelList): Promise<DriftCalibrations> {
  const key = (model: string, score: string): string => `${model}\n${score}`;
  const details = await Promise.all(
    m.models.map((x) => client.json<ModelDetail>('GET', `/v1/models/${encodeURIComponent(x.name)}?score=${encodeURIComponent(x.score)}&version=${encodeURIComponent(x.version)}`, { what: `reading the calibration of ${x.name}` })),
  );
  const scores = new Map(details.map((d) => [key(d.name, d.score), Float64Array.from(d.scores)]));
  const domains = new Map(m.sets.map((s) => [s.name, s.domain as unknown as DriftDomain]));
  return { reference: (model, score) => scores.get(key(model, score)), domain: (set) => domains.get(set) };
}

export async function openRemoteScorer(o: RemoteScorerOptions): Promise<RemoteScorer> {
  const client = new ApiClient({ ...o });
  const score = o.query.score;
  // First contact: an unreachable URL is said at once, not after a minute of retries.
  const served = await client.json<ModelList>('GET', `/v1/models${score === undefined ? '' : `?score=${encodeURIComponent(score)}`}`, { what: 'reading its models', retries: 1 });
  if (!Array.isArray(served.models) || !Array.isArray(served.sets) || typeof served.defaultSet !== 'string') {
    throw new DarklensError('invalid_argument', `${client.url}/v1/models does not describe darklens models; is --api the address of a darklens service?`);
  }
  // The jobs routes check the key (the model routes do not) and answer 503 where no job store runs.
  await client.request('GET', '/v1/jobs/0', { what: 'checking its jobs API', retries: 2 }, [404]);
  const calibrations = await fetchCalibrations(client, served);
  return new JobScorer(client, o, served, calibrations);
}

class JobScorer implements RemoteScorer {
  readonly url: string;
  readonly models: string;
  readonly roles: string[];
  readonly concurrency: number;
  cancelled = 0;
  /** The smallest upload the service refused as too large (413): larger ones are split without trying. */
  private tooLarge = Number.POSITIVE_INFINITY;
  private readonly poll: { firstMs: number; maxMs: number };
  private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly client: ApiClient,
    private readonly o: RemoteScorerOptions,
    served: ModelList,
    readonly calibrations: DriftCalibrations,
  ) {
    this.url = client.url;
    this.models = servedModelsHash(served);
    this.roles = list(o.query.models) ?? rolesOf({ sets: Object.fromEntries(served.sets.map((s) => [s.name, { models: s.models }])), defaultSet: served.defaultSet });
    this.concurrency = o.concurrency;
    this.poll = o.poll ?? POLL;
    this.wait = o.sleep ?? sleep;
  }

  async score(pieces: readonly Piece[], index: number): Promise<BatchLine[]> {
    const uploads = pieces.filter((p): p is Upload => 'bytes' in p);
    const scored = uploads.length === 0 ? [] : await this.scoreUploads(uploads);
    let next = 0;
    const lines = pieces.flatMap((p) => ('bytes' in p ? scored[next++]! : pieceNames(p).map((name) => ({ name, ...errorBody(p.error) }))));
    return lines.map((l, j) => ({ index: index + j, ...l }) as BatchLine);
  }

  /**
   * Lines per upload. An upload the service refuses as too large (413) is split in two (by pieces,
   * then a stack slice by images) until each part is accepted; a single cutout still too large gets
   * a too_large line. The split depends only on the sizes and the service's limit, so a rerun sends
   * the same jobs.
   */
  private async scoreUploads(uploads: readonly Upload[]): Promise<PlacedLine[][]> {
    const { body, contentType } = jobBody(uploads);
    let refusal: DarklensError | undefined;
    if (body.size < this.tooLarge) {
      try {
        return linesOfPieces(uploads, await this.runJob(body, contentType, uploads.reduce((n, p) => n + p.count, 0)));
      } catch (e) {
        if (!(e instanceof DarklensError && e.code === 'too_large')) throw e;
        this.tooLarge = Math.min(this.tooLarge, body.size);
        refusal = e;
      }
    }
    if (uploads.length > 1) {
      const half = uploads.length >> 1;
      return [...(await this.scoreUploads(uploads.slice(0, half))), ...(await this.scoreUploads(uploads.slice(half)))];
    }
    const p = uploads[0]!;
    if (p.count > 1) {
      let halves: Upload[] | undefined;
      try {
        halves = sliceNpyStack(p.bytes, Math.ceil(p.count / 2), NO_LIMITS).map((s) => ({ name: p.name, first: (p.first ?? 0) + s.first, count: s.count, bytes: s.bytes }));
      } catch {
        // not a stack after all: refused as a whole below
      }
      if (halves !== undefined && halves.reduce((n, h) => n + h.count, 0) === p.count) return [(await this.scoreUploads(halves)).flat()];
    }
    const why = refusal?.message ?? `the service at ${this.url} refused an upload of ${this.tooLarge} bytes as too large`;
    const line = errorBody(new DarklensError('too_large', `${p.name} (${p.bytes.length} bytes) is more than the service accepts in one request: ${why}`));
    return [pieceNames(p).map((name) => ({ name, ...line }))];
  }

  /** One job: accepted, followed until complete, its lines (without their indices). Cancelled when the run is stopped. */
  private async runJob(body: Blob, contentType: string, count: number): Promise<PlacedLine[]> {
    const params = new URLSearchParams({ ...this.o.query, chunk: String(count) });
    const accepted = await this.client.json<{ id?: unknown }>('POST', `/v1/jobs?${params}`, { body, headers: { 'content-type': contentType }, what: `sending a job of ${count} cutouts` });
    if (typeof accepted.id !== 'string') throw new DarklensError('unavailable', `the service at ${this.url} accepted a job without an id; is --api a darklens service?`);
    const id = accepted.id;
    try {
      return await this.results(id);
    } catch (e) {
      if (this.o.signal.aborted) await this.cancel(id);
      throw e;
    }
  }

  /** The job's lines once it is complete: its results route says so (and gives them) without a separate status call. */
  private async results(id: string): Promise<PlacedLine[]> {
    const path = `/v1/jobs/${encodeURIComponent(id)}/results`;
    for (let delay = this.poll.firstMs; ; delay = Math.min(this.poll.maxMs, delay * 1.5)) {
      await this.wait(delay, this.o.signal);
      const res = await this.client.request('GET', path, { what: `following job ${id}` });
      const state = res.headers.get('x-darklens-job-state');
      if (res.headers.get('x-darklens-complete') === 'true') {
        return (await res.text()).split('\n').filter((l) => l.length > 0).map((l) => {
          const { index: _, ...line } = JSON.parse(l) as BatchLine;
          return line;
        });
      }
      await res.body?.cancel();
      if (state === 'cancelled') throw new DarklensError('unavailable', `job ${id} was cancelled on the service at ${this.url}, not by this run; run the same command again to send its cutouts again`);
    }
  }

  /** Best effort: the run is stopping, and a service that does not answer in time only scores a step for nothing. */
  private async cancel(id: string): Promise<void> {
    try {
      await this.client.request('DELETE', `/v1/jobs/${encodeURIComponent(id)}`, { what: `cancelling job ${id}`, retries: 0, signal: AbortSignal.timeout(CANCEL_MS) });
      this.cancelled++;
    } catch {
      // reported as not cancelled (the count)
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
