/**
 * A folder as a BlobStore (the Node server's job store, and its inputs folder for keys jobs). Keys are
 * relative paths; a put writes a temporary file and renames it into place, so a reader (or a server
 * restarted after kill -9) sees a whole object or none.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { DarklensError } from '@darklens/core';
import type { BlobStore } from '../app/jobs/blob-store.js';

let tmpCounter = 0;

export function folderBlobStore(dir: string): BlobStore {
  const root = resolve(dir);
  const pathOf = (key: string): string => {
    const full = resolve(root, key);
    if (!full.startsWith(root + sep) || key.includes('\\')) throw new DarklensError('invalid_argument', `key ${key.slice(0, 100)} leaves ${root}`);
    return full;
  };
  const walk = async (d: string, out: string[]): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw e;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p, out);
      else if (e.isFile() && !e.name.includes('.tmp-')) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  return {
    location: root,
    async put(key, body) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.tmp-${process.pid}-${++tmpCounter}`;
      await writeFile(tmp, body);
      await rename(tmp, path);
    },
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
        throw e;
      }
    },
    async list(prefix) {
      // Walk only the folder the prefix ends in (its last '/'), then filter by the prefix.
      const cut = prefix.lastIndexOf('/');
      const base = cut < 0 ? root : pathOf(prefix.slice(0, cut + 1));
      const out: string[] = [];
      await walk(base, out);
      return out.filter((k) => k.startsWith(prefix)).sort();
    },
    async delete(keys) {
      await Promise.all(keys.map((k) => rm(pathOf(k), { force: true })));
      // Folders left empty by a deleted job go too (best effort).
      const dirs = new Set(keys.map((k) => dirname(pathOf(k))));
      for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
        for (let p = d; p.startsWith(root + sep); p = dirname(p)) {
          try {
            await rm(p, { recursive: false });
          } catch {
            break;
          }
        }
      }
    },
  };
}
