/**
 * The progress file beside the results (`results.csv.darklens-progress.json`): what the run scores
 * (a fingerprint of the inputs, the options and the registry) and how far the results file is
 * complete. Replaced atomically after each step; removed when the run completes.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { DarklensError } from '@darklens/core';
import type { InputFile } from './input-files.js';
import type { OutputFormat } from './output-file.js';
import type { Tally } from './tally.js';

export interface Fingerprint {
  /** sha256 over every input's path, size and modification time, in order. */
  inputs: string;
  files: number;
  cutouts: number;
  /** The scoring parameters as the service takes them. */
  options: Record<string, string>;
  /** sha256 of registry.json (it pins every model file by its sha256); with --api, of what the service serves. */
  registry: string;
  /** With --api: the service's URL (absent: scored on this machine). */
  service?: string;
  format: OutputFormat;
}

export interface RunState {
  version: 1;
  fingerprint: Fingerprint;
  /** Cutouts whose lines are complete in the results file, and the file's length after them. */
  done: number;
  bytes: number;
  tally: Tally;
}

export const statePath = (out: string): string => `${out}.darklens-progress.json`;

export function inputsHash(files: readonly InputFile[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.path}\0${f.size}\0${f.mtimeMs}\n`);
  return h.digest('hex');
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function readState(path: string): Promise<RunState | undefined> {
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const s = JSON.parse(text) as RunState;
    if (s.version === 1 && Number.isSafeInteger(s.done) && Number.isSafeInteger(s.bytes) && typeof s.fingerprint?.inputs === 'string') return s;
  } catch {
    // reported below
  }
  throw new DarklensError('invalid_argument', `${path} is not a darklens progress file; remove it, or rerun with --restart to score everything again`);
}

export async function writeState(path: string, s: RunState): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(s)}\n`);
  await rename(`${path}.tmp`, path);
}

export async function removeState(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(`${path}.tmp`, { force: true });
}

/** What differs between the run on disk and this one, in words; undefined when they are the same run. */
export function fingerprintDifference(was: Fingerprint, now: Fingerprint): string | undefined {
  const opts = (o: Record<string, string>): string => JSON.stringify(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
  const shown = (o: Record<string, string>): string => Object.entries(o).map(([k, v]) => `--${k} ${v}`).join(' ') || 'none';
  if (was.format !== now.format) return `it wrote ${was.format}, this run writes ${now.format}`;
  if (opts(was.options) !== opts(now.options)) return `its options were ${shown(was.options)}, now ${shown(now.options)}`;
  const where = (f: Fingerprint): string => (f.service === undefined ? 'on this machine' : `on the service at ${f.service}`);
  if (was.service !== now.service) return `it was scored ${where(was)}, this run scores ${where(now)}`;
  if (was.registry !== now.registry) return now.service === undefined ? 'the model registry has changed since' : `the models the service at ${now.service} serves have changed since`;
  if (was.inputs !== now.inputs || was.cutouts !== now.cutouts) {
    return `its inputs were ${was.files} files (${was.cutouts} cutouts), now ${now.files} files (${now.cutouts} cutouts)${was.files === now.files ? ', some of them changed' : ''}`;
  }
  return undefined;
}
