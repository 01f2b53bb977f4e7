export type { ServiceRegistry, Registration } from './discovery.port.js';
export { MemoryServiceRegistry } from './memory/index.js';
