import { useLayoutEffect, useRef } from 'preact/hooks';

interface Props {
  /** What the picture is, for tests and assistive technology (data-kind). */
  kind: string;
  label: string;
  /** Draws into the canvas; a new function redraws. */
  paint: (canvas: HTMLCanvasElement) => void;
  class?: string;
}

/** A canvas painted by `paint`, one canvas pixel per image pixel (CSS scales it, pixelated). */
export function ImageCanvas({ kind, label, paint, class: cls }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  useLayoutEffect(() => {
    if (ref.current) paint(ref.current);
  }, [paint]);
  return <canvas ref={ref} class={cls ?? 'image'} data-kind={kind} role="img" aria-label={label} />;
}
