/**
 * Shared helpers for the metric tests (training/src/metrics/*.test.ts): the sklearn/numpy/scipy
 * fixtures written by scripts/make-metric-fixtures.py, and relative float comparisons. Test-only:
 * nothing outside *.test.ts may import from this folder.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** Parses training/test-fixtures/metrics/<name>. */
export function readMetricFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../training/test-fixtures/metrics/${name}`, import.meta.url), 'utf8')) as T;
}

/** |a - b| <= rel * max(|a|, |b|): 1e-12 relative by default, exact for zeros. */
export function expectClose(actual: number, expected: number, rel = 1e-12): void {
  const tol = rel * Math.max(Math.abs(actual), Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) expect(actual).toBe(expected);
}

/** expectClose element by element, after checking the lengths agree. */
export function expectAllClose(actual: ArrayLike<number>, expected: readonly number[], rel = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expectClose(actual[i]!, expected[i]!, rel);
}
