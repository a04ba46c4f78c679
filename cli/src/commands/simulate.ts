import { Command } from 'commander';
import { DarklensError } from '@darklens/core';
import { defaultThreads, PRESET_NAMES, resolveSpec, simulateToFiles } from '@darklens/training';
import { ProgressBar, progressTo } from '../progress.js';
import { classList, int, overridesFrom, withSpecOptions, type SpecOptionValues } from '../options.js';
import type { LensClass } from '@darklens/training';
import { runSignal } from '../context.js';

interface SimulateOptions extends SpecOptionValues {
  preset: string;
  class: LensClass[];
  count: number;
  seed: number;
  out: string;
  name?: string;
  fits?: boolean;
  threads: number;
  quiet?: boolean;
}

export function simulateCommand(): Command {
  const cmd = new Command('simulate')
    .description('simulate strong lenses of one or more classes to .npy [N,1,H,W] (scaled to [0,1]) + .params.jsonl (+ FITS)')
    .option('-p, --preset <name>', `physics preset: ${PRESET_NAMES.join(', ')}`, 'model-a')
    .option('-c, --class <names>', 'no_sub, spherical, vortex, a comma list, or all', classList, classList('all'))
    .option('-n, --count <n>', 'images per class', int('count', 1, 100_000_000), 100)
    .option('-s, --seed <n>', 'random seed (same seed and options give bit-identical files)', int('seed', 0, 0xffffffff), 0)
    .option('-o, --out <dir>', 'output folder', 'data')
    .option('--name <base>', 'base name of the output files (single class only; default: the class name)')
    .option('--fits', 'also write one unscaled FITS file per image, with the pixel scale in its header')
    .option('-j, --threads <n>', 'worker threads (0 = the calling thread)', int('threads', 0, 256), defaultThreads())
    .option('-q, --quiet', 'no progress bar');
  withSpecOptions(cmd);
  cmd.addHelpText('after', '\nExample:\n  darklens simulate --preset model-a --class no_sub --count 1000 --seed 1 --out data/train\n');
  return cmd.action(async (o: SimulateOptions) => {
    const spec = resolveSpec(o.preset, overridesFrom(o));
    if (o.name && o.class.length > 1) throw new DarklensError('invalid_argument', '--name needs a single --class');
    for (const klass of o.class) {
      const bar = o.quiet ? undefined : new ProgressBar({ total: o.count, label: `${spec.preset} ${klass}`, unit: 'img', stream: process.stderr });
      const m = await simulateToFiles({
        spec,
        klass,
        count: o.count,
        seed: o.seed,
        outDir: o.out,
        threads: o.threads,
        ...(o.name ? { name: o.name } : {}),
        ...(o.fits ? { fits: true } : {}),
        onProgress: progressTo(bar),
        signal: runSignal,
      });
      bar?.done();
      process.stdout.write(`${o.out}/${m.files.npy}  ${m.shape.join('x')}  sha256 ${m.sha256.npy.slice(0, 16)}\n`);
    }
  });
}
