/** The two words every view uses for a decision, with colour and text (never colour alone). */
export function Verdict({ flagged, small }: { flagged: boolean; small?: boolean }) {
  return (
    <span class={`verdict ${flagged ? 'flagged' : 'smooth'}${small ? ' small' : ''}`} data-verdict={flagged ? 'flagged' : 'smooth'}>
      {flagged ? 'anomalous' : 'smooth'}
    </span>
  );
}
