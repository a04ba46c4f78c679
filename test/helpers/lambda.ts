/**
 * Driving Lambda handlers as AWS does, for tests and the contract suite: the documented event shapes
 * (function URL and API Gateway HTTP API payload version 2.0, binary bodies base64-encoded) built from
 * a Web Request, results turned back into Responses, and a stand-in for the `awslambda` global that the
 * Node.js runtime defines for response streaming: `streamifyResponse` marks a handler as streaming and
 * `HttpResponseStream.from` writes the runtime's wire format (the JSON prelude of status and headers,
 * 8 NUL bytes, then the body) into the response stream, as the runtime interface client does.
 */
import { Writable } from 'node:stream';
import { Buffer } from 'node:buffer';
import type { APIGatewayProxyResult, LambdaContext, LambdaEvent } from 'hono/aws-lambda';

const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = new Uint8Array(8);
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');

/** One write into the response stream: when (performance.now()) and what. */
export interface StreamChunk {
  at: number;
  bytes: Uint8Array;
}

/** The runtime's response stream: records what the handler writes, in the wire format. */
export class RecordingResponseStream extends Writable {
  contentType: string | undefined;
  readonly chunks: StreamChunk[] = [];
  /** Set by HttpResponseStream.from: writes the prelude before the first body byte. */
  _onBeforeFirstWrite: ((write: (chunk: string | Uint8Array) => void) => void) | undefined;
  private started = false;

  setContentType(type: string): void {
    this.contentType = type;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    const record = (c: string | Uint8Array): void => {
      this.chunks.push({ at: performance.now(), bytes: typeof c === 'string' ? new TextEncoder().encode(c) : new Uint8Array(c) });
    };
    if (!this.started) {
      this.started = true;
      this._onBeforeFirstWrite?.(record);
    }
    record(typeof chunk === 'string' ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    done();
  }

  /** Everything written, in order. */
  bytes(): Uint8Array {
    return Buffer.concat(this.chunks.map((c) => c.bytes));
  }
}

interface AwsLambdaGlobal {
  streamifyResponse<T extends object>(handler: T): T;
  HttpResponseStream: { from(stream: RecordingResponseStream, prelude: Record<string, unknown>): RecordingResponseStream };
}

/**
 * Defines `awslambda.streamifyResponse` and `awslambda.HttpResponseStream` as the Lambda Node.js runtime
 * does (idempotent). The AWS SDK creates an empty `globalThis.awslambda` when imported outside Lambda,
 * so the functions are added to whatever object is there.
 */
export function installAwsLambdaGlobal(): void {
  const g = globalThis as { awslambda?: Partial<AwsLambdaGlobal> };
  const awslambda = (g.awslambda ??= {});
  awslambda.streamifyResponse ??= (handler) => {
    Object.defineProperty(handler, STREAMING, { value: 'response' });
    return handler;
  };
  awslambda.HttpResponseStream ??= {
    from(stream, prelude) {
      stream.setContentType(PRELUDE_CONTENT_TYPE);
      const json = JSON.stringify(prelude); // the runtime refuses NUL bytes in the prelude
      stream._onBeforeFirstWrite = (write) => {
        write(json);
        write(DELIMITER);
      };
      return stream;
    },
  };
}

/** Text bodies pass as they are; others arrive base64-encoded (isBase64Encoded: true), as AWS documents. */
function isTextType(contentType: string | null): boolean {
  return contentType !== null && /^(text\/|application\/(json|xml|javascript)\b|application\/[\w.+-]+\+json\b)/i.test(contentType);
}

const context: LambdaContext = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'darklens-scoring',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:darklens-scoring',
  memoryLimitInMB: '1769',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/darklens-scoring',
  logStreamName: '2026/01/01/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 30_000,
};

export type EventKind = 'function-url' | 'http-api';

/**
 * The payload-version-2.0 event AWS sends for `req`: a function URL's (requestContext.domainName
 * `<url-id>.lambda-url.<region>.on.aws`, no route) or an API Gateway HTTP API's ($default route and stage).
 */
