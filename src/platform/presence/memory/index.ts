export { MemoryPresenceRegistry, MemoryPresenceStore, type MemoryPresenceOptions } from './memory-presence.js';
