import { useEffect, useRef } from 'preact/hooks';

/**
 * Scrolls the element into view when `key` changes and it starts low on the screen: on a phone the
 * upload area fills the first screen, and a result appearing below it would go unnoticed.
 */
export function useRevealed<T extends HTMLElement>(key: unknown) {
  const ref = useRef<T>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || el.getBoundingClientRect().top <= window.innerHeight * 0.6) return;
    const still = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    el.scrollIntoView({ behavior: still ? 'auto' : 'smooth', block: 'start' });
  }, [key]);
  return ref;
}
