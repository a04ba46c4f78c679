import { Command } from 'commander';
import { buildSplits, defaultThreads, PRESET_NAMES, resolveSpec, SPLITS } from '@darklens/training';
import { int, overridesFrom, withSpecOptions, type SpecOptionValues } from '../options.js';
import { ProgressBar, progressTo } from '../progress.js';
import { runSignal } from '../context.js';

interface SplitsOptions extends SpecOptionValues {
  preset: string;
  train: number;
  test: number;
  seed: number;
  out: string;
  fits?: boolean;
  threads: number;
  quiet?: boolean;
}

export function splitsCommand(): Command {
  const cmd = new Command('splits')
    .description(`build the standard data set in one go: ${SPLITS.map((s) => s.name).join(', ')} (.npy + .params.jsonl each)`)
    .option('-p, --preset <name>', `physics preset: ${PRESET_NAMES.join(', ')}`, 'model-a')
    .option('--train <n>', 'no_sub training images (the reference used 25000)', int('train count', 1, 100_000_000), 25_000)
    .option('--test <n>', 'test images per class (the reference used 2500)', int('test count', 1, 100_000_000), 2_500)
    .option('-s, --seed <n>', 'run seed; each split derives its own', int('seed', 0, 0xffffffff), 0)
    .option('-o, --out <dir>', 'output folder', 'data/model-a')
    .option('--fits', 'also write unscaled FITS per image')
    .option('-j, --threads <n>', 'worker threads (0 = the calling thread)', int('threads', 0, 256), defaultThreads())
    .option('-q, --quiet', 'no progress bar');
  withSpecOptions(cmd);
  return cmd.action(async (o: SplitsOptions) => {
    const spec = resolveSpec(o.preset, overridesFrom(o));
    const total = o.train + 3 * o.test;
    const bar = o.quiet ? undefined : new ProgressBar({ total, label: `splits ${spec.preset}`, unit: 'img', stream: process.stderr });
    const tick = progressTo(bar);
    const { splits } = await buildSplits({
      spec,
      outDir: o.out,
      seed: o.seed,
      trainCount: o.train,
      testCount: o.test,
      threads: o.threads,
      ...(o.fits ? { fits: true } : {}),
      onProgress: (done) => tick(done),
      signal: runSignal,
    });
    bar?.done();
    for (const m of splits) process.stdout.write(`${o.out}/${m.files.npy}  ${m.shape.join('x')}  seed ${m.seed}\n`);
  });
}
