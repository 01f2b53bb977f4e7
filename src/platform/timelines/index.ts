/**
 * Home timelines of the news feed: the port and the in-process store. The Redis store is exported
 * from ./redis/index.ts, for the composition root alone.
 */
export type { LocalTimelines, TimelineEntry, TimelineStore } from './timeline.port.js';
export { checkEntry, MAX_ID } from './timeline.entries.js';
export { UserSlots } from './user-slots.js';
export { MemoryTimelineStore, type MemoryTimelineStoreOptions } from './memory/memory-timeline.store.js';
