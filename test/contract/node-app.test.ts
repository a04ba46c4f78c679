/** The contract on the app in-process (onnxruntime-node on the calling thread): the runtime-free baseline. */
import { configFromEnv } from '@darklens/functions';
import { shippedService } from '../helpers/service.js';
import { contractSuite } from './suite.js';

contractSuite('node-app', async (env) => {
  const svc = await shippedService(configFromEnv(env));
  return {
    fetch: async (req) => svc.app.fetch(req),
    close: () => Promise.resolve(svc.store.close()),
  };
});
