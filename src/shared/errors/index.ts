export * from './app-error.js';
export * from './problem.js';
