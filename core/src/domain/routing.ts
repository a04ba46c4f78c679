/**
 * Which model set scores a cutout: the one a request names (`survey=`, a set's name or alias), else
 * the set whose domain is nearest the cutout's stated pixel scale and PSF (FITS headers), else the
 * registry's default set, and the answer says which of these it was.
 */
import type { Cutout } from '../cutout.js';
import { DarklensError } from '../errors.js';
import type { RegistrySet } from '../registry/model-sets.js';

export type RoutedBy = 'survey' | 'header' | 'default';

export interface Route {
  set: string;
  by: RoutedBy;
  /** Why, in a sentence a user reads. */
  note: string;
}

/** The set `survey` names (case-insensitive, by name or alias); 404 listing what is accepted. */
export function namedSet(sets: Record<string, RegistrySet>, survey: string): string {
  const s = survey.trim().toLowerCase();
  for (const [name, set] of Object.entries(sets)) if (name === s || (set.aliases ?? []).includes(s)) return name;
  const accepted = Object.entries(sets).map(([n, set]) => [n, ...(set.aliases ?? [])].join('|'));
  throw new DarklensError('not_found', `survey=${survey} names no model set; accepted: ${accepted.join(', ')} (or auto: routed by the file's header)`);
}

/** Distance of a cutout's stated pixel scale and PSF from a domain: summed |log ratio|. */
function distance(set: RegistrySet, pixelScale: number, psfFwhm: number | undefined): number {
  let d = Math.abs(Math.log(pixelScale / set.domain.pixelScale));
  if (psfFwhm !== undefined && set.domain.psfFwhm > 0) d += Math.abs(Math.log(psfFwhm / set.domain.psfFwhm));
  return d;
}

const fmt = (v: number): string => String(Number(v.toPrecision(3)));

/** Routes one cutout; `survey` undefined or "auto" routes by its header. */
export function routeCutout(sets: Record<string, RegistrySet>, defaultSet: string, cutout: Pick<Cutout, 'pixelScale' | 'psfFwhm' | 'format'>, survey?: string): Route {
  if (survey !== undefined && survey.trim().toLowerCase() !== 'auto') {
    const set = namedSet(sets, survey);
    return { set, by: 'survey', note: `survey=${survey} chose set ${set}` };
  }
  const names = Object.keys(sets);
  if (cutout.pixelScale === undefined || names.length === 1) {
    const why = cutout.pixelScale === undefined ? `the ${cutout.format.toUpperCase()} file states no pixel scale` : 'the registry has one model set';
    return { set: defaultSet, by: 'default', note: `${why}: scored by the default set ${defaultSet}${names.length > 1 ? `; name another with survey= (${names.join(', ')})` : ''}` };
  }
  // Nearest domain; on a tie the default set (it is first).
  const order = [defaultSet, ...names.filter((n) => n !== defaultSet)];
  const best = order.reduce((a, b) => (distance(sets[b]!, cutout.pixelScale!, cutout.psfFwhm) < distance(sets[a]!, cutout.pixelScale!, cutout.psfFwhm) ? b : a));
  const psf = cutout.psfFwhm !== undefined ? ` and PSF FWHM ${fmt(cutout.psfFwhm)}"` : '';
  const d = sets[best]!.domain;
  return { set: best, by: 'header', note: `pixel scale ${fmt(cutout.pixelScale)}"/px${psf} from the header: nearest set ${best} (${fmt(d.pixelScale)}"/px, PSF ${fmt(d.psfFwhm)}")` };
}
