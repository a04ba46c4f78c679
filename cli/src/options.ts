import { DarklensError } from '@darklens/core';
import { BACKEND_ORDER, isLensClass, LENS_CLASSES, type BackendName, type LensClass, type SpecOverrides } from '@darklens/training';
import type { Command } from 'commander';

/** Option parsers that turn bad values into DarklensErrors with the accepted form in the message. */
export function int(name: string, lo: number, hi: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^[+]?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < lo || n > hi) {
      throw new DarklensError('invalid_argument', `${name} must be an integer in [${lo}, ${hi}], got '${v}'`);
    }
    return n;
  };
}

export function num(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new DarklensError('invalid_argument', `${name} must be a number, got '${v}'`);
    return n;
  };
}

/** One of `accepted`, or a DarklensError naming them. */
export function choice<T extends string>(name: string, accepted: readonly T[]): (v: string) => T {
  return (v) => {
    if (!(accepted as readonly string[]).includes(v)) throw new DarklensError('invalid_argument', `unknown ${name} '${v}'; accepted: ${accepted.join(', ')}`);
    return v as T;
  };
}

/** Help and parser of `--backend <name>` (validated; absent means the first backend that works). */
export const backendHelp = (what = 'TensorFlow.js backend'): string => `${what}: ${BACKEND_ORDER.join(', ')} (default: the first that works)`;
export const parseBackend = choice<BackendName>('backend', BACKEND_ORDER);

/** Adds `--backend <name>`. */
export function withBackendOption(cmd: Command, what?: string): Command {
  return cmd.option('--backend <name>', backendHelp(what), parseBackend);
}

/** A value or a uniform range written LO:HI. */
export function numOrRange(name: string): (v: string) => number | [number, number] {
  return (v) => {
    const parts = v.split(':');
    if (parts.length === 1) return num(name)(v);
    if (parts.length === 2) return [num(name)(parts[0]!), num(name)(parts[1]!)];
    throw new DarklensError('invalid_argument', `${name} must be a number or a range LO:HI, got '${v}'`);
  };
}

export function classList(v: string): LensClass[] {
  if (v === 'all') return [...LENS_CLASSES];
  const out = v.split(',').map((s) => s.trim());
  for (const c of out) {
    if (!isLensClass(c)) throw new DarklensError('invalid_argument', `unknown class '${c}'; accepted: ${LENS_CLASSES.join(', ')} or all`);
  }
  return [...new Set(out)] as LensClass[];
}

/** Adds the physics overrides every simulating command shares. */
export function withSpecOptions(cmd: Command): Command {
  return cmd
    .option('--grid <pixels>', 'image side in pixels (overrides the preset)', int('grid', 8, 2048))
    .option('--pixel-scale <arcsec>', 'arcsec per pixel', num('pixel scale'))
    .option('--snr <value|lo:hi>', 'peak SNR of the arc, fixed or uniform range', numOrRange('SNR'))
    .option('--f-sub <fraction>', 'substructure mass fraction of the host', num('f_sub'))
    .option('--n-sub <count>', 'number of subhalos / vortex point masses', int('number of subhalos', 1, 10000))
    .option('--psf-fwhm <arcsec>', 'Gaussian PSF FWHM (0 disables the PSF)', num('PSF FWHM'))
    .option('--supersample <n>', 'sub-pixels per pixel side before binning', int('supersampling', 1, 16))
    .option('--mass-conserving', 'take the subhalos\' mass from the host (Einstein radius unchanged: only the arcs\' shape differs)');
}

export interface SpecOptionValues {
  grid?: number;
  pixelScale?: number;
  snr?: number | [number, number];
  fSub?: number;
  nSub?: number;
  psfFwhm?: number;
  supersample?: number;
  massConserving?: boolean;
}

export function overridesFrom(o: SpecOptionValues): SpecOverrides {
  const out: SpecOverrides = {};
  if (o.grid !== undefined) out.grid = o.grid;
  if (o.pixelScale !== undefined) out.pixelScale = o.pixelScale;
  if (o.snr !== undefined) out.snr = o.snr;
  if (o.fSub !== undefined) out.fSub = o.fSub;
  if (o.nSub !== undefined) out.nSub = o.nSub;
  if (o.psfFwhm !== undefined) out.psfFwhm = o.psfFwhm;
  if (o.supersample !== undefined) out.supersample = o.supersample;
  if (o.massConserving === true) out.massConserving = true;
  return out;
}
