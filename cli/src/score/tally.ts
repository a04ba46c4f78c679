/** What a run's lines add up to (kept in the progress file, so a resumed run sums the whole output). */
import type { BatchLine } from '@darklens/functions';
import { formatDuration, formatRate } from '../progress.js';

export interface Tally {
  scored: number;
  failed: number;
  outOfDomain: number;
  flagged: number;
  /** Per error code: how many, and the first one's name and message. */
  failures: Record<string, { count: number; name: string; message: string }>;
}

export function emptyTally(): Tally {
  return { scored: 0, failed: 0, outOfDomain: 0, flagged: 0, failures: {} };
}

export function countLine(t: Tally, line: BatchLine): void {
  if ('error' in line) {
    t.failed++;
    const f = (t.failures[line.error.code] ??= { count: 0, name: line.name, message: line.error.message });
    f.count++;
    return;
  }
  t.scored++;
  if (line.domain.outOfDomain) t.outOfDomain++;
  if (line.ensemble.flagged) t.flagged++;
}

export interface SummaryFacts {
  out: string;
  total: number;
  /** Where this run started (0 unless resumed). */
  resumedAt: number;
  /** Cutouts this run scored, and the seconds it spent scoring them. */
  scoredNow: number;
  scoringSeconds: number;
  wallSeconds: number;
}

/** The end-of-run summary for stderr, one line each. */
export function summaryLines(t: Tally, f: SummaryFacts): string[] {
  const lines = [
    `darklens: ${t.scored + t.failed} of ${f.total} cutouts in ${f.out}: ${t.scored} scored, ${t.failed} failed${f.resumedAt > 0 ? ` (resumed at ${f.resumedAt})` : ''}`,
    `  this run: ${f.scoredNow} cutouts in ${formatDuration(f.wallSeconds)} (start-up ${formatDuration(f.wallSeconds - f.scoringSeconds)}; scoring ${f.scoringSeconds.toFixed(1)}s: ${formatRate(f.scoringSeconds > 0 ? f.scoredNow / f.scoringSeconds : NaN)} cutouts/s)`,
  ];
  const failures = Object.entries(t.failures).sort((a, b) => b[1].count - a[1].count);
  if (failures.length > 0) lines.push(`  failed (error rows in the results):`);
  for (const [code, x] of failures) lines.push(`    ${code}: ${x.count} (first: ${x.name}: ${x.message.split('\n')[0]})`);
  lines.push(`  out of domain: ${t.outOfDomain} (never flagged)`, `  flagged anomalous by the ensemble: ${t.flagged}`);
  return lines;
}
