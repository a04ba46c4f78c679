/**
 * The two halves of `darklens score`: a work source (work-source.ts) cuts the inputs into pieces, a
 * Scorer turns pieces into result lines. The local scorer (local-scorer.ts) decodes and scores on
 * this machine; a remote one can send the same pieces to a service's jobs API instead.
 */
import type { DarklensError, DriftCalibrations } from '@darklens/core';
import type { BatchLine } from '@darklens/functions';

/**
 * Bytes holding `count` cutouts: a cutout file, or a slice of an NPY stack (a complete .npy file of
 * images first .. first+count-1 of the stack `name`), or why they could not be read.
 */
export type Piece = {
  /** The file's name in the results (a stack's images are `name[i]`). */
  name: string;
  count: number;
  /** Stack slices only: the index of the slice's first image in the whole stack. */
  first?: number;
} & ({ bytes: Uint8Array } | { error: DarklensError });

/** The names of a piece's cutouts, as the results give them. */
export function pieceNames(p: Piece): string[] {
  if (p.first === undefined) return Array.from({ length: p.count }, () => p.name);
  return Array.from({ length: p.count }, (_, i) => `${p.name}[${p.first! + i}]`);
}

export interface Scorer {
  /**
   * One line per cutout of `pieces`, in order, numbered from `index`: the batch route's NDJSON lines
   * (a cutout that cannot be read or scored gets its error line). Rejects only when scoring itself
   * broke (then no line of the call is valid).
   */
  score(pieces: readonly Piece[], index: number): Promise<BatchLine[]>;
  /** Roles of the per-model CSV columns. */
  readonly roles: string[];
  /** Steps scored at once to keep every inference thread busy. */
  readonly concurrency: number;
  /** The calibrations and domains of the models that score (for the drift summary). */
  readonly calibrations: DriftCalibrations;
  close(): Promise<void>;
}
