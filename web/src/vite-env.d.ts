/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Base URL of the scoring API when the page is hosted elsewhere (default: the page's origin). */
  readonly VITE_DARKLENS_API?: string;
}