export async function lambdaEvent(req: Request, kind: EventKind): Promise<LambdaEvent> {
  const url = new URL(req.url);
  const bytes = new Uint8Array(await req.arrayBuffer());
  const text = isTextType(req.headers.get('content-type'));
  const headers: Record<string, string> = {};
  req.headers.forEach((v, k) => (headers[k] = v));
  const domainName = kind === 'function-url' ? 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws' : 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com';
  headers.host = domainName;
  headers['x-forwarded-proto'] = 'https';
  const apiId = domainName.split('.')[0]!;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: kind === 'function-url' ? 'anonymous' : '123456789012',
      apiId,
      authentication: null,
      authorizer: {},
      domainName,
      domainPrefix: apiId,
      http: { method: req.method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: req.headers.get('user-agent') ?? 'darklens-test' },
      requestId: crypto.randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body: bytes.length === 0 ? null : text ? new TextDecoder().decode(bytes) : Buffer.from(bytes).toString('base64'),
    isBase64Encoded: bytes.length > 0 && !text,
  };
}

/** A buffered handler's result as the HTTP response AWS would send. */
export function resultToResponse(result: APIGatewayProxyResult): Response {
  const headers = new Headers();
  if ('headers' in result && result.headers !== undefined) for (const [k, v] of Object.entries(result.headers)) headers.set(k, String(v));
  for (const c of result.cookies ?? []) headers.append('set-cookie', c);
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  const nullBody = [204, 304].includes(result.statusCode);
  return new Response(nullBody ? null : (body as BodyInit), { status: result.statusCode, headers });
}

export type BufferedHandler = (event: LambdaEvent, context?: LambdaContext) => Promise<APIGatewayProxyResult>;
export type StreamedHandler = (event: LambdaEvent, responseStream: unknown, context: LambdaContext) => Promise<void>;

/** What a streamed invocation wrote: the prelude's status and headers, the body, the writes as they came. */
export interface StreamedAnswer {
  response: Response;
  body: Uint8Array;
  /** Body writes after the prelude, with their times. */
  chunks: StreamChunk[];
}

/** Invokes a handler as the runtime invokes a RESPONSE_STREAM function and decodes its wire format. */
export async function invokeStreaming(handler: StreamedHandler, event: LambdaEvent): Promise<StreamedAnswer> {
  if ((handler as unknown as Record<symbol, unknown>)[STREAMING] !== 'response') throw new Error('the handler is not wrapped by awslambda.streamifyResponse');
  const stream = new RecordingResponseStream();
  const finished = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
  await handler(event, stream, context);
  await finished;
  if (stream.contentType !== PRELUDE_CONTENT_TYPE) throw new Error(`the stream's content type is ${stream.contentType}, not the HTTP integration prelude`);
  const all = stream.bytes();
  let at = -1;
  for (let i = 0; i + 8 <= all.length && at < 0; i++) if (all.subarray(i, i + 8).every((b) => b === 0)) at = i;
  if (at < 0) throw new Error('no prelude delimiter in the response stream');
  const prelude = JSON.parse(new TextDecoder().decode(all.subarray(0, at))) as { statusCode: number; headers: Record<string, string>; cookies: string[] };
  const body = all.slice(at + 8);
  const headers = new Headers(prelude.headers);
  for (const c of prelude.cookies) headers.append('set-cookie', c);
  const chunks = stream.chunks.slice(2); // after the prelude and its delimiter
  return { response: new Response([204, 304].includes(prelude.statusCode) ? null : body, { status: prelude.statusCode, headers }), body, chunks };
}

/** Invokes a buffered handler with the event of `req` and returns the HTTP response. */
export async function invokeBuffered(handler: BufferedHandler, req: Request, kind: EventKind): Promise<Response> {
  return resultToResponse(await handler(await lambdaEvent(req, kind), context));
}
