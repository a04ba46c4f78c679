import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { int, withBackendOption } from '../options.js';
import { DarklensError, registrySets, REGISTRY_FILE, resolveVersion } from '@darklens/core';
import { guardCommand, setCommand } from './models-sets.js';
import { quantizeCommand } from './models-quantize.js';
import { chooseEnsemble, publishCheckpoint, readRegistry, verifyRegistry, type BackendName } from '@darklens/training';
import { deployCommand, promoteCommand, rollbackCommand, undeployCommand } from './models-deploy.js';

const DEFAULT_REGISTRY = 'models';
const f3 = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '-');

/** The commit of the darklens checkout this CLI runs from (whatever the working folder), else null. */
function gitCommit(): string | null {
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

export function modelsCommand(): Command {
  const cmd = new Command('models').description(`the model registry (<registry>/${REGISTRY_FILE} and <registry>/<model>/<version>/): list, show, add, promote, rollback, deploy, undeploy, ensemble, verify, set, guard, quantize`);
  const registryOption = (c: Command): Command => c.option('-r, --registry <dir>', 'registry folder', DEFAULT_REGISTRY);

  const list = registryOption(new Command('list').description('every model with its default version, versions and pooled AUC'));
  list.action(async (o: { registry: string }) => {
    const reg = await readRegistry(o.registry);
    const names = Object.keys(reg.models);
    if (names.length === 0) {
      process.stdout.write(`${o.registry}: no models registered\n`);
      return;
    }
    process.stdout.write('model\tdefault\tversions\tAUC pooled\tonnx MB\n');
    for (const name of names) {
      const m = reg.models[name]!;
      const d = m.versions[m.default]!;
      const onnx = d.files[d.onnx.file];
      process.stdout.write(`${name}\t${m.default}\t${Object.keys(m.versions).join(',')}\t${f3(d.metrics.aucPooled)}\t${onnx !== undefined ? (onnx.bytes / 1e6).toFixed(2) : '-'}\n`);
    }
    const { sets, defaultSet } = registrySets(reg);
    process.stdout.write('\nset\tsurvey\tpixel scale\tPSF FWHM\tguard\tmodels\tdefault ensemble\n');
    for (const [name, s] of Object.entries(sets)) {
      const d = s.domain;
      const roles = Object.entries(s.models).map(([r, m]) => (r === m ? r : `${r}=${m}`)).join(',');
      process.stdout.write(`${name}${name === defaultSet ? ' (default)' : ''}\t${d.survey ?? d.preset ?? '-'}\t${d.pixelScale}"\t${d.psfFwhm > 0 ? `${Number(d.psfFwhm.toPrecision(3))}"` : '-'}\t${d.guard !== undefined ? `${d.guard.images} lenses` : 'none'}\t${roles}\t${s.defaultEnsemble ?? '-'}\n`);
    }
  });
  cmd.addCommand(list);

  const show = registryOption(new Command('show').description('one version (default: the default) as JSON').argument('<model>').argument('[version]'));
  show.action(async (model: string, version: string | undefined, o: { registry: string }) => {
    const reg = await readRegistry(o.registry);
    const r = resolveVersion(reg, model, version);
    process.stdout.write(JSON.stringify({ model, version: r.version, default: reg.models[model]!.default, folder: join(o.registry, model, r.version), ...r.entry }, null, 2) + '\n');
  });
  cmd.addCommand(show);

  const add = registryOption(
    new Command('add')
      .description('register a trained checkpoint: ONNX export, its calibration.json, evaluation report and pictures, and a model card')
      .requiredOption('-c, --checkpoint <dir>', 'checkpoint folder (with calibration.json from darklens calibrate)')
      .option('--report <dir>', 'its darklens evaluate --report folder (metrics and pictures for the card)')
      .option('--new-version <name>', 'name of the new version (default: the next of v1, v2, ...)')
      .option('--default', 'make it the default version (a model\'s first version always is)')
      .option('--name <name>', 'register it under this name (default: its kind, dcae, vae...), e.g. lsst-dcae for a model of another survey\'s set')
      .option('--fp16', 'store the ONNX weights as float16'),
  );
  withBackendOption(add, 'TensorFlow.js backend that loads the checkpoint');
  add.action(async (o: { registry: string; checkpoint: string; report?: string; newVersion?: string; default?: boolean; name?: string; fp16?: boolean; backend?: BackendName }) => {
    const r = await publishCheckpoint({
      root: o.registry,
      checkpointDir: o.checkpoint,
      commit: gitCommit(),
      ...(o.report !== undefined ? { reportDir: o.report } : {}),
      ...(o.newVersion !== undefined ? { version: o.newVersion } : {}),
      ...(o.name !== undefined ? { name: o.name } : {}),
      ...(o.default === true ? { makeDefault: true } : {}),
      ...(o.fp16 === true ? { fp16: true } : {}),
      ...(o.backend !== undefined ? { backend: o.backend } : {}),
      log: () => undefined,
    });
    const reg = await readRegistry(o.registry);
    process.stdout.write(`${r.model} ${r.version} registered in ${r.dir}${reg.models[r.model]!.default === r.version ? ' (default)' : ''}\n`);
  });
  cmd.addCommand(add);

  cmd.addCommand(promoteCommand(registryOption));
  cmd.addCommand(rollbackCommand(registryOption));
  cmd.addCommand(deployCommand(registryOption));
  cmd.addCommand(undeployCommand(registryOption));

  const ens = registryOption(
    new Command('ensemble')
      .description('choose a named ensemble verdict by measurement: weighted Cauchy combination of the models\' calibrated scores, chosen greedily on labelled VALIDATION sets (not the test sets)')
      .requiredOption('--name <name>', 'name of the ensemble in the registry (ensemble= on the scoring routes)')
      .option('--no-sub <path>', 'validation lenses without substructure (required)')
      .option('--spherical <path>', 'validation lenses with spherical subhalos')
      .option('--vortex <path>', 'validation lenses with a vortex')
      .option('--default', 'make it the ensemble requests get when they name no models, score or ensemble')
      .option('--scores <list>', 'candidate scores, comma-separated (default: every calibrated score)')
      .option('--models <list>', 'candidate registered models, comma-separated (default: every model; a set\'s models for a set\'s ensemble)')
      .option('--max-members <n>', 'most (model, score) members', int('max members', 1, 64), 4)
      .option('--test-no-sub <path>', 'test lenses without substructure: report the ensemble and every candidate on them (they choose nothing)')
      .option('--test-spherical <path>', 'test lenses with spherical subhalos')
      .option('--test-vortex <path>', 'test lenses with a vortex'),
  );
  ens.action(async (o: { registry: string; name: string; sub: string | boolean; spherical?: string; vortex?: string; default?: boolean; scores?: string; models?: string; maxMembers: number; testNoSub?: string; testSpherical?: string; testVortex?: string }) => {
    // --no-sub: commander reads a `--no-` flag as the negation of `--sub`; the path lands in `sub`.
    if (typeof o.sub !== 'string') throw new DarklensError('invalid_argument', '--no-sub <path> is required (validation lenses without substructure)');
    const r = await chooseEnsemble({
      root: o.registry,
      name: o.name,
      sets: { no_sub: o.sub, ...(o.spherical !== undefined ? { spherical: o.spherical } : {}), ...(o.vortex !== undefined ? { vortex: o.vortex } : {}) },
      maxMembers: o.maxMembers,
      ...(o.testNoSub !== undefined
        ? { testSets: { no_sub: o.testNoSub, ...(o.testSpherical !== undefined ? { spherical: o.testSpherical } : {}), ...(o.testVortex !== undefined ? { vortex: o.testVortex } : {}) } }
        : {}),
      ...(o.default === true ? { makeDefault: true } : {}),
      ...(o.scores !== undefined ? { scores: o.scores.split(',').map((x) => x.trim()).filter(Boolean) } : {}),
      ...(o.models !== undefined ? { models: o.models.split(',').map((x) => x.trim()).filter(Boolean) } : {}),
      onProgress: (stage) => process.stderr.write(`darklens: ${stage}\n`),
    });
    process.stdout.write(`ensemble ${o.name}${o.default === true ? ' (default)' : ''}: ${r.ensemble.members.map((m) => `${m.model}/${m.score} ${m.weight}`).join(', ')}\n${r.ensemble.chosenBy}\n`);
    const test = r.ensemble.metrics?.test as { ensemble: { aucPooled: number; tprAt1: number }; bestSingle: { model: string; score: string; aucPooled: number; tprAt1: number } } | undefined;
    if (test !== undefined) {
      process.stdout.write(
        `test: ensemble pooled AUC ${test.ensemble.aucPooled.toFixed(4)}, TPR at 1% FPR ${test.ensemble.tprAt1.toFixed(3)}; ` +
          `best single member on the test sets ${test.bestSingle.model}/${test.bestSingle.score}: ${test.bestSingle.aucPooled.toFixed(4)}, ${test.bestSingle.tprAt1.toFixed(3)}\n`,
      );
    }
  });
  cmd.addCommand(ens);

  const verify = registryOption(new Command('verify').description('check the size and sha256 of every registered file'));
  verify.action(async (o: { registry: string }) => {
    const problems = await verifyRegistry(o.registry);
    if (problems.length > 0) throw new DarklensError('integrity_mismatch', `${problems.length} registered file(s) do not match:\n  ${problems.join('\n  ')}`);
    process.stdout.write(`${o.registry}: every registered file matches its sha256\n`);
  });
  cmd.addCommand(verify);
  cmd.addCommand(setCommand(registryOption));
  cmd.addCommand(guardCommand(registryOption));
  cmd.addCommand(quantizeCommand(registryOption));
  return cmd;
}
