/**
 * Shared helpers for the unit tests that check how darklens rejects input (core/src/io/*.test.ts,
 * core/src/calibration/*.test.ts, training/src/viz/*.test.ts, training/src/metrics/*.test.ts). Test-only: the package builds exclude *.test.ts, and nothing else
 * may import from this folder.
 */
import { expect } from 'vitest';
import { DarklensError, type ErrorCode } from '../../core/src/errors.js';

/** The DarklensError code `fn` throws, 'no error' if it returns; any other exception fails the test. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof DarklensError) return e.code;
    throw e;
  }
  return 'no error';
}

/** Runs fn and returns the DarklensError it throws; fails the test on success or any other exception. */
export function errorOf(fn: () => unknown): DarklensError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error('expected a DarklensError, but nothing was thrown');
  if (!(thrown instanceof DarklensError)) {
    throw new Error(`expected a DarklensError, got ${thrown instanceof Error ? thrown.stack : typeof thrown}`, { cause: thrown });
  }
  return thrown;
}

/** Expects fn to throw a DarklensError with this code and a message matching every part; returns it. */
export function expectError(fn: () => unknown, code: ErrorCode, ...messageParts: (string | RegExp)[]): DarklensError {
  const e = errorOf(fn);
  expect(e.code, e.message).toBe(code);
  for (const part of messageParts) expect(e.message).toMatch(part);
  return e;
}

/** Expects fn to throw a DarklensError('invalid_argument') with a message matching every part; returns it. */
export function expectInvalid(fn: () => unknown, ...messageParts: (string | RegExp)[]): DarklensError {
  return expectError(fn, 'invalid_argument', ...messageParts);
}

/** Expects `read` to report 'truncated' for every proper prefix of `bytes` (the empty one included). */
export function expectEveryCutTruncated(bytes: Uint8Array, read: (bytes: Uint8Array) => unknown, name: string): void {
  for (let cut = 0; cut < bytes.length; cut++) {
    expect(codeOf(() => read(bytes.subarray(0, cut))), `${name} cut at ${cut}`).toBe('truncated');
  }
}
