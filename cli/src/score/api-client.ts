/**
 * The HTTP side of `darklens score --api`: requests to a darklens service with its bearer key,
 * retries of what a retry can fix (a busy service: 429, 502, 503, 504, honouring Retry-After; a
 * dropped connection or a request that timed out) and errors that say what to do (an unreachable
 * URL, a missing or refused key). The key travels only in the Authorization header; no message
 * quotes it.
 */
import { DarklensError, type ErrorCode } from '@darklens/core';
import { statusOf } from '@darklens/functions';

export interface ApiClientOptions {
  /** The service's base URL (http or https), e.g. http://127.0.0.1:8787. */
  url: string;
  key?: string;
  /** Stops every request and wait (Ctrl-C). */
  signal?: AbortSignal;
  /** Tries after the first for a busy service or a dropped connection (default 6). */
  retries?: number;
  /** Longest wait before one retry, in ms (a Retry-After beyond it is cut to it; default 60 s). */
  maxDelayMs?: number;
  /** Per-request time limit in ms (default 120 s: an upload of a step may be several MB). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** How a retry waits (tests record the delays instead of sleeping). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RequestOptions {
  body?: Blob | string;
  headers?: Record<string, string>;
  /** Overrides the client's retries for this request (0: fail at once, e.g. the first contact). */
  retries?: number;
  /** Overrides the client's signal (a cancel sent after Ctrl-C must not be stopped by it). */
  signal?: AbortSignal;
  /** What the request does, for messages ("sending a job"). */
  what: string;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const FIRST_DELAY_MS = 500;

/** A base URL without its trailing slash; a usage error for anything but http(s). */
export function serviceUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DarklensError('invalid_argument', `--api ${url} is not a URL; give the service's address, e.g. http://127.0.0.1:8787`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new DarklensError('invalid_argument', `--api ${url}: only http and https services are accepted`);
  if (u.username !== '' || u.password !== '') throw new DarklensError('invalid_argument', '--api: put no credentials in the URL; pass the key with --api-key or DARKLENS_API_KEY');
  u.search = '';
  u.hash = '';
  return u.toString().replace(/\/+$/, '');
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const done = (): void => {
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const stop = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/** Retry-After in ms (seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The darklens error body's code and message, if the response is one. */
function errorOf(text: string): { code?: ErrorCode; message?: string } {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    const code = typeof e?.code === 'string' && statusOf(e.code as ErrorCode) !== undefined ? (e.code as ErrorCode) : undefined;
    return { ...(code === undefined ? {} : { code }), ...(typeof e?.message === 'string' ? { message: e.message } : {}) };
  } catch {
    return {};
  }
}

const FALLBACK_CODES: Record<number, ErrorCode> = { 400: 'invalid_argument', 401: 'unauthorized', 403: 'unauthorized', 404: 'not_found', 413: 'too_large', 429: 'rate_limited', 503: 'unavailable' };

/** Why a fetch failed without a response, in a few words (ECONNREFUSED, a timeout, ...). */
function networkCause(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (e instanceof Error && e.name === 'TimeoutError') return 'no answer in time';
  return typeof cause?.message === 'string' ? cause.message : e instanceof Error ? e.message : String(e);
}

export class ApiClient {
  readonly url: string;
  private readonly key: string | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly retries: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly doFetch: typeof fetch;
  private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(o: ApiClientOptions) {
    this.url = serviceUrl(o.url);
    this.key = o.key === undefined || o.key === '' ? undefined : o.key;
    this.signal = o.signal;
    this.retries = o.retries ?? 6;
    this.maxDelayMs = o.maxDelayMs ?? 60_000;
    this.timeoutMs = o.timeoutMs ?? 120_000;
    this.doFetch = o.fetch ?? fetch;
    this.wait = o.sleep ?? sleep;
  }

  /** A successful response (2xx, or `accept`ed statuses); anything else as a DarklensError after the retries. */
  async request(method: string, path: string, o: RequestOptions, accept: readonly number[] = []): Promise<Response> {
    const signal = o.signal ?? this.signal;
    const retries = o.retries ?? this.retries;
    const headers: Record<string, string> = { ...o.headers, ...(this.key === undefined ? {} : { authorization: `Bearer ${this.key}` }) };
    for (let attempt = 0; ; attempt++) {
      const backoff = Math.min(this.maxDelayMs, FIRST_DELAY_MS * 2 ** attempt);
      let res: Response;
      try {
        const limit = AbortSignal.timeout(this.timeoutMs);
        res = await this.doFetch(`${this.url}${path}`, { method, headers, ...(o.body === undefined ? {} : { body: o.body }), signal: signal === undefined ? limit : AbortSignal.any([signal, limit]) });
      } catch (e) {
        if (signal?.aborted) throw signal.reason as Error;
        if (attempt >= retries) {
          throw new DarklensError('unavailable', `cannot reach the darklens service at ${this.url} (${networkCause(e)}) while ${o.what}; is it running, and is --api right?`);
        }
        await this.wait(backoff, signal);
        continue;
      }
      if (res.ok || accept.includes(res.status)) return res;
      const text = await res.text().catch(() => '');
      if (RETRY_STATUSES.has(res.status) && attempt < retries) {
        await this.wait(Math.min(this.maxDelayMs, retryAfterMs(res.headers.get('retry-after')) ?? backoff), signal);
        continue;
      }
      throw this.failure(res.status, text, o.what, attempt);
    }
  }

  async json<T>(method: string, path: string, o: RequestOptions): Promise<T> {
    const res = await this.request(method, path, o);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new DarklensError('unavailable', `the service at ${this.url} answered ${method} ${path} with something that is not JSON (${JSON.stringify(text.slice(0, 80))}); is --api a darklens service?`);
    }
  }

  /** The error of a refused request, in words that say what to do. */
  private failure(status: number, text: string, what: string, retried: number): DarklensError {
    const body = errorOf(text);
    const said = body.message === undefined ? '' : `: ${body.message}`;
    const code = body.code ?? FALLBACK_CODES[status] ?? (status >= 500 ? 'unavailable' : 'invalid_argument');
    if (status === 401 || status === 403) {
      const fix = this.key === undefined ? 'it needs an API key: pass --api-key KEY or set DARKLENS_API_KEY' : 'it refused the API key given (--api-key or DARKLENS_API_KEY)';
      return new DarklensError('unauthorized', `the service at ${this.url} answered ${status} while ${what}: ${fix}`);
    }
    if (RETRY_STATUSES.has(status)) return new DarklensError(code, `the service at ${this.url} stayed busy (${status}) while ${what}, ${retried + 1} tries${said}; try again later`);
    return new DarklensError(code, `the service at ${this.url} refused ${what} (${status})${said}`);
  }
}
