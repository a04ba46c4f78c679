/** The target a command names (`--target local|aws|cloudflare` and its options), opened for a deploy. */
import { DarklensError } from '@darklens/core';
import { awsTarget, type S3BucketOptions } from './aws.js';
import { cloudflareTarget, type CloudflareOptions } from './cloudflare.js';
import { folderTarget } from './local.js';
import type { DeployTarget } from './target.js';

export const TARGETS = ['local', 'aws', 'cloudflare'] as const;
export type TargetName = (typeof TARGETS)[number];

/** A target a dry run could not read (no credentials or account): it plans every file as an upload. */
export interface Unread {
  location: string;
  unread: string;
}

export interface TargetOptions extends S3BucketOptions, CloudflareOptions {
  target: TargetName;
  /** --target local: the folder `darklens serve --models` reads (default: the registry folder itself). */
  dir?: string;
}

export async function openTarget(o: TargetOptions, registryDir: string, dryRun: boolean, env: NodeJS.ProcessEnv = process.env): Promise<DeployTarget | Unread> {
  const misplaced = (names: (keyof TargetOptions)[], flag: (n: string) => string): void => {
    const given = names.filter((n) => o[n] !== undefined);
    if (given.length > 0) throw new DarklensError('invalid_argument', `${given.map(flag).join(', ')} ${given.length === 1 ? 'does' : 'do'} not apply to --target ${o.target}`);
  };
  const flag = (n: string): string => `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  switch (o.target) {
    case 'local':
      misplaced(['bucket', 'prefix', 'endpoint', 'region', 'accountId', 'local', 'persistTo'], flag);
      return folderTarget(o.dir ?? registryDir);
    case 'aws':
      misplaced(['dir', 'accountId', 'local', 'persistTo'], flag);
      return awsTarget(o, env, dryRun);
    case 'cloudflare':
      misplaced(['dir', 'region'], flag);
      return cloudflareTarget(o, env, dryRun);
  }
}
