/**
 * A dry run's registry: a copy of the user's in which register and promote really run, so the deploy
 * step can print exactly what a real run would upload, while the user's registry stays untouched.
 * Version files are hard links (registered files are never rewritten in place; the registry writes
 * registry.json by rename), copies where links are not possible.
 */
import { copyFile, link, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

async function mirror(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    const a = join(from, e.name);
    const b = join(to, e.name);
    if (e.isDirectory()) await mirror(a, b);
    else if (e.name === 'registry.json') await copyFile(a, b);
    else if (e.isFile()) await link(a, b).catch(() => copyFile(a, b));
  }
}

/** A fresh staged copy of `registry` at `dir` (any earlier one is replaced). */
export async function stageRegistry(registry: string, dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mirror(registry, dir);
  return dir;
}
