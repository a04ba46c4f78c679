/**
 * The drift summary of a `darklens score` run (core's drift watch): printed at the end and written
 * beside the results as <out>.drift.json. JSONL results hold everything it needs, so it covers the
 * whole file even after a resume; CSV rows do not (no noise or pixel scale), so a resumed CSV run's
 * summary covers the cutouts scored since it resumed, and says so.
 */
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { DriftAccumulator, formatDrift, type DriftCalibrations, type DriftLine, type DriftSummary } from '@darklens/core';

export const driftPath = (out: string): string => `${out}.drift.json`;

export interface DriftReport {
  summary: DriftSummary[];
  /** Cutouts the summary covers. */
  cutouts: number;
  /** Why it covers fewer than the results hold, if it does. */
  note?: string;
}

/** Every line of a JSONL results file into `acc`. */
async function readJsonl(path: string, acc: DriftAccumulator): Promise<void> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) if (line.length > 0) acc.add(JSON.parse(line) as DriftLine);
}

/**
 * The run's summary: from the JSONL file when the results are JSONL, else from `session` (the lines
 * of this run, `resumedAt` being where it started).
 */
export async function driftReport(out: string, format: 'csv' | 'jsonl', session: DriftAccumulator, resumedAt: number, calibrations: DriftCalibrations): Promise<DriftReport> {
  let acc = session;
  let note: string | undefined;
  if (format === 'jsonl' && resumedAt > 0) {
    acc = new DriftAccumulator();
    await readJsonl(out, acc);
  } else if (resumedAt > 0) {
    note = `over the ${session.count} cutouts scored since the run resumed at cutout ${resumedAt} (CSV rows lack the input facts; write .jsonl for a summary of the whole run)`;
  }
  const report: DriftReport = { summary: acc.summarize(calibrations), cutouts: acc.count, ...(note === undefined ? {} : { note }) };
  await writeFile(driftPath(out), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** The report as the lines the CLI prints. */
export function driftText(r: DriftReport): string {
  return `${r.note === undefined ? '' : `the drift summary is ${r.note}\n`}${formatDrift(r.summary)}`;
}
