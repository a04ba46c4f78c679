/**
 * DarklensError codes to HTTP statuses, and the one JSON error shape of the /v1 API:
 * `{ "error": { "code": "...", "message": "..." } }`. Anything that is not a DarklensError is a bug:
 * it is logged with its stack by the caller and answered as a bare 500 without details.
 */
import { DarklensError, isDarklensError, type ErrorCode } from '@darklens/core';

const STATUS: Record<ErrorCode, number> = {
  truncated: 422,
  bad_magic: 422,
  bad_header: 422,
  bad_shape: 422,
  unsupported_format: 415,
  unsupported_dtype: 415,
  unsupported_layout: 415,
  too_large: 413,
  not_found: 404,
  invalid_argument: 400,
  unauthorized: 401,
  rate_limited: 429,
  unavailable: 503,
  integrity_mismatch: 503,
  diverged: 500,
  internal: 500,
};

export type HttpStatus = 400 | 401 | 404 | 413 | 415 | 422 | 429 | 500 | 503;

export function statusOf(code: ErrorCode): HttpStatus {
  return STATUS[code] as HttpStatus;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** The error a caller sees: DarklensErrors as they are, anything else as an opaque internal error. */
export function publicError(e: unknown, requestId?: string): DarklensError {
  if (isDarklensError(e) && e.code !== 'internal') return e;
  const ref = requestId === undefined ? '' : ` (request ${requestId})`;
  return new DarklensError('internal', `internal error${ref}; the server log has the details`);
}

/** Longest error message sent: messages may quote the input, which must not come back megabytes long. */
export const MAX_MESSAGE_CHARS = 1000;

export function clipMessage(message: string): string {
  return message.length <= MAX_MESSAGE_CHARS ? message : `${message.slice(0, MAX_MESSAGE_CHARS)}... (${message.length} characters in all)`;
}

export function errorBody(e: DarklensError): ErrorBody {
  return { error: { code: e.code, message: clipMessage(e.message) } };
}
