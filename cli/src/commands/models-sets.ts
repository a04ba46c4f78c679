/**
 * `darklens models set` (write a model set: its roles, domain and guard ranges) and `darklens models
 * guard` (how often the out-of-domain guard fires on a folder of cutouts, scored through the
 * service's own path: routing, preprocessing, scores, guard).
 */
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { DarklensError, IMAGE_STATS, type Cutout } from '@darklens/core';
import { ModelStore, scoreCutouts } from '@darklens/functions';
import { folderSource, ortNodeEngine } from '@darklens/functions/node';
import { loadImages, writeSet } from '@darklens/training';
import { int, num, numOrRange } from '../options.js';
import { ProgressBar, progressTo } from '../progress.js';

/** "a=b,c=d" -> { a: 'b', c: 'd' }. */
function pairs(what: string, v: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, m, ...rest] = item.split('=');
    if (k === undefined || m === undefined || rest.length > 0 || k === '' || m === '') throw new DarklensError('invalid_argument', `${what}: "${item}"; accepted: name=registered-name pairs, comma-separated`);
    out[k.trim()] = m.trim();
  }
  return out;
}

export function setCommand(registryOption: (c: Command) => Command): Command {
  const cmd = registryOption(
    new Command('set')
      .description('add or replace a model set: the registered models of a domain by role, what the domain is, and the out-of-domain guard\'s ranges measured on its smooth calibration lenses')
      .argument('<name>', 'set name (survey= on the scoring routes), e.g. lsst')
      .requiredOption('--models <pairs>', 'role=registered model, comma-separated, e.g. dcae=lsst-dcae,vae=lsst-vae')
      .requiredOption('--pixel-scale <arcsec>', 'pixel scale of the training data, arcsec/pixel', num('pixel scale'))
      .requiredOption('--psf-fwhm <arcsec>', 'PSF FWHM of the training data, arcsec', num('PSF FWHM'))
      .option('--snr <value|lo:hi>', 'peak SNR of the training data', numOrRange('snr'))
      .option('--survey <text>', 'the survey or instrument, as users say it (e.g. "LSST")')
      .option('--preset <name>', 'simulation preset of the training data')
      .option('--description <text>', 'one line for users: what the set is for, what it is not')
      .option('--alias <names>', 'other names survey= accepts, comma-separated (lower case)')
      .option('--guard-data <npy>', 'smooth lenses of the domain (e.g. its calibration set): the guard\'s ranges are measured on them (at least 1000)')
      .option('--guard-images <n>', 'use at most this many of them', int('guard images', 1000, 10_000_000))
      .option('--ensembles <pairs>', 'ensemble name (ensemble=) -> registered ensemble, comma-separated (default: every registered ensemble of the set\'s models)')
      .option('--default-ensemble <name>', 'the set\'s ensemble when a request names no models, score or ensemble')
      .option('--default', 'make it the set cutouts get when nothing routes them elsewhere (the first set always is)')
      .option('-q, --quiet', 'no progress bar'),
  );
  cmd.action(async (name: string, o: { registry: string; models: string; pixelScale: number; psfFwhm: number; snr?: number | [number, number]; survey?: string; preset?: string; description?: string; alias?: string; guardData?: string; guardImages?: number; ensembles?: string; defaultEnsemble?: string; default?: boolean; quiet?: boolean }) => {
    // The bar starts when the data is loaded and its size known.
    let bar: ProgressBar | undefined;
    let tick: ((done: number) => void) | undefined;
    const set = await writeSet({
      root: o.registry,
      name,
      models: pairs('--models', o.models),
      domain: {
        pixelScale: o.pixelScale,
        psfFwhm: o.psfFwhm,
        ...(o.snr !== undefined ? { snr: o.snr } : {}),
        ...(o.survey !== undefined ? { survey: o.survey } : {}),
        ...(o.preset !== undefined ? { preset: o.preset } : {}),
        ...(o.description !== undefined ? { description: o.description } : {}),
      },
      ...(o.guardData !== undefined ? { guardData: o.guardData } : {}),
      ...(o.guardImages !== undefined ? { guardImages: o.guardImages } : {}),
      ...(o.ensembles !== undefined ? { ensembles: pairs('--ensembles', o.ensembles) } : {}),
      ...(o.defaultEnsemble !== undefined ? { defaultEnsemble: o.defaultEnsemble } : {}),
      ...(o.alias !== undefined ? { aliases: o.alias.split(',').map((a) => a.trim().toLowerCase()).filter(Boolean) } : {}),
      ...(o.default === true ? { makeDefault: true } : {}),
      onProgress: (done, n) => {
        if (tick === undefined) {
          bar = o.quiet === true ? undefined : new ProgressBar({ total: n, label: `guard ranges ${name}`, unit: 'img', stream: process.stderr });
          tick = progressTo(bar);
        }
        tick(done);
      },
    });
    bar?.done();
    const ranges = set.domain.guard?.stats ?? {};
    process.stdout.write(`set ${name}: ${Object.entries(set.models).map(([r, m]) => `${r}=${m}`).join(', ')}\n`);
    for (const k of IMAGE_STATS) if (ranges[k] !== undefined) process.stdout.write(`  guard ${k}: [${ranges[k][0].toPrecision(4)}, ${ranges[k][1].toPrecision(4)}]\n`);
  });
  return cmd;
}

