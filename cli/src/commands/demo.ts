import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { LENS_CLASSES, renderContactSheet, resolveSpec, simulateToFiles } from '@darklens/training';
import { int } from '../options.js';
import { fileRows } from './sheet.js';
import { runSignal } from '../context.js';

interface DemoOptions {
  out: string;
  count: number;
  seed: number;
}

/** What `npm start` runs until the scoring service exists: real simulation end to end, then a picture. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('end-to-end demo: simulate a few lenses of each class (model-a), write .npy/.jsonl/FITS and a contact sheet')
    .option('-o, --out <dir>', 'output folder', 'out/demo')
    .option('-n, --count <n>', 'images per class', int('count', 1, 10_000), 8)
    .option('-s, --seed <n>', 'seed', int('seed', 0, 0xffffffff), 1)
    .action(async (o: DemoOptions) => {
      const spec = resolveSpec('model-a');
      const t0 = performance.now();
      for (const klass of LENS_CLASSES) {
        await simulateToFiles({ spec, klass, count: o.count, seed: o.seed, outDir: o.out, fits: true, signal: runSignal });
      }
      const sheet = join(o.out, 'contact-sheet.png');
      const rows = await fileRows(LENS_CLASSES.map((k) => join(o.out, `${k}.npy`)), o.count);
      await writeFile(sheet, renderContactSheet(rows, { title: `darklens demo: model-a, seed ${o.seed} (same column = same macro lens)`, stretch: 'asinh', colormap: 'magma' }));
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      process.stdout.write(
        [
          `Simulated ${o.count} lenses of each class (${LENS_CLASSES.join(', ')}) in ${secs}s:`,
          ...LENS_CLASSES.map((k) => `  ${join(o.out, k)}.npy, .params.jsonl, _fits/`),
          `Contact sheet: ${sheet}`,
          'Next: darklens --help',
          '',
        ].join('\n'),
      );
    });
}
