/**
 * What a retrain run has finished, in <workdir>/retrain.json: the options it was started with (a rerun
 * with others is refused, so one folder never mixes two runs) and each finished step's result. Written
 * by rename after every step, so a run stopped at any moment resumes at its first unfinished step.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DarklensError } from '@darklens/core';

export const STATE_FILE = 'retrain.json';

export interface RetrainState {
  version: 1;
  options: Record<string, unknown>;
  steps: Record<string, { finishedAt: string; result: unknown }>;
}

export async function readRetrainState(dir: string): Promise<RetrainState | undefined> {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const s = JSON.parse(await readFile(path, 'utf8')) as RetrainState;
    if (s.version === 1 && typeof s.steps === 'object') return s;
  } catch {
    // fall through: a file we did not write
  }
  throw new DarklensError('bad_header', `${path} is not a darklens retrain state; remove it or choose another --workdir`);
}

export async function writeRetrainState(dir: string, s: RetrainState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, STATE_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(s, null, 2) + '\n');
  await rename(`${path}.tmp`, path);
}

/** The first option whose value differs, as "name: was -> now", or undefined when none does. */
export function optionsDifference(was: Record<string, unknown>, now: Record<string, unknown>): string | undefined {
  for (const k of new Set([...Object.keys(was), ...Object.keys(now)])) {
    const a = JSON.stringify(was[k]);
    const b = JSON.stringify(now[k]);
    if (a !== b) return `${k}: ${a ?? 'unset'} -> ${b ?? 'unset'}`;
  }
  return undefined;
}
