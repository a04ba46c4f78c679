/** A deploy and an undeploy from start to end: read and check the registry, plan, print, act. */
import type { Registry } from '@darklens/core';
import type { Unread } from './open.js';
import { describePlan, planDeploy, planRemoval, type DeployPlan } from './plan.js';
import { readPublication } from './publication.js';
import { runPlan, runRemoval } from './publish.js';
import type { DeployTarget } from './target.js';

export interface DeployOptions {
  /** The registry folder: the source of truth. */
  registryDir: string;
  target: DeployTarget | Unread;
  /** Only these models (registry.json then lists only them). */
  only?: string[];
  /** Publish this registry instead of the folder's registry.json (a promote or rollback a dry run does not write). */
  registry?: Registry;
  /** Print the plan and do nothing. */
  dryRun?: boolean;
  /** Where the plan and progress lines go (default: nowhere). */
  out?: (line: string) => void;
  /** Runs once the target is read and planned, before the first upload (not in a dry run): a promote writes the local registry here. */
  beforeUpload?: () => Promise<void>;
}

export async function deployRegistry(o: DeployOptions): Promise<{ plan: DeployPlan; uploaded: number; bytes: number }> {
  const out = o.out ?? (() => undefined);
  const pub = await readPublication(o.registryDir, { ...(o.only === undefined ? {} : { only: o.only }), ...(o.registry === undefined ? {} : { registry: o.registry }) });
  const plan = await planDeploy(pub, o.target);
  for (const line of describePlan(plan)) out(line);
  if (o.dryRun === true || 'unread' in o.target) {
    out('dry run: nothing was uploaded');
    return { plan, uploaded: 0, bytes: 0 };
  }
  await o.beforeUpload?.();
  const r = await runPlan(plan, o.target, { onPut: (s, done, total) => out(`[${done}/${total}] uploaded ${s.file.key}`) });
  out(r.uploaded === 0 ? `${plan.location} already holds this registry: nothing uploaded` : `${plan.location}: ${r.uploaded} file(s) uploaded, registry.json last`);
  return { plan, ...r };
}

/** Removes from the target every object of the registry (or of `only`'s models), registry.json first. */
export async function undeployRegistry(o: Omit<DeployOptions, 'target' | 'registry' | 'beforeUpload'> & { target: DeployTarget }): Promise<string[]> {
  const out = o.out ?? (() => undefined);
  const pub = await readPublication(o.registryDir, o.only === undefined ? {} : { only: o.only });
  const keys = await planRemoval(pub, o.target);
  out(`target ${o.target.location}`);
  for (const key of keys) out(`DELETE ${key}`);
  out(`${keys.length} object(s) to delete, registry.json first`);
  if (o.dryRun === true) {
    out('dry run: nothing was deleted');
    return keys;
  }
  await runRemoval(keys, o.target, (key, done, total) => out(`[${done}/${total}] deleted ${key}`));
  return keys;
}
