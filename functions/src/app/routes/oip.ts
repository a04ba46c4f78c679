/**
 * Open Inference Protocol v2 (KServe / Triton REST): health, server and model metadata, ready and
 * infer, with the protocol's JSON shapes, so its existing clients work. Errors here use the protocol's
 * shape `{ "error": "<message>" }` rather than the /v1 one (the app's error handler picks it by path). Infer runs the raw graph: the input tensor
 * is already preprocessed ([N,1,H,W] float32 in [0,1]); use /v1/score for files.
 * Not implemented: the binary tensor data extension (refused with a clear 415).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DarklensError, estimatedNoiseModel, graphFeeds, ONNX_INPUT, ONNX_RECONSTRUCTION, resolveVersion, scoreOutputName, type NoiseModel } from '@darklens/core';
import type { App, Deps } from '../context.js';
import { requireKey } from '../middleware/auth.js';
import { limitBody } from '../middleware/body-limit.js';
import type { LoadedModel } from '../model-store.js';

export const PLATFORM = 'onnxruntime_onnx';

const MetadataTensor = z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number().int()) });
export const ServerMetadataSchema = z.object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) }).openapi('OipServerMetadata');
export const ModelMetadataSchema = z
  .object({ name: z.string(), versions: z.array(z.string()), platform: z.string(), inputs: z.array(MetadataTensor), outputs: z.array(MetadataTensor) })
  .openapi('OipModelMetadata');
const Parameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const RequestInput = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  datatype: z.string(),
  parameters: Parameters.optional(),
  data: z.array(z.unknown()),
});
export const InferRequestSchema = z
  .object({
    id: z.string().optional(),
    parameters: Parameters.optional(),
    inputs: z.array(RequestInput),
    outputs: z.array(z.object({ name: z.string(), parameters: Parameters.optional() })).optional(),
  })
  .openapi('OipInferRequest');
export const InferResponseSchema = z
  .object({
    model_name: z.string(),
    model_version: z.string().optional(),
    id: z.string().optional(),
    parameters: Parameters.optional(),
    outputs: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()), datatype: z.string(), parameters: Parameters.optional(), data: z.array(z.number()) })),
  })
  .openapi('OipInferResponse');
const OipError = z.object({ error: z.string() }).openapi('OipError');

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
const nameParams = z.object({ name: z.string().openapi({ example: 'dcae' }) });
const versionParams = nameParams.extend({ version: z.string().openapi({ example: 'v1' }) });

const routes = [
  createRoute({ method: 'get', path: '/v2', tags: ['v2'], summary: 'Server metadata', responses: { 200: json(ServerMetadataSchema, 'Server metadata') } }),
  createRoute({ method: 'get', path: '/v2/health/live', tags: ['v2'], summary: 'Server live', responses: { 200: json(z.object({ live: z.boolean() }), 'Live') } }),
  createRoute({ method: 'get', path: '/v2/health/ready', tags: ['v2'], summary: 'Server ready (models loaded)', responses: { 200: json(z.object({ ready: z.boolean() }), 'Ready'), 503: json(z.object({ ready: z.boolean() }), 'Not ready') } }),
  ...[nameParams, versionParams].flatMap((params) => {
    const base = params === nameParams ? '/v2/models/{name}' : '/v2/models/{name}/versions/{version}';
    return [
      createRoute({ method: 'get', path: base, tags: ['v2'], summary: 'Model metadata', request: { params }, responses: { 200: json(ModelMetadataSchema, 'Model metadata'), 404: json(OipError, 'Unknown model') } }),
      createRoute({ method: 'get', path: `${base}/ready`, tags: ['v2'], summary: 'Model ready', request: { params }, responses: { 200: json(z.object({ name: z.string(), ready: z.boolean() }), 'Ready'), 404: json(OipError, 'Unknown model') } }),
      createRoute({
        method: 'post',
        path: `${base}/infer`,
        tags: ['v2'],
        summary:
          'Inference on a preprocessed [N,1,H,W] FP32 tensor named "input"; outputs "reconstruction", "score" (MSE) and the other scores of the graph ("score_<name>", with the noise model estimated from each image)',
        request: { params, body: { required: true, content: { 'application/json': { schema: InferRequestSchema } } } },
        responses: { 200: json(InferResponseSchema, 'Outputs'), 400: json(OipError, 'Bad request'), 404: json(OipError, 'Unknown model'), 413: json(OipError, 'Too large') },
      }),
    ];
  }),
];

/** What a graph without noise inputs is fed (nothing of it is used). */
const NO_NOISE: NoiseModel = { variance: new Float32Array(0), background: 0, gain: 0, source: 'estimated' };

