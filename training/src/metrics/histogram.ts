/**
 * Fixed-width histograms of scores, for plots and for the service (which sends them to clients:
 * everything returned here is plain numbers and arrays, ready for JSON).
 */
import { LENS_CLASSES } from '../simulate/presets.js';
import { checkScores, type NumericArray } from './roc.js';
import { countInto, DarklensError, histogramEdges, type Histogram, type HistogramOptions } from '@darklens/core';

// The binning itself lives in core (shared with calibration.json); re-exported for metric users.
export { histogram, MAX_HISTOGRAM_BINS, type Histogram, type HistogramOptions } from '@darklens/core';

export interface ScoreHistogramOptions extends HistogramOptions {
  /**
   * The groups to report, in this order; every sample's group must be listed and every listed
   * group must have samples. Default: for 0/1 labels ['0', '1']; for class names the lens classes
   * present (no_sub, spherical, vortex in that order) followed by any other names in order of first
   * appearance.
   */
  groups?: readonly string[];
}

export interface GroupHistogram extends Omit<Histogram, 'edges'> {
  /** The group: a class name, or '0' / '1' for labels. */
  name: string;
}

export interface ScoreHistograms {
  /** The edges shared by every group: by default they span all the scores, whatever the group. */
  edges: number[];
  groups: GroupHistogram[];
}

/**
 * One histogram of scores per group, all with the same edges, so they can be overlaid or compared
 * bin by bin. `groups[i]` is the group of scores[i]: a 0/1 label (groups '0' and '1') or a class
 * name such as 'no_sub', 'spherical', 'vortex'. Options as histogram, plus `groups` to fix the
 * order. Throws DarklensError('invalid_argument') for empty or mismatched arrays, non-finite
 * scores, a label other than 0/1, an empty class name, a sample whose group is not listed in
 * options.groups, or a listed group with no samples.
 */
export function scoreHistograms(
  scores: NumericArray,
  groups: NumericArray | readonly string[],
  options: ScoreHistogramOptions,
): ScoreHistograms {
  const what = 'scoreHistograms';
  checkScores(what, scores);
  if (groups.length !== scores.length) {
    throw new DarklensError(
      'invalid_argument',
      `${what}: scores has ${scores.length} values but groups has ${groups.length}; pass one label or class per score`,
    );
  }
  const names: string[] = new Array<string>(groups.length);
  const seen: string[] = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    let name: string;
    if (typeof g === 'number') {
      if (g !== 0 && g !== 1) {
        throw new DarklensError(
          'invalid_argument',
          `${what}: groups[${i}] is ${g}; labels must be 0 (no substructure) or 1 (substructure), or pass class names`,
        );
      }
      name = String(g);
    } else if (typeof g === 'string' && g.length > 0) {
      name = g;
    } else {
      throw new DarklensError(
        'invalid_argument',
        `${what}: groups[${i}] is ${JSON.stringify(g)}; pass 0/1 labels or non-empty class names`,
      );
    }
    names[i] = name;
    if (!seen.includes(name)) seen.push(name);
  }

  let order: string[];
  if (options.groups !== undefined) {
    order = [...options.groups];
    if (order.length === 0 || new Set(order).size !== order.length) {
      throw new DarklensError('invalid_argument', `${what}: options.groups must be a non-empty list of distinct names`);
    }
    const missing = seen.find((n) => !order.includes(n));
    if (missing !== undefined) {
      throw new DarklensError(
        'invalid_argument',
        `${what}: a sample has group ${JSON.stringify(missing)}, which options.groups (${order.join(', ')}) does not list`,
      );
    }
  } else if (typeof groups[0] === 'number') {
    order = ['0', '1'];
  } else {
    const known: readonly string[] = LENS_CLASSES;
    order = [...known.filter((c) => seen.includes(c)), ...seen.filter((n) => !known.includes(n))];
  }
  const empty = order.find((n) => !seen.includes(n));
  if (empty !== undefined) {
    throw new DarklensError(
      'invalid_argument',
      `${what}: group ${JSON.stringify(empty)} has no samples; every group (${order.join(', ')}) needs at least one score`,
    );
  }

  const edges = histogramEdges(what, scores, options);
  const result: ScoreHistograms = { edges, groups: [] };
  for (const name of order) {
    const values: number[] = [];
    for (let i = 0; i < names.length; i++) if (names[i] === name) values.push(scores[i]!);
    const h: Histogram = { edges, counts: new Array<number>(edges.length - 1).fill(0), underflow: 0, overflow: 0, total: 0 };
    countInto(values, edges, h);
    result.groups.push({ name, counts: h.counts, underflow: h.underflow, overflow: h.overflow, total: h.total });
  }
  return result;
}
