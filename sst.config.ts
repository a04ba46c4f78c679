/**
 * AWS deployment (SST) of the scoring service. A placeholder until the serverless issue: the hono app
 * and its Lambda adapter do not exist yet, so there is nothing to deploy. Never run `sst deploy`,
 * `sst diff` or `sst dev` on the project's machines (they reach for AWS credentials).
 */
export const deployment = {
  app: 'darklens',
  status: 'not yet deployable: the scoring service comes with a later issue',
} as const;
