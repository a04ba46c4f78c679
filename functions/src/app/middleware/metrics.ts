/**
 * Prometheus metrics in text exposition format 0.0.4, kept in memory by the app (no client library:
 * the app must run in Workers too). Labels use the matched route pattern, never the raw path, so a
 * scan of random URLs cannot blow up the series count.
 */
import type { MiddlewareHandler } from 'hono';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SCORE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) this.counts[i]!++;
  }
}

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels: Record<string, string>): string =>
  Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',');

export class Metrics {
  private readonly requests = new Map<string, { labels: Record<string, string>; n: number }>();
  private readonly latency = new Map<string, { labels: Record<string, string>; h: Histogram }>();
  private readonly scores = new Map<string, { labels: Record<string, string>; h: Histogram; flagged: number }>();
  private readonly cutouts = new Map<string, number>();
  inFlight = 0;
  readonly startedAt = Date.now();

  request(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    const key = labelText(labels);
    const r = this.requests.get(key) ?? { labels, n: 0 };
    r.n++;
    this.requests.set(key, r);
    const l = this.latency.get(route) ?? { labels: { route }, h: new Histogram(LATENCY_BUCKETS) };
    l.h.observe(seconds);
    this.latency.set(route, l);
  }

  /** One model's normalized score of one cutout. */
  score(model: string, version: string, normalizedScore: number, flagged: boolean): void {
    const labels = { model, version };
    const key = labelText(labels);
    const s = this.scores.get(key) ?? { labels, h: new Histogram(SCORE_BUCKETS), flagged: 0 };
    s.h.observe(normalizedScore);
    if (flagged) s.flagged++;
    this.scores.set(key, s);
  }

  /** A cutout scored ('ok') or refused (its error code). */
  cutout(outcome: string): void {
    this.cutouts.set(outcome, (this.cutouts.get(outcome) ?? 0) + 1);
  }

  render(extra: string[] = []): string {
    const out: string[] = [];
    const hist = (name: string, labels: Record<string, string>, h: Histogram): void => {
      const base = labelText(labels);
      const sep = base ? ',' : '';
      h.buckets.forEach((b, i) => out.push(`${name}_bucket{${base}${sep}le="${b}"} ${h.counts[i]}`));
      out.push(`${name}_bucket{${base}${sep}le="+Inf"} ${h.count}`);
      out.push(`${name}_sum{${base}} ${h.sum}`);
      out.push(`${name}_count{${base}} ${h.count}`);
    };
    out.push('# HELP darklens_http_requests_total HTTP requests by method, route pattern and status.');
    out.push('# TYPE darklens_http_requests_total counter');
    for (const r of this.requests.values()) out.push(`darklens_http_requests_total{${labelText(r.labels)}} ${r.n}`);
    out.push('# HELP darklens_http_request_duration_seconds Time from request to response headers.');
    out.push('# TYPE darklens_http_request_duration_seconds histogram');
    for (const l of this.latency.values()) hist('darklens_http_request_duration_seconds', l.labels, l.h);
    out.push('# HELP darklens_http_requests_in_flight Requests being served now.');
    out.push('# TYPE darklens_http_requests_in_flight gauge');
    out.push(`darklens_http_requests_in_flight ${this.inFlight}`);
    out.push('# HELP darklens_cutouts_total Cutouts scored (outcome="ok"), scored but out of their model set domain (outcome="out_of_domain") or refused (outcome=error code).');
    out.push('# TYPE darklens_cutouts_total counter');
    for (const [outcome, n] of this.cutouts) out.push(`darklens_cutouts_total{outcome="${esc(outcome)}"} ${n}`);
    out.push('# HELP darklens_normalized_score Normalized anomaly score per model (0.5 = threshold).');
    out.push('# TYPE darklens_normalized_score histogram');
    for (const s of this.scores.values()) hist('darklens_normalized_score', s.labels, s.h);
    out.push('# HELP darklens_flagged_total Cutouts a model flagged as anomalous.');
    out.push('# TYPE darklens_flagged_total counter');
    for (const s of this.scores.values()) out.push(`darklens_flagged_total{${labelText(s.labels)}} ${s.flagged}`);
    out.push(...extra);
    return `${out.join('\n')}\n`;
  }
}

/** Counts every request under its route pattern (set by the router once it matched). */
export function metricsMiddleware(metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const t0 = performance.now();
    metrics.inFlight++;
    try {
      await next();
    } finally {
      metrics.inFlight--;
      metrics.request(c.req.method, c.req.routePath || 'unmatched', c.res.status, (performance.now() - t0) / 1000);
    }
  };
}
