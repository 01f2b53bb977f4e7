import { DROP_LUA, REPLACE_LUA } from './lifecycle.lua.js';
import { PUSH_LUA } from './push.lua.js';
import { RANGE_LUA } from './read.lua.js';
import { REMOVE_AUTHOR_LUA, REMOVE_TWEET_LUA } from './remove.lua.js';

/** One script: the ioredis command it is defined as, its source, and its key count (null: given by each call, for batches). */
export interface TimelineScript {
  readonly command: string;
  readonly lua: string;
  readonly keys: number | null;
}

/** Every script of the Redis timeline store, by the store operation that runs it. */
export const scripts = {
  push: { command: 'blueprintTlPush', lua: PUSH_LUA, keys: null },
  range: { command: 'blueprintTlRange', lua: RANGE_LUA, keys: 1 },
  removeTweet: { command: 'blueprintTlRemoveTweet', lua: REMOVE_TWEET_LUA, keys: null },
  removeAuthor: { command: 'blueprintTlRemoveAuthor', lua: REMOVE_AUTHOR_LUA, keys: 1 },
  replace: { command: 'blueprintTlReplace', lua: REPLACE_LUA, keys: 2 },
  drop: { command: 'blueprintTlDrop', lua: DROP_LUA, keys: 2 },
} as const satisfies Record<string, TimelineScript>;
