/** The web page's built files, served by the Node server beside the API (anything not an API path). */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.fits': 'application/fits',
  '.npy': 'application/octet-stream',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Path prefixes that always belong to the API. */
export const API_PREFIXES = ['/v1', '/v2', '/openapi.json', '/docs', '/metrics', '/admin'];

export function isApiPath(path: string): boolean {
  return API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** A static file response for GET/HEAD `path` under `dir`, or undefined when there is none. */
export async function staticFile(dir: string, path: string, head: boolean): Promise<Response | undefined> {
  const root = resolve(dir);
  let rel: string;
  try {
    rel = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (rel.endsWith('/')) rel += 'index.html';
  const full = resolve(root, `.${rel}`);
  if (!full.startsWith(root + sep)) return undefined;
  try {
    const s = await stat(full);
    if (!s.isFile()) return undefined;
    const headers = {
      'content-type': TYPES[extname(full)] ?? 'application/octet-stream',
      'content-length': String(s.size),
      // Vite's hashed assets never change; the page itself must be re-read.
      'cache-control': rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    return new Response(head ? null : await readFile(full), { headers });
  } catch {
    return undefined;
  }
}
