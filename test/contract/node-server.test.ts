/** The contract on the real Node server (`darklens serve`: HTTP on 127.0.0.1, inference on worker threads). */
import { startServerProcess } from '../helpers/server.js';
import { contractSuite, retarget } from './suite.js';

contractSuite('node-server', async (env) => {
  const server = await startServerProcess(['--quiet'], env);
  return {
    fetch: async (req) => fetch(await retarget(req, server.url)),
    close: async () => {
      await server.stop();
    },
  };
});
