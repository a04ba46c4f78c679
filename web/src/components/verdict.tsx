/**
 * The words every view uses for a decision, with colour and text (never colour alone). Out of its
 * set's domain a cutout gets neither word: its scores mean nothing there.
 */
export function Verdict({ flagged, outOfDomain, small, title }: { flagged: boolean; outOfDomain?: boolean; small?: boolean; title?: string }) {
  const kind = outOfDomain ? 'out-of-domain' : flagged ? 'flagged' : 'smooth';
  return (
    <span class={`verdict ${kind}${small ? ' small' : ''}`} data-verdict={outOfDomain ? 'out of domain' : kind} title={title}>
      {outOfDomain ? 'out of domain' : flagged ? 'anomalous' : 'smooth'}
    </span>
  );
}
