/**
 * `darklens models deploy|undeploy --target local|aws|cloudflare` and the `--target` of `models
 * promote|rollback`: the registry folder is the source of truth, published to where each runtime reads
 * it (cli/src/deploy/).
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { DarklensError, type Registry } from '@darklens/core';
import { promoteIn, readRegistry, rollbackIn, writeRegistry } from '@darklens/training';
import { deployRegistry, openTarget, TARGETS, undeployRegistry, type DeployTarget, type TargetName, type TargetOptions, type Unread } from '../deploy/index.js';
import { choice } from '../options.js';

export interface TargetFlags extends Omit<TargetOptions, 'target'> {
  registry: string;
  target?: TargetName;
  only?: string;
  dryRun?: boolean;
}

const TARGET_HELP = `
Targets (what each runtime reads; files first, registry.json last):
  local       the folder a running darklens serve --models reads (--dir; default: the registry folder itself,
              which the server already watches); the server swaps the new set in without failing a request
  aws         the SST stack's models bucket (--bucket, or DARKLENS_MODELS_BUCKET; --prefix as the function's
              DARKLENS_MODELS_PREFIX); credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY only
  cloudflare  the Worker's R2 bucket (MODELS in functions/wrangler.jsonc): your account's through R2's S3 API
              (--account-id or CLOUDFLARE_ACCOUNT_ID; R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY), or --local
              for wrangler dev's bucket on this machine
A file whose size or sha256 differs from the registry is never uploaded. --dry-run needs no credentials
(without them it cannot read the target, and lists every file as an upload).`;

/** Adds `--target` and the options of each target. */
export function withTargetOptions(c: Command, required: boolean): Command {
  const target = `where to publish: ${TARGETS.join(', ')}`;
  return (required ? c.requiredOption('-t, --target <name>', target, choice('target', TARGETS)) : c.option('-t, --target <name>', `${target} (default: only the local registry changes)`, choice('target', TARGETS)))
    .option('--dir <folder>', 'local: the folder darklens serve --models reads (default: the registry folder itself)')
    .option('--bucket <name>', 'aws: the models bucket (default: DARKLENS_MODELS_BUCKET); cloudflare: the R2 bucket (default: MODELS of functions/wrangler.jsonc)')
    .option('--prefix <prefix>', 'aws: key prefix ending in "/", the function\'s DARKLENS_MODELS_PREFIX (default: DARKLENS_MODELS_PREFIX, else none)')
    .option('--region <region>', 'aws: the bucket\'s region (default: AWS_REGION, else us-east-1)')
    .option('--endpoint <url>', 'aws, cloudflare: an S3-compatible endpoint instead of AWS\'s or your R2 account\'s')
    .option('--account-id <id>', 'cloudflare: your account id (default: CLOUDFLARE_ACCOUNT_ID)')
    .option('--local', 'cloudflare: wrangler dev\'s bucket on this machine instead of your account\'s')
    .option('--persist-to <dir>', 'cloudflare --local: wrangler\'s state folder (default: functions/.wrangler/state)')
    .option('--only <models>', 'only these models, comma-separated (registry.json then lists only them)')
    .option('-n, --dry-run', 'print every operation and change nothing');
}

const onlyOf = (o: TargetFlags): string[] | undefined => o.only?.split(',').map((s) => s.trim()).filter(Boolean);
const printLine = (line: string): void => void process.stdout.write(`${line}\n`);

/** The target `o` names, refusing what would overwrite or delete the registry folder itself. */
async function open(o: TargetFlags & { target: TargetName }, what: 'deploy' | 'undeploy'): Promise<DeployTarget | Unread> {
  if (o.target === 'local' && resolve(o.dir ?? o.registry) === resolve(o.registry)) {
    if (what === 'undeploy') throw new DarklensError('invalid_argument', `undeploy --target local would delete the registry ${o.registry} itself: give --dir, the folder a server reads`);
    if (o.only !== undefined) throw new DarklensError('invalid_argument', `--only with --target local would rewrite the registry ${o.registry} itself: give --dir, the folder a server reads`);
  }
  const { registry: _r, only: _o, dryRun, target, ...options } = o;
  return openTarget({ ...options, target }, o.registry, dryRun === true);
}

async function closeAfter<T>(target: DeployTarget | Unread, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } finally {
    if (!('unread' in target)) await target.close();
  }
}

/**
 * Changes the local registry (promote, rollback) and publishes it to `o.target` when one is named:
 * the target is read and planned first, so a bad option or an unreachable target leaves the registry
 * unchanged; a dry run changes nothing anywhere.
 */
