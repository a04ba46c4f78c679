/**
 * Carrying out a plan: the version files a few at a time, then registry.json alone once every one of
 * them is written; undeploying removes registry.json first. An interrupted deploy leaves the target's
 * registry as it was, and running it again uploads only what is still missing.
 */
import { REGISTRY_FILE } from '@darklens/core';
import type { DeployPlan, Step } from './plan.js';
import type { DeployTarget } from './target.js';

export interface RunOptions {
  /** Uploads at once (default 4). */
  concurrency?: number;
  /** Called after each upload, in the order they finish. */
  onPut?: (step: Step & { op: 'put' }, done: number, total: number) => void;
}

export async function runPlan(plan: DeployPlan, target: DeployTarget, o: RunOptions = {}): Promise<{ uploaded: number; bytes: number }> {
  const puts = plan.steps.filter((s): s is Step & { op: 'put' } => s.op === 'put');
  const files = puts.filter((s) => s.file.key !== REGISTRY_FILE);
  const registry = puts.filter((s) => s.file.key === REGISTRY_FILE);
  let done = 0;
  let bytes = 0;
  const put = async (s: Step & { op: 'put' }): Promise<void> => {
    await target.put(s.file.key, await s.file.read(), s.file.sha256);
    bytes += s.file.size;
    o.onPut?.(s, ++done, puts.length);
  };
  // The first failure stops the uploads (those in flight end) and registry.json is not written.
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < files.length) {
      try {
        await put(files[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 4, files.length) }, worker));
  if (failure !== undefined) throw failure.error;
  for (const s of registry) await put(s);
  return { uploaded: done, bytes };
}

/** Removes `keys` in order (planRemoval puts registry.json first). */
export async function runRemoval(keys: string[], target: DeployTarget, onRemove?: (key: string, done: number, total: number) => void): Promise<void> {
  for (const [i, key] of keys.entries()) {
    await target.remove(key);
    onRemove?.(key, i + 1, keys.length);
  }
}
