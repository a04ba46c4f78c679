/**
 * The contract on the Cloudflare Worker: the BUILT bundle (`npm run build:worker`) in workerd through
 * Miniflare, the shipped registry in a local R2 bucket, the contract's settings as Worker variables.
 * The rate limit is raised out of the way: the contract sends more requests than a client normally would.
 */
import { startWorkerd } from '../helpers/workerd.js';
import { contractSuite } from './suite.js';

contractSuite('workers', async (env) => {
  const worker = await startWorkerd({ vars: env, rateLimit: { limit: 100_000, period: 60 } });
  return { fetch: (req) => worker.fetch(req), close: () => worker.close() };
});
