/**
 * The files a `darklens score` command names, in order: each file argument as given, each folder
 * recursed in sorted order (hidden entries skipped), each glob expanded (sorted; a folder it matches
 * is recursed). Sizes and modification times go into the resume fingerprint.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DarklensError } from '@darklens/core';
import { expandGlob, hasGlob } from './glob.js';

export interface InputFile {
  /** As reported in the results: the argument, or the argument joined with the path below it. */
  name: string;
  /** Absolute path. */
  path: string;
  size: number;
  mtimeMs: number;
  /** Why a folder could not be listed (it then stands for its files as one error row). */
  unreadable?: DarklensError;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A file-system error of a path as a DarklensError for its result row. */
export function readError(name: string, e: unknown): DarklensError {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOENT') return new DarklensError('not_found', `${name} does not exist (any more)`);
  return new DarklensError('unavailable', `${name} could not be read: ${err?.message ?? String(e)}`);
}

/** Files under `dir` in sorted order, depth first; folders already visited (symlink loops) are skipped. */
async function walk(dir: string, name: string, seen: Set<string>, skip: (path: string) => boolean, out: InputFile[]): Promise<void> {
  let names: string[];
  try {
    const real = await realpath(dir);
    if (seen.has(real)) return;
    seen.add(real);
    names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort(byName);
  } catch (e) {
    out.push({ name, path: dir, size: 0, mtimeMs: 0, unreadable: readError(name, e) });
    return;
  }
  for (const n of names) {
    const path = join(dir, n);
    const shown = join(name, n);
    if (skip(path)) continue;
    let s;
    try {
      s = await stat(path);
    } catch (e) {
      out.push({ name: shown, path, size: 0, mtimeMs: 0, unreadable: readError(shown, e) });
      continue;
    }
    if (s.isDirectory()) await walk(path, shown, seen, skip, out);
    else if (s.isFile()) out.push({ name: shown, path, size: s.size, mtimeMs: s.mtimeMs });
  }
}

export interface InputOptions {
  cwd: string;
  /** Absolute paths never taken as inputs (the output and its progress file). */
  exclude: readonly string[];
}

/**
 * Every input file in order. A path that does not exist, a glob that matches nothing, or an
 * argument that is the output itself is a usage error (nothing has been scored yet).
 */
export async function inputFiles(args: readonly string[], o: InputOptions): Promise<InputFile[]> {
  const excluded = new Set(o.exclude.map((p) => resolve(o.cwd, p)));
  const skip = (path: string): boolean => excluded.has(path);
  const out: InputFile[] = [];
  const missing: string[] = [];
  for (const arg of args) {
    const abs = resolve(o.cwd, arg);
    const exists = await stat(abs).then(() => true, () => false);
    const paths = !exists && hasGlob(arg) ? await expandGlob(arg, o.cwd) : [arg];
    if (!exists && paths.length === 0) {
      missing.push(`no file matches ${arg}`);
      continue;
    }
    if (excluded.has(abs)) throw new DarklensError('invalid_argument', `${arg} is the results file (or its progress file); it cannot also be an input`);
    // One argument stands for a set of files: a glob's matches (folders among them) never repeat a file.
    const own: InputFile[] = [];
    for (const p of paths) {
      const path = resolve(o.cwd, p);
      if (skip(path)) continue;
      let s;
      try {
        s = await stat(path);
      } catch {
        missing.push(`${p} does not exist`);
        continue;
      }
      if (s.isDirectory()) await walk(path, p, new Set(), skip, own);
      else own.push({ name: p, path, size: s.size, mtimeMs: s.mtimeMs });
    }
    const taken = new Set<string>();
    for (const f of own) {
      if (paths.length > 1 && taken.has(f.path)) continue;
      taken.add(f.path);
      out.push(f);
    }
  }
  if (missing.length > 0) throw new DarklensError('invalid_argument', `${missing.join('; ')}; accepted: files, folders, globs (quoted: "data/**/*.fits"), tar archives and NPY stacks`);
  if (out.length === 0) throw new DarklensError('invalid_argument', `no files found in ${args.join(', ')} (hidden files are skipped in folders)`);
  return out;
}
