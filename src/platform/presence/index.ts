export type { PresenceRegistry } from './presence.port.js';
export { MemoryPresenceRegistry, MemoryPresenceStore, type MemoryPresenceOptions } from './memory/index.js';
