/** Scores of negatives then positives in one array, with their 0/1 labels: the input of rocAuc and tprAtFpr. */
export function labelledScores(negatives: ArrayLike<number>, ...positives: ArrayLike<number>[]): { scores: Float64Array; labels: Uint8Array } {
  const n = negatives.length + positives.reduce((s, p) => s + p.length, 0);
  const scores = new Float64Array(n);
  const labels = new Uint8Array(n);
  scores.set(negatives);
  let at = negatives.length;
  for (const p of positives) {
    scores.set(p, at);
    labels.fill(1, at, at + p.length);
    at += p.length;
  }
  return { scores, labels };
}
