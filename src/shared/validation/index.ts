export * from './instant.js';
export * from './finite.js';
