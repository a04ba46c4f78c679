import { describe, expect, it } from 'vitest';
import { jobBody, linesOfPieces, type PlacedLine, type Upload } from './job-upload.js';

const bytes = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);
const pieces: Upload[] = [
  { name: 'a.fits', count: 1, bytes: bytes(10, 1) },
  { name: 'stack.npy', first: 4, count: 2, bytes: bytes(7, 2) },
  { name: 'b.fits', count: 1, bytes: bytes(3, 3) },
];
const scored = (name: string, loss: number): PlacedLine => ({ name, set: { name: 'model-a' }, loss }) as unknown as PlacedLine;
const failed = (name: string, code: string, message: string): PlacedLine => ({ name, error: { code, message } }) as PlacedLine;

describe('a job\'s upload', () => {
  it('is a multipart form of the pieces, each named by its place, bytes intact', async () => {
    const { body, contentType } = jobBody(pieces);
    const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    const files = form.getAll('file') as File[];
    expect(files.map((f) => f.name)).toEqual(['0', '1', '2']);
    for (const [k, f] of files.entries()) expect(new Uint8Array(await f.arrayBuffer())).toEqual(pieces[k]!.bytes);
  });

  it('gives the lines back to their pieces by number, named as the run names them', () => {
    const got = linesOfPieces(pieces, [scored('0', 1), scored('1[0]', 2), scored('1[1]', 3), failed('2', 'truncated', 'short')]);
    expect(got).toEqual([
      [scored('a.fits', 1)],
      [scored('stack.npy[4]', 2), scored('stack.npy[5]', 3)],
      [failed('b.fits', 'truncated', 'short')],
    ]);
    // The name stays first, as in the batch route's lines.
    expect(Object.keys(got[1]![0]!)).toEqual(['name', 'set', 'loss']);
  });

  it('gives every cutout of a piece without its lines one error line, never shifting the others', () => {
    // The stack's chunk failed as a whole (one line for the slice), and the service skipped b.fits.
    const got = linesOfPieces(pieces, [scored('0', 1), failed('1[0...]', 'internal', 'the chunk failed on every attempt')]);
    expect(got[0]).toEqual([scored('a.fits', 1)]);
    expect(got[1]).toEqual([failed('stack.npy[4]', 'internal', 'the chunk failed on every attempt'), failed('stack.npy[5]', 'internal', 'the chunk failed on every attempt')]);
    // b.fits has no line: another piece's error is not its own, so it gets one that says what happened.
    expect(got[2]).toEqual([failed('b.fits', 'internal', 'the service gave 0 result lines for b.fits, counted as 1 cutout; did it change while being scored?')]);
    // Lines under a name no piece has (a chunk reported by its number) lend their error to pieces left without lines.
    expect(linesOfPieces(pieces.slice(0, 1), [failed('chunk 0', 'unavailable', 'no inputs store')])).toEqual([[failed('a.fits', 'unavailable', 'no inputs store')]]);
  });

  it('refuses a piece that got more lines than it holds cutouts (its file changed) with one error line per cutout', () => {
    const got = linesOfPieces(pieces.slice(0, 1), [scored('0[0]', 1), scored('0[1]', 2)]);
    expect(got).toEqual([[failed('a.fits', 'internal', 'the service gave 2 result lines for a.fits, counted as 1 cutout; did it change while being scored?')]]);
  });
});
