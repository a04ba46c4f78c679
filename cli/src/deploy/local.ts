/**
 * `--target local`: the registry folder a running `darklens serve --models DIR` reads. The server
 * watches DIR's registry.json and swaps the new set in atomically once it loads (functions/src/node/
 * server.ts); each file here is written beside its final name and renamed, so the server never reads
 * a part of one. When DIR is the registry folder itself there is nothing to copy.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { DeployTarget, HeldObject } from './target.js';

async function walk(dir: string, out: string[] = []): Promise<string[]> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    // Dot files are temporary (ours, the registry writer's) or not the registry's.
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) await walk(full, out);
    else if (e.isFile()) out.push(full);
  }
  return out;
}

export function folderTarget(dir: string): DeployTarget {
  const root = resolve(dir);
  const pathOf = (key: string): string => join(root, ...key.split('/'));
  return {
    location: root,
    async list() {
      const held = new Map<string, HeldObject>();
      if (!existsSync(root)) return held;
      for (const file of await walk(root)) held.set(relative(root, file).split(sep).join('/'), { size: (await stat(file)).size });
      return held;
    },
    async sha256Of(key) {
      return createHash('sha256').update(await readFile(pathOf(key))).digest('hex');
    },
    async put(key, bytes) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const tmp = join(dirname(path), `.${key.split('/').at(-1)}.deploy-${process.pid}.tmp`);
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    },
    async remove(key) {
      await rm(pathOf(key), { force: true });
    },
    close: () => Promise.resolve(),
  };
}
