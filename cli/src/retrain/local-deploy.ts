/**
 * The local target: the registry folder is what `darklens serve` reads, and the server reloads it when
 * registry.json changes (atomically, finishing requests on the old models), so promoting in place is
 * the deploy. This step says what changed.
 */
import { readRegistry } from '@darklens/training';
import type { DeployStep } from './pipeline.js';

export const localDeploy: DeployStep = async (registry, o) => {
  const reg = await readRegistry(registry);
  const m = reg.models[o.model]!;
  const before = m.previousDefaults.at(-1);
  const line = `${o.model}: default ${before ?? '(none)'} -> ${m.default} in ${registry}/registry.json`;
  return o.dryRun ? [`would set ${line}`] : [`set ${line}; a darklens serve on this registry reloads it (no request fails during the swap)`];
};
