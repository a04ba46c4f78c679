export * from './fs-blob-store.js';
export * from './fs-source.js';
export * from './local-job-runner.js';
export * from './ort-engine.js';
export * from './ort-worker-engine.js';
export * from './server.js';
export * from './static-files.js';
