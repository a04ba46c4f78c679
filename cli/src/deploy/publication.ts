/**
 * What a deploy publishes: the registry folder (`darklens models` lays it out), the source of truth.
 * Every file registry.json names is checked against its size and sha256 before anything is sent, and
 * again when it is read to be sent, so a file that changed after it was registered is never uploaded.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DarklensError, parseRegistry, REGISTRY_FILE, restrictRegistry, type Registry, type RegistryFileEntry } from '@darklens/core';
import { registryText } from '@darklens/training';

export interface PublishedFile {
  /** Its registry path: the key a runtime reads it under. */
  key: string;
  size: number;
  sha256: string;
  md5: string;
  /** Its bytes, checked again against the sha256 above. */
  read(): Promise<Uint8Array>;
}

export interface Publication {
  root: string;
  registry: Registry;
  /** Every version file the registry names, then registry.json, always last. */
  files: PublishedFile[];
}

export interface PublicationOptions {
  /** Only these models: registry.json then lists only them (and the ensembles and sets made of them). */
  only?: string[];
  /** Publish this registry instead of the folder's registry.json (a promote or rollback a dry run does not write). */
  registry?: Registry;
}

const hashes = (bytes: Uint8Array): { sha256: string; md5: string } => ({
  sha256: createHash('sha256').update(bytes).digest('hex'),
  md5: createHash('md5').update(bytes).digest('hex'),
});

/** Why `bytes` are not the registered file, or undefined when they are. */
function mismatch(bytes: Uint8Array, sha256: string, spec: RegistryFileEntry): string | undefined {
  if (bytes.length !== spec.bytes) return `${bytes.length} bytes, the registry says ${spec.bytes}`;
  if (sha256 !== spec.sha256) return `sha256 ${sha256}, the registry says ${spec.sha256}`;
  return undefined;
}

async function versionFile(root: string, key: string, spec: RegistryFileEntry): Promise<PublishedFile | string> {
  const path = join(root, key);
  if (!existsSync(path)) return `${path} is registered but missing`;
  const bytes = new Uint8Array(await readFile(path));
  const h = hashes(bytes);
  const problem = mismatch(bytes, h.sha256, spec);
  if (problem !== undefined) return `${path}: ${problem}`;
  return {
    key,
    size: spec.bytes,
    ...h,
    async read() {
      const now = new Uint8Array(await readFile(path));
      const changed = mismatch(now, hashes(now).sha256, spec);
      if (changed !== undefined) throw new DarklensError('integrity_mismatch', `refusing to upload ${path}: it changed during the deploy (${changed})`);
      return now;
    },
  };
}

export async function readPublication(root: string, o: PublicationOptions = {}): Promise<Publication> {
  const registryPath = join(root, REGISTRY_FILE);
  if (o.registry === undefined && !existsSync(registryPath)) throw new DarklensError('not_found', `${registryPath} does not exist: there is no registry to deploy (darklens models add registers a model)`);
  const raw = o.registry === undefined ? new Uint8Array(await readFile(registryPath)) : undefined;
  let registry = o.registry ?? parseRegistry(new TextDecoder().decode(raw));
  if (o.only !== undefined) registry = restrictRegistry(registry, o.only);
  const files: PublishedFile[] = [];
  const problems: string[] = [];
  for (const [model, m] of Object.entries(registry.models)) {
    for (const [version, entry] of Object.entries(m.versions)) {
      for (const [file, spec] of Object.entries(entry.files)) {
        const f = await versionFile(root, `${model}/${version}/${file}`, spec);
        if (typeof f === 'string') problems.push(f);
        else files.push(f);
      }
    }
  }
  if (problems.length > 0) {
    throw new DarklensError('integrity_mismatch', `refusing to deploy ${root}: ${problems.length} registered file(s) do not match the registry, nothing was uploaded (darklens models verify checks them all):\n  ${problems.join('\n  ')}`);
  }
  // The folder's registry.json byte for byte when it is published as it is; else as darklens writes it.
  const text = raw !== undefined && o.only === undefined ? raw : new TextEncoder().encode(registryText(registry));
  files.push({ key: REGISTRY_FILE, size: text.length, ...hashes(text), read: () => Promise.resolve(text) });
  return { root, registry, files };
}
