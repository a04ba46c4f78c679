/**
 * Bearer-key check in constant time: both sides are hashed to 32 bytes first (so neither the key's
 * length nor the position of the first differing byte shows in the timing) and every configured key
 * is compared in full, without an early exit.
 */
import type { MiddlewareHandler } from 'hono';
import { DarklensError, sha256Hex } from '@darklens/core';

async function digest(s: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(s));
}

function equalHex(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i % b.length);
  return diff === 0;
}

/** Middleware requiring `Authorization: Bearer <one of keys>`; a no-op when `keys` is empty. */
export function requireKey(keys: readonly string[], what = 'this route'): MiddlewareHandler {
  if (keys.length === 0) return async (_c, next) => next();
  const hashes = Promise.all(keys.map(digest));
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const given = await digest(m?.[1] ?? '');
    let ok = false;
    for (const h of await hashes) ok = equalHex(given, h) || ok;
    if (!m || !ok) {
      c.header('WWW-Authenticate', 'Bearer realm="darklens"');
      throw new DarklensError('unauthorized', `${what} needs an API key: send "Authorization: Bearer <key>"${m ? ' (the key given is not accepted)' : ''}`);
    }
    await next();
  };
}
