/**
 * The contract on the AWS Lambda handlers, driven by the events AWS sends (payload version 2.0, binary
 * bodies base64-encoded): a function URL in RESPONSE_STREAM mode (the deployed setup) and an API
 * Gateway HTTP API, buffered.
 */
import { createLambdaApp, type LambdaApp } from '@darklens/functions/lambda';
import { folderSource } from '@darklens/functions/node';
import { installAwsLambdaGlobal, invokeBuffered, invokeStreaming, lambdaEvent } from '../helpers/lambda.js';
import { SHIPPED_MODELS } from '../helpers/service.js';
import { contractSuite, type ContractTarget } from './suite.js';

installAwsLambdaGlobal();

function target(env: Record<string, string>, fetch: (lambda: LambdaApp) => ContractTarget['fetch']): Promise<ContractTarget> {
  const lambda = createLambdaApp({ source: folderSource(SHIPPED_MODELS), env, log: () => undefined });
  return Promise.resolve({ fetch: fetch(lambda), close: () => Promise.resolve(lambda.service.store.close()) });
}

contractSuite('lambda-function-url-streamed', (env) =>
  target(env, (lambda) => {
    const stream = lambda.streamingHandler();
    return async (req) => (await invokeStreaming(stream, await lambdaEvent(req, 'function-url'))).response;
  }),
);

contractSuite('lambda-http-api-buffered', (env) => target(env, (lambda) => (req) => invokeBuffered(lambda.handler, req, 'http-api')));
