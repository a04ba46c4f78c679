/** A registry folder on disk as a ModelSource; paths may not leave the folder. */
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { DarklensError } from '@darklens/core';
import type { ModelSource } from '../app/model-source.js';

export function folderSource(dir: string): ModelSource {
  const root = resolve(dir);
  return {
    location: root,
    async read(path: string): Promise<Uint8Array> {
      const full = resolve(root, path);
      if (!full.startsWith(root + sep)) throw new DarklensError('invalid_argument', `registry path ${path} leaves ${root}`);
      try {
        return new Uint8Array(await readFile(full));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new DarklensError('not_found', `${full} does not exist`, { cause: e });
        throw new DarklensError('not_found', `cannot read ${full}: ${(e as Error).message}`, { cause: e });
      }
    },
  };
}