function bad(message: string): never {
  throw new DarklensError('invalid_argument', message);
}

/** The outputs infer offers: the reconstruction and every score of the graph. */
function outputNames(m: LoadedModel): string[] {
  return [ONNX_RECONSTRUCTION, ...m.contract.scores.map(scoreOutputName)];
}

function metadata(m: LoadedModel, versions: string[]) {
  const { width: w, height: h } = m.input;
  return {
    name: m.name,
    versions,
    platform: PLATFORM,
    inputs: [{ name: ONNX_INPUT, datatype: 'FP32', shape: [-1, 1, h, w] }],
    outputs: outputNames(m).map((name) => ({ name, datatype: 'FP32', shape: name === ONNX_RECONSTRUCTION ? [-1, 1, h, w] : [-1] })),
  };
}

/** A short description of a JSON value for messages (never the value itself: it may be huge or deep). */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return v.length > 20 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** Most entries of the request's small lists; beyond them the request is refused before schema validation. */
const MAX_LIST = 16;

/** Cheap checks before the schema: a huge invalid list would make the validator collect an issue per element. */
function precheck(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad('the request body must be a JSON object with "inputs"');
  const { inputs, outputs } = body as { inputs?: unknown; outputs?: unknown };
  if (!Array.isArray(inputs)) bad('"inputs" must be an array of tensors');
  if (inputs.length > MAX_LIST) bad(`"inputs" has ${inputs.length} entries; accepted: one tensor named "${ONNX_INPUT}"`);
  for (const input of inputs as unknown[]) {
    const shape = typeof input === 'object' && input !== null ? (input as { shape?: unknown }).shape : undefined;
    if (Array.isArray(shape) && shape.length > MAX_LIST) bad(`an input shape has ${shape.length} dimensions; accepted: [N,1,H,W]`);
  }
  if (Array.isArray(outputs) && outputs.length > MAX_LIST) bad(`"outputs" has ${outputs.length} entries; accepted: at most ${MAX_LIST} output names`);
}

/** Flattens row-major nested arrays (the protocol allows both flat and nested `data`). */
function flatten(data: unknown[], expected: number): Float32Array {
  const out = new Float32Array(expected);
  let n = 0;
  const walk = (v: unknown, depth: number): void => {
    if (depth > 8) bad('input data is nested deeper than its shape');
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(`input data holds ${describe(v)} at element ${n}; accepted: finite numbers`);
    if (n >= expected) bad(`input data has more than the ${expected} elements its shape says`);
    out[n++] = v;
  };
  walk(data, 0);
  if (n !== expected) bad(`input data has ${n} elements; its shape says ${expected}`);
  return out;
}

