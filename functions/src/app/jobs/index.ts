export * from './blob-store.js';
export * from './job-queue.js';
export * from './jobs.js';
export * from './layout.js';
export type { JobManifest } from './manifest.js';
export * from './results.js';
export type { JobState, JobStatus } from './status.js';
