/** One structured (JSON) log record per request; the adapter decides where records go. */
import type { MiddlewareHandler } from 'hono';

export type LogRecord = Record<string, unknown> & { level: 'info' | 'warn' | 'error'; msg: string };
export type LogSink = (record: LogRecord) => void;

export function requestLogger(log: LogSink): MiddlewareHandler {
  return async (c, next) => {
    const t0 = performance.now();
    await next();
    const status = c.res.status;
    const record: LogRecord = {
      level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
      msg: 'request',
      time: new Date().toISOString(),
      requestId: c.get('requestId' as never) as string | undefined,
      method: c.req.method,
      path: c.req.path,
      route: c.req.routePath,
      status,
      ms: Math.round((performance.now() - t0) * 100) / 100,
    };
    const code = c.get('errorCode' as never) as string | undefined;
    if (code !== undefined) record.error = code;
    log(record);
  };
}
