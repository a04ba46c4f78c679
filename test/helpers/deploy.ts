/**
 * A small registry to deploy in tests: the shipped rbm's versions (put there by the deploy layer
 * itself) plus NEW_VERSION, a registered copy of the shipped version that is not the default.
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { deployRegistry, folderTarget } from '@darklens/cli/deploy';
import { readRegistry, writeRegistry } from '@darklens/training';
import { NEW_VERSION, SHIPPED_MODELS, SHIPPED_VERSION } from './service.js';

export const MODEL = 'rbm';

export async function smallRegistry(dir: string): Promise<string> {
  await deployRegistry({ registryDir: SHIPPED_MODELS, target: folderTarget(dir), only: [MODEL] });
  await cp(join(dir, MODEL, SHIPPED_VERSION), join(dir, MODEL, NEW_VERSION), { recursive: true });
  const reg = await readRegistry(dir);
  const m = reg.models[MODEL]!;
  m.versions[NEW_VERSION] = { ...m.versions[SHIPPED_VERSION]! };
  await writeRegistry(dir, reg);
  return dir;
}

/** The default version of MODEL in the registry folder `dir`. */
export async function defaultOf(dir: string): Promise<string> {
  return (await readRegistry(dir)).models[MODEL]!.default;
}
