/**
 * What a deploy does, decided before it does anything: each file of the publication is uploaded when
 * the target lacks it or holds other content under its key, and skipped when the target holds the same
 * size and hash; registry.json comes last, so a runtime never reads a registry naming a file not yet
 * there. Undeploying goes the other way: registry.json first.
 */
import { REGISTRY_FILE } from '@darklens/core';
import type { Publication, PublishedFile } from './publication.js';
import type { DeployTarget, HeldObject } from './target.js';

/** Why a file is uploaded: absent, different, or not comparable (the target knows no hash of it, or was not read). */
export type PutReason = 'missing' | 'changed' | 'unverified' | 'target not read';

export type Step = { op: 'put'; file: PublishedFile; reason: PutReason } | { op: 'skip'; file: PublishedFile };

export interface DeployPlan {
  location: string;
  /** Why the target was not read (a dry run without credentials); undefined when it was. */
  unread?: string;
  /** One step per file of the publication, registry.json last. */
  steps: Step[];
  /** Keys the target holds that the registry does not name: left as they are. */
  others: string[];
}

/** Whether `held` is `file` (same size, and a hash the target knows matches); undefined when the target cannot tell. */
async function holds(file: PublishedFile, held: HeldObject, target: DeployTarget): Promise<boolean | undefined> {
  if (held.size !== file.size) return false;
  if (held.sha256 !== undefined) return held.sha256 === file.sha256;
  // An ETag that is not this MD5 may still be this content (encrypted buckets): ask for the sha256 then.
  if (held.md5 === file.md5) return true;
  const sha256 = await target.sha256Of?.(file.key);
  return sha256 === undefined ? undefined : sha256 === file.sha256;
}

/** The plan against `target`; with no target (not readable), every file is an upload. */
export async function planDeploy(pub: Publication, target: DeployTarget | { location: string; unread: string }): Promise<DeployPlan> {
  if ('unread' in target) {
    return { location: target.location, unread: target.unread, others: [], steps: pub.files.map((file) => ({ op: 'put', file, reason: 'target not read' })) };
  }
  const held = await target.list();
  const steps: Step[] = [];
  for (const file of pub.files) {
    const h = held.get(file.key);
    const same = h === undefined ? false : await holds(file, h, target);
    steps.push(same === true ? { op: 'skip', file } : { op: 'put', file, reason: h === undefined ? 'missing' : same === false ? 'changed' : 'unverified' });
  }
  const named = new Set(pub.files.map((f) => f.key));
  return { location: target.location, steps, others: [...held.keys()].filter((k) => !named.has(k)).sort() };
}

/** The keys of `pub` that `target` holds, registry.json first: what undeploying removes. */
export async function planRemoval(pub: Publication, target: DeployTarget): Promise<string[]> {
  const held = await target.list();
  const keys = pub.files.map((f) => f.key).filter((k) => held.has(k));
  return [...keys.filter((k) => k === REGISTRY_FILE), ...keys.filter((k) => k !== REGISTRY_FILE)];
}

const mb = (bytes: number): string => (bytes === 0 ? '0 MB' : `${(bytes / 1e6).toFixed(bytes < 1e5 ? 3 : 1)} MB`);

/** One line per step, then a summary: what `darklens models deploy` prints before it acts (and all a dry run does). */
export function describePlan(plan: DeployPlan): string[] {
  const puts = plan.steps.filter((s) => s.op === 'put');
  const lines = [`target ${plan.location}${plan.unread === undefined ? '' : ` (not read: ${plan.unread}; every file is listed as an upload)`}`];
  for (const s of plan.steps) {
    const last = s.file.key === REGISTRY_FILE ? ', last: once every file it names is there' : '';
    lines.push(s.op === 'put' ? `PUT  ${s.file.key}  ${s.file.size} bytes  sha256 ${s.file.sha256}  (${s.reason}${last})` : `skip ${s.file.key}  (already there: same size and ${s.file.key === REGISTRY_FILE ? 'content' : 'sha256'})`);
  }
  const bytes = puts.reduce((n, s) => n + s.file.size, 0);
  lines.push(
    `${puts.length} to upload (${mb(bytes)}), ${plan.steps.length - puts.length} already there` +
      (plan.others.length > 0 ? `; ${plan.others.length} other object(s) in the target that the registry does not name are left as they are` : ''),
  );
  return lines;
}
