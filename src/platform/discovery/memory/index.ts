export { MemoryServiceRegistry, MemoryRegistryStore } from './memory-registry.js';
