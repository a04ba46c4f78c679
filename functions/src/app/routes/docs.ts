/** GET /openapi.json (generated from the route schemas) and GET /docs, a self-contained page rendered from it. */
import type { App, Deps } from '../context.js';

const DESCRIPTION =
  'Anomaly scores of strong-lens cutouts from autoencoders trained on smooth lenses. /v1 is the darklens API (files in, calibrated scores out); /v2 is the Open Inference Protocol (KServe/Triton) on preprocessed tensors.';

export function openApiDocument(app: App, deps: Deps): Record<string, unknown> {
  const doc = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'darklens scoring API', version: deps.version, description: DESCRIPTION },
  }) as unknown as Record<string, unknown>;
  if (deps.config.apiKeys.length > 0) {
    doc.components = { ...(doc.components as object), securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } };
  }
  return doc;
}

const esc = (s: string | number | undefined): string =>
  String(s ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; description?: string; schema?: { example?: unknown }; example?: unknown }[];
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { description?: string }>;
};

function curl(method: string, path: string, op: Operation): string {
  const url = `http://localhost:8787${path.replace(/\{(\w+)\}/g, (_, p: string) => (p === 'name' ? 'dcae' : 'v1'))}`;
  if (method === 'get') return `curl ${url}`;
  if (path.endsWith('/infer')) return `curl -H 'Content-Type: application/json' -d '{"inputs":[{"name":"input","shape":[1,1,64,64],"datatype":"FP32","data":[...]}]}' ${url}`;
  const file = path.endsWith('batch') ? 'stack.npy' : 'cutout.fits';
  return `curl --data-binary @${file} '${url}${op.parameters?.some((p) => p.name === 'outputs') ? '?outputs=residual' : ''}'`;
}

/** The docs page: every operation with its parameters, body types, responses and a curl line. */
export function docsHtml(doc: Record<string, unknown>): string {
  const info = doc.info as { title: string; version: string; description: string };
  const paths = doc.paths as Record<string, Record<string, Operation>>;
  const sections = Object.entries(paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const params = (op.parameters ?? [])
        .map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${esc(p.description)}</td></tr>`)
        .join('');
      const bodies = Object.keys(op.requestBody?.content ?? {}).map((t) => `<code>${esc(t)}</code>`).join(' ');
      const responses = Object.entries(op.responses ?? {}).map(([s, r]) => `<li><b>${esc(s)}</b> ${esc(r.description)}</li>`).join('');
      return `<section id="${esc(method + path)}"><h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(op.summary)}</p>${op.description ? `<p class="d">${esc(op.description)}</p>` : ''}
${params ? `<table><tr><th>parameter</th><th>in</th><th>meaning</th></tr>${params}</table>` : ''}
${bodies ? `<p>Body: ${bodies}</p>` : ''}<ul>${responses}</ul><pre>${esc(curl(method, path, op))}</pre></section>`;
    }),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(info.title)}</title><style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font-family:ui-monospace,monospace}pre{background:#f4f4f4;padding:.6rem;overflow-x:auto}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
.m{display:inline-block;min-width:3.5rem;padding:0 .4rem;color:#fff;border-radius:3px;font-size:.8em}.get{background:#2b7a3d}.post{background:#2456a6}
.d{color:#555}section{border-top:1px solid #eee;margin-top:1.2rem}</style></head><body>
<h1>${esc(info.title)} <small>${esc(info.version)}</small></h1><p>${esc(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors of /v1 are <code>{"error":{"code","message"}}</code>; of /v2, <code>{"error":"message"}</code>.</p>
${sections.join('\n')}</body></html>`;
}

export function docsRoutes(app: App, deps: Deps): void {
  let cached: Record<string, unknown> | undefined;
  const doc = (): Record<string, unknown> => (cached ??= openApiDocument(app, deps));
  app.get('/openapi.json', (c) => c.json(doc()));
  app.get('/docs', (c) => c.html(docsHtml(doc())));
}
