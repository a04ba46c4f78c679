/** Counting scored cutouts in /metrics: the same for a batch line, a single score and a job's chunk. */
import { DarklensError } from '@darklens/core';
import type { Metrics } from './middleware/metrics.js';
import type { ScoreResult } from './schemas.js';

export function countScores(metrics: Metrics, r: ScoreResult | DarklensError): void {
  if (r instanceof DarklensError) {
    metrics.cutout(r.code);
    return;
  }
  metrics.cutout(r.domain.outOfDomain ? 'out_of_domain' : 'ok');
  for (const s of Object.values(r.models)) metrics.score(s.model, s.version, s.normalizedScore, s.flagged);
}
