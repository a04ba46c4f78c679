/** Request bodies over a limit are refused with 413 before they are read whole, with the runtime's hint. */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { bodyTooLarge, type ServiceLimits } from '../config.js';

export function limitBody(limits: ServiceLimits, maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw bodyTooLarge(limits, maxBytes);
    },
  });
}
