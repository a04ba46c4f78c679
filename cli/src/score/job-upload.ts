/**
 * A run step's pieces as the body of POST /v1/jobs, and the job's result lines back to the pieces.
 * Each piece is one file of a multipart form named by its place in the upload ("0", "1", ...): the
 * service names a file's lines after it ("3", an NPY stack's images "3[i]", a chunk failed as a whole
 * "3[0...]"), so every line goes back to its piece by that number, never by its position among the
 * lines, which would shift if a piece gave more or fewer lines than counted.
 */
import { randomBytes } from 'node:crypto';
import { DarklensError } from '@darklens/core';
import { errorBody, type BatchLine } from '@darklens/functions';
import { pieceNames, type Piece } from './scorer.js';

/** A piece whose bytes are sent. */
export type Upload = Extract<Piece, { bytes: Uint8Array }>;

/** A result line without its place in the run (the run numbers its lines itself). */
export type PlacedLine = Omit<BatchLine, 'index'>;

export interface JobBody {
  body: Blob;
  contentType: string;
}

/** The multipart form of `pieces`, built as a Blob so its exact size is known before it is sent. */
export function jobBody(pieces: readonly Upload[]): JobBody {
  const boundary = `darklens-${randomBytes(12).toString('hex')}`;
  // (Blob wants ArrayBuffer-backed views; a piece's bytes never live in shared memory.)
  const parts: (string | Uint8Array<ArrayBuffer>)[] = [];
  pieces.forEach((p, k) => {
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${k}"\r\nContent-Type: application/octet-stream\r\n\r\n`, p.bytes as Uint8Array<ArrayBuffer>, '\r\n');
  });
  parts.push(`--${boundary}--\r\n`);
  return { body: new Blob(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The upload's number a service line's name starts with (-1: none). */
function pieceNumber(name: string): number {
  const m = /^(\d+)(?=$|\[|:)/.exec(name);
  return m === null ? -1 : Number(m[1]);
}

const firstError = (lines: readonly PlacedLine[]): PlacedLine | undefined => lines.find((l) => 'error' in l);

/**
 * Each piece's lines, named as the local run names them. A piece that got as many lines as it holds
 * cutouts takes them in order; one that did not (its file changed, or its chunk failed as a whole)
 * gives each of its cutouts an error line: the error the service gave it, else one it gave without a
 * piece's number, else one that says what went wrong. Every cutout gets exactly one line.
 */
export function linesOfPieces(pieces: readonly Upload[], lines: readonly PlacedLine[]): PlacedLine[][] {
  const groups = pieces.map((): PlacedLine[] => []);
  const stray: PlacedLine[] = [];
  for (const l of lines) {
    const k = pieceNumber(l.name);
    (k >= 0 && k < groups.length ? groups[k]! : stray).push(l);
  }
  return pieces.map((p, k) => {
    const names = pieceNames(p);
    const got = groups[k]!;
    if (got.length === names.length) return got.map(({ name: _, ...rest }, i) => ({ name: names[i]!, ...rest }));
    const err = firstError(got) ?? firstError(stray);
    const body = err !== undefined && 'error' in err ? { error: err.error } : errorBody(new DarklensError('internal', `the service gave ${got.length} result lines for ${p.name}, counted as ${names.length} cutout${names.length === 1 ? '' : 's'}; did it change while being scored?`));
    return names.map((name) => ({ name, ...body }));
  });
}
