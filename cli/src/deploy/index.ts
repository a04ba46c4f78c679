// The deploy layer (`darklens models deploy|undeploy`, `promote|rollback --target`), also imported by
// scripts/local-worker.mjs to fill Miniflare's R2 bucket: one implementation of publishing a registry.
export * from './target.js';
export * from './publication.js';
export * from './plan.js';
export * from './publish.js';
export * from './deploy.js';
export * from './open.js';
export { folderTarget } from './local.js';
export { s3Target, s3Client } from './s3.js';
export { r2BindingTarget, type R2BucketBinding } from './r2-binding.js';
export { workerModelsBucket, DEFAULT_PERSIST } from './cloudflare.js';
