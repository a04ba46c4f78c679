/**
 * The one error type of darklens. Every rejected input, bad option or unsupported feature is a
 * DarklensError with a stable machine-readable `code`, so the CLI can print it and the service can
 * map it to an HTTP status without parsing messages.
 */
export type ErrorCode =
  | 'truncated' // the bytes end before the format says they should
  | 'bad_magic' // the bytes are not the format they claim to be
  | 'unsupported_format' // sniffing found no format darklens reads
  | 'unsupported_dtype' // a pixel type darklens does not read
  | 'unsupported_layout' // a valid file with a layout darklens does not read (Fortran order, compressed HDU...)
  | 'bad_header' // a header that breaks the format's own rules
  | 'bad_shape' // wrong rank or axis lengths for a cutout
  | 'too_large' // dimensions or sizes beyond the configured limits
  | 'not_found' // a named HDU, file or item that does not exist
  | 'invalid_argument' // a bad option or parameter value
  | 'diverged' // training produced a non-finite loss
  | 'integrity_mismatch' // a file whose size or sha256 differs from its registry entry
  | 'unauthorized' // a service route that needs an API key got none or a wrong one
  | 'rate_limited' // a client sent more requests than the deployment's rate limit allows
  | 'unavailable' // the service cannot answer now (no models loaded, shutting down)
  | 'internal'; // a bug: never caused by the input; the service logs it and hides the details

export class DarklensError extends Error {
  override readonly name = 'DarklensError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isDarklensError(e: unknown): e is DarklensError {
  return e instanceof DarklensError;
}
