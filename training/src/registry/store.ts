/**
 * The model registry on disk (see core's registry.ts for the index format): adding a version,
 * promoting one to default, rolling back, and reading a file only after checking its sha256.
 * registry.json is replaced atomically (written beside, then renamed), so a crash never leaves a
 * half-written index.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DarklensError, parseRegistry, REGISTRY_FILE, REGISTRY_FORMAT, resolveVersion, sha256Hex, verifyFile, type Registry, type RegistryVersion } from '@darklens/core';

export async function readRegistry(root: string): Promise<Registry> {
  const p = join(root, REGISTRY_FILE);
  if (!existsSync(p)) return { format: REGISTRY_FORMAT, models: {} };
  return parseRegistry(await readFile(p, 'utf8'));
}

/** registry.json's text as every writer of it lays it out. */
export function registryText(reg: Registry): string {
  return JSON.stringify(reg, null, 2) + '\n';
}

export async function writeRegistry(root: string, reg: Registry): Promise<void> {
  await mkdir(root, { recursive: true });
  const tmp = join(root, `.${REGISTRY_FILE}.${process.pid}.tmp`);
  await writeFile(tmp, registryText(reg));
  await rename(tmp, join(root, REGISTRY_FILE));
}

export interface AddVersionOptions {
  root: string;
  model: string;
  /** Version name (default v1, v2, ... the next free one). */
  version?: string;
  /** Files to copy into the version folder, by their name there -> source path or bytes. */
  files: Record<string, string | Uint8Array>;
  /** Metadata of the version (files are filled in here). */
  entry: Omit<RegistryVersion, 'files' | 'createdAt'> & { createdAt?: string };
  /** Make it the default (always true for a model's first version). */
  makeDefault?: boolean;
}

/** The next free version name v1, v2, ... */
export function nextVersion(existing: Record<string, unknown>): string {
  let k = 1;
  while (`v${k}` in existing) k++;
  return `v${k}`;
}

export async function addVersion(o: AddVersionOptions): Promise<{ version: string; dir: string; registry: Registry }> {
  const reg = await readRegistry(o.root);
  const current = reg.models[o.model];
  const version = o.version ?? nextVersion(current?.versions ?? {});
  if (current !== undefined && version in current.versions) {
    throw new DarklensError('invalid_argument', `model ${o.model} already has a version ${version}; pick another --new-version`);
  }
  if (!(o.entry.onnx.file in o.files)) throw new DarklensError('invalid_argument', `the ONNX file ${o.entry.onnx.file} is not among the files to register`);
  const dir = join(o.root, o.model, version);
  if (existsSync(dir)) throw new DarklensError('invalid_argument', `${dir} exists but is not registered; remove it or pick another --new-version`);
  const tmp = join(o.root, o.model, `.${version}.tmp-${process.pid}`);
  await mkdir(tmp, { recursive: true });
  const files: RegistryVersion['files'] = {};
  try {
    for (const [name, src] of Object.entries(o.files)) {
      const dst = join(tmp, name);
      if (typeof src === 'string') await copyFile(src, dst);
      else await writeFile(dst, src);
      const bytes = new Uint8Array(await readFile(dst));
      files[name] = { sha256: await sha256Hex(bytes), bytes: bytes.length };
    }
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  const entry: RegistryVersion = { ...o.entry, createdAt: o.entry.createdAt ?? new Date().toISOString(), files };
  const model = current ?? { default: version, previousDefaults: [], versions: {} };
  model.versions[version] = entry;
  if (current !== undefined && o.makeDefault === true) {
    model.previousDefaults.push(model.default);
    model.default = version;
  }
  reg.models[o.model] = model;
  await writeRegistry(o.root, reg);
  return { version, dir, registry: reg };
}

/**
 * Makes `version` the default of `model` in `reg` (changed in place), remembering the previous default
 * for rollback. Pure, so a dry run can show the registry a promote would publish without writing it.
 */
export function promoteIn(reg: Registry, model: string, version: string): Registry {
  resolveVersion(reg, model, version);
  const m = reg.models[model]!;
  if (m.default === version) throw new DarklensError('invalid_argument', `${model} ${version} is already the default`);
  m.previousDefaults.push(m.default);
  m.default = version;
  return reg;
}

/** Restores the default of `model` in `reg` (changed in place) to the one before the last promote. */
export function rollbackIn(reg: Registry, model: string): { from: string; to: string } {
  resolveVersion(reg, model);
  const m = reg.models[model]!;
  const to = m.previousDefaults.pop();
  if (to === undefined) throw new DarklensError('invalid_argument', `${model} has no earlier default to roll back to`);
  const from = m.default;
  m.default = to;
  return { from, to };
}

/** Makes `version` the default of `model` in the registry at `root`. */
export async function promote(root: string, model: string, version: string): Promise<Registry> {
  const reg = promoteIn(await readRegistry(root), model, version);
  await writeRegistry(root, reg);
  return reg;
}

/** Restores the default before the last promote in the registry at `root`. */
export async function rollback(root: string, model: string): Promise<{ from: string; to: string }> {
  const reg = await readRegistry(root);
  const r = rollbackIn(reg, model);
  await writeRegistry(root, reg);
  return r;
}

/** A registered file's bytes, after checking size and sha256 against the registry. */
export async function readVerified(root: string, model: string, file: string, version?: string): Promise<Uint8Array> {
  const reg = await readRegistry(root);
  const { version: v, entry } = resolveVersion(reg, model, version);
  const spec = entry.files[file];
  if (spec === undefined) throw new DarklensError('not_found', `${model} ${v} has no file ${file}; it has ${Object.keys(entry.files).join(', ')}`);
  const path = join(root, model, v, file);
  if (!existsSync(path)) throw new DarklensError('not_found', `${path} is registered but missing`);
  const bytes = new Uint8Array(await readFile(path));
  await verifyFile(bytes, spec, path);
  return bytes;
}

/** Checks every registered file; returns one line per problem (empty when all match). */
export async function verifyRegistry(root: string): Promise<string[]> {
  const reg = await readRegistry(root);
  const problems: string[] = [];
  for (const [model, m] of Object.entries(reg.models)) {
    for (const [v, entry] of Object.entries(m.versions)) {
      for (const file of Object.keys(entry.files)) {
        try {
          await readVerified(root, model, file, v);
        } catch (e) {
          problems.push(e instanceof Error ? e.message : String(e));
        }
      }
    }
  }
  return problems;
}