async function infer(c: Context, deps: Deps, m: LoadedModel): Promise<Response> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (c.req.header('inference-header-content-length') !== undefined || type === 'application/octet-stream') {
    throw new DarklensError('unsupported_format', 'the binary tensor data extension is not supported; send the request as application/json');
  }
  if (type !== 'application/json') throw new DarklensError('unsupported_format', `Content-Type ${type || 'none'}; accepted: application/json`);
  let body: unknown;
  try {
    body = await c.req.json();
  } catch (e) {
    if (e instanceof DarklensError) throw e;
    bad('the request body is not valid JSON');
  }
  precheck(body);
  const parsed = InferRequestSchema.safeParse(body);
  if (!parsed.success) bad(`the request is not an inference request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  const req = parsed.data;
  const { width: w, height: h } = m.input;
  if (req.inputs.length !== 1 || req.inputs[0]!.name !== ONNX_INPUT) {
    bad(`model ${m.name} takes one input named "${ONNX_INPUT}"; the request has ${req.inputs.map((i) => `"${i.name}"`).join(', ') || 'none'}`);
  }
  const input = req.inputs[0]!;
  if (input.datatype !== 'FP32') bad(`input "${ONNX_INPUT}" has datatype ${input.datatype}; accepted: FP32`);
  const [n, ch, hh, ww] = input.shape;
  if (input.shape.length !== 4 || ch !== 1 || hh !== h || ww !== w || n === undefined || n < 1) {
    bad(`input shape [${input.shape.join(',')}]; accepted: [N,1,${h},${w}] with N >= 1`);
  }
  if (n > deps.config.limits.maxBatchItems) throw new DarklensError('too_large', `batch of ${n}; accepted: up to ${deps.config.limits.maxBatchItems}`);
  const offered = outputNames(m);
  const names = req.outputs?.map((o) => o.name) ?? offered;
  for (const name of names) if (!offered.includes(name)) bad(`output "${name}" is unknown; accepted: ${offered.join(', ')}`);
  // Flat data has N*H*W numbers, nested data N rows: refuse anything else before allocating for it.
  if (input.data.length !== n * h * w && input.data.length !== n) bad(`input data has ${input.data.length} top-level elements; accepted: ${n * h * w} numbers, or ${n} nested [1,${h},${w}] arrays`);
  const data = flatten(input.data, n * h * w);
  // Noise-aware graphs also take the noise model: estimated from each image, as /v1/score does for
  // cutouts without a variance plane.
  const images = Array.from({ length: n }, (_, i) => {
    const pixels = data.subarray(i * h * w, (i + 1) * h * w);
    return { pixels, masked: 0, assumedPixelScale: false, noise: m.contract.noiseAware ? estimatedNoiseModel(pixels, w, h) : NO_NOISE };
  });
  const out = await m.session.run(graphFeeds(m.contract, m.input, images), names);
  return c.json({
    model_name: m.name,
    model_version: m.version,
    ...(req.id === undefined ? {} : { id: req.id }),
    outputs: names.map((name) => ({ name, shape: [...out[name]!.dims], datatype: 'FP32', data: Array.from(out[name]!.data) })),
  });
}

export function oipRoutes(app: App, deps: Deps): void {
  for (const r of routes) app.openAPIRegistry.registerPath(r);
  const auth = requireKey(deps.config.apiKeys, 'inference');

  app.get('/v2', (c) => c.json({ name: 'darklens', version: deps.version, extensions: [] }));
  app.get('/v2/health/live', (c) => c.json({ live: true }));
  app.get('/v2/health/ready', (c) => (deps.store.ready ? c.json({ ready: true }) : c.json({ ready: false }, 503)));

  for (const base of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get(base, async (c) => {
      const m = await deps.store.use((set) => set.version(c.req.param('name')!, c.req.param('version')));
      const versions = Object.keys(deps.store.current().registry.models[m.name]?.versions ?? {});
      return c.json(metadata(m, c.req.param('version') === undefined ? versions : [m.version]));
    });
    app.get(`${base}/ready`, (c) => deps.store.use((set) => {
      const name = c.req.param('name')!;
      const version = c.req.param('version');
      set.model(name);
      const ready = version === undefined || set.loadedVersions(name).includes(version);
      if (!ready) resolveVersion(set.registry, name, version); // 404 for a version never registered
      return c.json({ name, ready }, ready ? 200 : 503);
    }));
    app.post(`${base}/infer`, auth, limitBody(deps.config.limits, deps.config.limits.maxBodyBytes), (c) => deps.store.use(async (set) => infer(c, deps, await set.version(c.req.param('name')!, c.req.param('version')))));
  }
}
