/**
 * The deploy step of `darklens retrain`: publish the registry the run promoted in (the user's, or a dry
 * run's staged copy) to the target, through the deploy layer (cli/src/deploy/). The default target is
 * the registry folder itself, which `darklens serve` watches: there the promote was the deploy.
 */
import { readRegistry } from '@darklens/training';
import { deployRegistry, openTarget, type TargetName, type TargetOptions } from '../deploy/index.js';
import type { DeployStep } from './pipeline.js';

export function deployStep(userRegistry: string, target: TargetName | undefined, options: Omit<TargetOptions, 'target'>): DeployStep {
  return async (registry, o) => {
    const inPlace = (target === undefined || target === 'local') && options.dir === undefined;
    if (inPlace && !o.dryRun) {
      const m = (await readRegistry(registry)).models[o.model]!;
      const line = `set ${o.model}: default ${m.previousDefaults.at(-1) ?? '(none)'} -> ${m.default} in ${registry}/registry.json; a darklens serve on this registry reloads it (no request fails during the swap)`;
      o.out(line);
      return [line];
    }
    // A dry run's registry is a staged copy: the folder it would go to is the user's registry.
    const opened = await openTarget({ ...options, target: target ?? 'local', ...(inPlace ? { dir: userRegistry } : {}) }, registry, o.dryRun);
    const lines: string[] = [];
    try {
      await deployRegistry({ registryDir: registry, target: opened, dryRun: o.dryRun, out: (l) => (lines.push(l), o.out(l)) });
    } finally {
      if (!('unread' in opened)) await opened.close();
    }
    return lines;
  };
}
