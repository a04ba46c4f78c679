import { DarklensError } from '../errors.js';

/**
 * Throws DarklensError('invalid_argument') unless `values` is non-empty and every entry is a finite
 * number; `what` names the caller and `name` the argument in the message.
 */
export function checkFinite(what: string, values: ArrayLike<number>, name = 'scores'): void {
  if (values.length === 0) {
    throw new DarklensError('invalid_argument', `${what}: ${name} is empty; pass at least one finite value`);
  }
  for (let i = 0; i < values.length; i++) {
    const s = values[i];
    if (typeof s !== 'number' || !Number.isFinite(s)) {
      throw new DarklensError(
        'invalid_argument',
        `${what}: ${name}[${i}] is ${String(s)}; only finite numbers are accepted (no NaN or Infinity)`,
      );
    }
  }
}