export interface GuardTally {
  images: number;
  scored: number;
  refused: Record<string, number>;
  outOfDomain: number;
  rate: number;
  byCheck: Record<string, number>;
  bySet: Record<string, number>;
  flagged: number;
}

export function guardCommand(registryOption: (c: Command) => Command): Command {
  const cmd = registryOption(
    new Command('guard')
      .description('measure the out-of-domain guard on cutouts (.npy): how many it fires on and why, scored through the service\'s own routing, scores and guard')
      .requiredOption('--data <npy>', 'cutouts to score (e.g. fresh smooth lenses of a domain, or another survey\'s)')
      .option('--survey <name>', 'score them with this set (default: routed as the service routes them)')
      .option('--pixel-scale <arcsec>', 'give every cutout this pixel scale, as a FITS header would (default: none, as an .npy states none)', num('pixel scale'))
      .option('--psf-fwhm <arcsec>', 'give every cutout this PSF FWHM, as a FITS header would', num('PSF FWHM'))
      .option('--count <n>', 'score at most this many', int('count', 1, 10_000_000))
      .option('--batch <n>', 'cutouts per scoring call', int('batch', 1, 4096), 256)
      .option('--json <path>', 'also write the tally as JSON')
      .option('-q, --quiet', 'no progress bar'),
  );
  cmd.action(async (o: { registry: string; data: string; survey?: string; pixelScale?: number; psfFwhm?: number; count?: number; batch: number; json?: string; quiet?: boolean }) => {
    const images = await loadImages(o.data, o.count !== undefined ? { maxImages: o.count } : {});
    const store = new ModelStore(folderSource(o.registry), ortNodeEngine());
    const set = await store.reload();
    const px = images.size * images.size;
    const tally: GuardTally = { images: images.count, scored: 0, refused: {}, outOfDomain: 0, rate: 0, byCheck: {}, bySet: {}, flagged: 0 };
    const bar = o.quiet === true ? undefined : new ProgressBar({ total: images.count, label: 'guard', unit: 'img', stream: process.stderr });
    try {
      for (let start = 0; start < images.count; start += o.batch) {
        const items: Cutout[] = [];
        for (let i = start; i < Math.min(images.count, start + o.batch); i++) {
          const c: Cutout = { width: images.size, height: images.size, masked: 0, format: 'npy', meta: {}, data: images.data.subarray(i * px, (i + 1) * px) };
          if (o.pixelScale !== undefined) c.pixelScale = o.pixelScale;
          if (o.psfFwhm !== undefined) c.psfFwhm = o.psfFwhm;
          items.push(c);
        }
        const results = await scoreCutouts(set, items, { threshold: { kind: 'default' }, combine: 'cauchy', outputs: [], encoding: 'png', defaultEnsemble: true, ...(o.survey !== undefined ? { survey: o.survey } : {}) });
        for (const r of results) {
          if (r instanceof DarklensError) {
            tally.refused[r.code] = (tally.refused[r.code] ?? 0) + 1;
            continue;
          }
          tally.scored++;
          tally.bySet[r.set.name] = (tally.bySet[r.set.name] ?? 0) + 1;
          if (r.ensemble.flagged) tally.flagged++;
          if (!r.domain.outOfDomain) continue;
          tally.outOfDomain++;
          for (const check of new Set(r.domain.reasons.map((x) => x.check))) tally.byCheck[check] = (tally.byCheck[check] ?? 0) + 1;
        }
        bar?.tick(items.length);
      }
    } finally {
      bar?.done();
      store.close();
    }
    tally.rate = tally.scored > 0 ? tally.outOfDomain / tally.scored : 0;
    const pct = (n: number): string => `${((100 * n) / Math.max(tally.scored, 1)).toFixed(2)}%`;
    process.stdout.write(
      `${o.data}: ${tally.scored} of ${tally.images} scored (sets: ${Object.entries(tally.bySet).map(([k, n]) => `${k} ${n}`).join(', ')})` +
        `${Object.keys(tally.refused).length > 0 ? `, refused: ${Object.entries(tally.refused).map(([k, n]) => `${k} ${n}`).join(', ')}` : ''}\n` +
        `out of domain: ${tally.outOfDomain} (${pct(tally.outOfDomain)}); by check: ${Object.entries(tally.byCheck).map(([k, n]) => `${k} ${n} (${pct(n)})`).join(', ') || 'none'}\n` +
        `flagged anomalous (in domain only): ${tally.flagged} (${pct(tally.flagged)})\n`,
    );
    if (o.json !== undefined) await writeFile(o.json, JSON.stringify({ data: o.data, survey: o.survey ?? 'auto', pixelScale: o.pixelScale ?? null, psfFwhm: o.psfFwhm ?? null, ...tally }, null, 2) + '\n');
  });
  return cmd;
}