export async function changeAndPublish(o: TargetFlags, change: (reg: Registry) => string, print: (line: string) => void = printLine): Promise<void> {
  const reg = await readRegistry(o.registry);
  const message = change(reg);
  if (o.target === undefined) {
    if (o.dryRun === true) throw new DarklensError('invalid_argument', '--dry-run shows what a --target would receive: name one');
    await writeRegistry(o.registry, reg);
    print(message);
    return;
  }
  const target = await open({ ...o, target: o.target }, 'deploy');
  const only = onlyOf(o);
  await closeAfter(target, () =>
    deployRegistry({
      registryDir: o.registry,
      target,
      registry: reg,
      ...(only === undefined ? {} : { only }),
      ...(o.dryRun === true ? { dryRun: true } : {}),
      out: print,
      beforeUpload: async () => {
        await writeRegistry(o.registry, reg);
        print(message);
      },
    }),
  );
  if (o.dryRun === true) print(`(not done: ${message})`);
}

export function deployCommand(registryOption: (c: Command) => Command): Command {
  const cmd = withTargetOptions(registryOption(new Command('deploy').description('publish the registry where a runtime reads it: the files the target lacks or holds otherwise, registry.json last')), true);
  cmd.addHelpText(
    'after',
    `${TARGET_HELP}

Examples:
  darklens models deploy --target aws --bucket my-stack-models --dry-run
  darklens models deploy --target aws --bucket my-stack-models
  darklens models deploy --target cloudflare --account-id 0123abcd      (R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY set)
  darklens models deploy --target cloudflare --local --only rbm         (then npm run worker:dev)
  darklens models deploy --target local --dir /srv/darklens/models      (a darklens serve --models /srv/darklens/models)
`,
  );
  cmd.action(async (o: TargetFlags & { target: TargetName }) => {
    const target = await open(o, 'deploy');
    const only = onlyOf(o);
    await closeAfter(target, () => deployRegistry({ registryDir: o.registry, target, ...(only === undefined ? {} : { only }), ...(o.dryRun === true ? { dryRun: true } : {}), out: printLine }));
  });
  return cmd;
}

export function undeployCommand(registryOption: (c: Command) => Command): Command {
  const cmd = withTargetOptions(registryOption(new Command('undeploy').description('delete the registry\'s objects from a target, registry.json first (to tear a deployment down)')), true);
  cmd.addHelpText('after', `\nExamples:\n  darklens models undeploy --target cloudflare --account-id 0123abcd --dry-run\n  darklens models undeploy --target aws --bucket my-stack-models --only vae\n`);
  cmd.action(async (o: TargetFlags & { target: TargetName }) => {
    const target = await open(o, 'undeploy');
    if ('unread' in target) throw new DarklensError('invalid_argument', `cannot read ${target.location} (${target.unread}): an undeploy deletes only what the target holds`);
    const only = onlyOf(o);
    await closeAfter(target, () => undeployRegistry({ registryDir: o.registry, target, ...(only === undefined ? {} : { only }), ...(o.dryRun === true ? { dryRun: true } : {}), out: printLine }));
  });
  return cmd;
}

/** `models promote <model> <version> [--target ...]`. */
export function promoteCommand(registryOption: (c: Command) => Command): Command {
  const cmd = withTargetOptions(registryOption(new Command('promote').description('make a version the default; with --target, publish the registry there too').argument('<model>').argument('<version>')), false);
  cmd.addHelpText('after', `\nExamples:\n  darklens models promote rbm v3\n  darklens models promote rbm v3 --target aws --bucket my-stack-models --dry-run\n  darklens models promote rbm v3 --target local --dir /srv/darklens/models\n`);
  cmd.action((model: string, version: string, o: TargetFlags) =>
    changeAndPublish(o, (reg) => {
      promoteIn(reg, model, version);
      return `${model}: default is now ${version}`;
    }),
  );
  return cmd;
}

/** `models rollback <model> [--target ...]`. */
export function rollbackCommand(registryOption: (c: Command) => Command): Command {
  const cmd = withTargetOptions(registryOption(new Command('rollback').description('restore the default before the last promote; with --target, publish the registry there too').argument('<model>')), false);
  cmd.addHelpText('after', `\nExamples:\n  darklens models rollback rbm\n  darklens models rollback rbm --target cloudflare --account-id 0123abcd\n  darklens models rollback rbm --target aws --bucket my-stack-models --dry-run\n`);
  cmd.action((model: string, o: TargetFlags) =>
    changeAndPublish(o, (reg) => {
      const r = rollbackIn(reg, model);
      return `${model}: default ${r.from} -> ${r.to}`;
    }),
  );
  return cmd;
}
