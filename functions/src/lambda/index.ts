export * from './env-source.js';
export * from './handler.js';
export * from './limits.js';
export * from './registry-poll.js';
export * from './s3-source.js';
